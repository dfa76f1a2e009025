/**
 * The retrieval models of a run, created on first use and kept for the following benchmarks (building
 * BLIP-base with random weights takes seconds), disposed explicitly.
 */
import type { BenchConfigName } from '../lib/cli/bench';
import type { Device, Precision, ResolvedModelConfig } from '../lib/config/model-config';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { benchModelConfig } from './configs';
import { nowMs } from './timing';

export interface CachedModel {
  model: RetrievalModel;
  config: ResolvedModelConfig;
}

export class ModelCache {
  private readonly models = new Map<string, Promise<CachedModel>>();

  constructor(
    private readonly preset: BenchConfigName,
    private readonly device: Device,
    private readonly log: (line: string) => void
  ) {}

  private key(imageSize: number | undefined, precision: Precision): string {
    return `${this.preset}@${imageSize ?? 'default'}/${precision}`;
  }

  /** The retrieval model of the run's configuration at an image size (default: the task's) and precision (default fp32). */
  retrieval(imageSize?: number, precision: Precision = 'fp32'): Promise<CachedModel> {
    const key = this.key(imageSize, precision);
    let p = this.models.get(key);
    if (!p) {
      p = (async () => {
        const t0 = nowMs();
        const model = await RetrievalModel.create(benchModelConfig(this.preset, 'retrieval', { imageSize, device: this.device, precision }));
        const config = model.config;
        this.log(`  built ${this.preset} ${precision} retrieval model at ${config.vision.imageSize} px in ${((nowMs() - t0) / 1000).toFixed(1)} s`);
        return { model, config };
      })();
      this.models.set(key, p);
      p.catch(() => this.models.delete(key));
    }
    return p;
  }

  /** Disposes one model (the next call to retrieval() builds it again). */
  async release(imageSize?: number, precision: Precision = 'fp32'): Promise<void> {
    const key = this.key(imageSize, precision);
    const p = this.models.get(key);
    this.models.delete(key);
    if (p) await (await p).model.dispose();
  }

  async disposeAll(): Promise<void> {
    const all = [...this.models.values()];
    this.models.clear();
    for (const p of all) await (await p).model.dispose();
  }
}
