/**
 * The retrieval models of a run, created on first use and kept for the following benchmarks (building
 * BLIP-base with random weights takes seconds), disposed explicitly.
 */
import type { BenchConfigName } from '../lib/cli/bench';
import type { Device, ModelConfig } from '../lib/config/model-config';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { benchModelConfig } from './configs';
import { nowMs } from './timing';

export interface CachedModel {
  model: RetrievalModel;
  config: ModelConfig;
}

export class ModelCache {
  private readonly models = new Map<string, Promise<CachedModel>>();

  constructor(
    private readonly preset: BenchConfigName,
    private readonly device: Device,
    private readonly log: (line: string) => void
  ) {}

  private key(imageSize: number | undefined): string {
    return `${this.preset}@${imageSize ?? 'default'}`;
  }

  /** The retrieval model of the run's configuration at an image size (default: the task's). */
  retrieval(imageSize?: number): Promise<CachedModel> {
    const key = this.key(imageSize);
    let p = this.models.get(key);
    if (!p) {
      p = (async () => {
        const config = benchModelConfig(this.preset, 'retrieval', { imageSize, device: this.device });
        const t0 = nowMs();
        const model = await RetrievalModel.create(config);
        this.log(`  built ${this.preset} retrieval model at ${config.vision.imageSize} px in ${((nowMs() - t0) / 1000).toFixed(1)} s`);
        return { model, config };
      })();
      this.models.set(key, p);
      p.catch(() => this.models.delete(key));
    }
    return p;
  }

  /** Disposes one model (the next call to retrieval() builds it again). */
  async release(imageSize?: number): Promise<void> {
    const key = this.key(imageSize);
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
