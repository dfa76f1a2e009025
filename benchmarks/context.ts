/**
 * What every benchmark case receives: the options and plan of the run, the machine's practical peak,
 * a log, a seeded random source, a scratch folder, and the list it adds its PyTorch reference cases to.
 */
import type { BenchOptions } from '../lib/cli/bench';
import type { ResolvedModelConfig } from '../lib/config/model-config';
import type { Rng } from '../lib/data/rng';
import type { ModelCache } from './model-cache';
import type { SuitePlan } from './plan';
import type { ReferenceCase } from './reference-spec';
import type { BenchResult } from './types';

export interface CaseContext {
  options: BenchOptions;
  plan: SuitePlan;
  peakGflops: number;
  rng: Rng;
  /** A temporary folder that is removed when the run ends. */
  tmpDir: string;
  log(line: string): void;
  /** Retrieval models shared by the benchmarks of the run. */
  models: ModelCache;
  /**
   * With --compare, has the PyTorch reference time the same computation (same shapes, warm-up and
   * iterations) right away and attaches its timing to `result`; otherwise does nothing.
   */
  compare(result: BenchResult, model: ResolvedModelConfig, reference: Pick<ReferenceCase, 'kind' | 'params'>): Promise<void>;
}

/** A benchmark: adds its results (one or more) to the report. */
export type BenchmarkCase = (ctx: CaseContext) => Promise<BenchResult[]>;
