/**
 * The contract between the suite and benchmarks/reference/blip_reference.py: the computations it
 * times, the messages of its --serve mode (what the suite uses) and the job file of its standalone
 * mode, and what it answers.
 */
import type { ResolvedModelConfig } from '../lib/config/model-config';

/** Computations the reference implements. */
export type ReferenceKind = 'vit' | 'text' | 'itm' | 'rerank' | 'train' | 'eval';

export interface ReferenceCase {
  /** The id of the result it is compared with. */
  id: string;
  kind: ReferenceKind;
  /** Key of its model configuration in ReferenceSpec.models (standalone mode). */
  model: string;
  warmup: number;
  iterations: number;
  /** Sizes and options (batch, length, pairs, k, shared, alpha, lr, ...). */
  params: Record<string, number | boolean | string>;
}

/** First message of --serve mode: the run's device and thread settings. */
export interface ReferenceInit {
  device: string;
  /** torch.set_num_threads / set_num_interop_threads, the same as ours. */
  threads: number;
  interopThreads: number;
  seed: number;
}

/** Standalone mode: a whole job given as a JSON argument (or @file). */
export interface ReferenceSpec extends ReferenceInit {
  models: Record<string, ResolvedModelConfig>;
  cases: ReferenceCase[];
}

/** The answer to ReferenceInit. */
export interface ReferenceVersions {
  python: string;
  torch: string;
  threads: number;
  interopThreads: number;
}

export interface ReferenceCaseOutput {
  /** One wall-clock latency per timed iteration. */
  samplesMs: number[];
  peakRssMb?: number;
  rssBeforeMb?: number;
  memoryScope?: 'benchmark' | 'process';
  /** On CUDA: torch.cuda.max_memory_allocated / max_memory_reserved over the case, MiB. */
  gpuAllocatedPeakMb?: number;
  gpuReservedPeakMb?: number;
  extra?: Record<string, number | string>;
  error?: string;
}

/** The answer of standalone mode. */
export interface ReferenceOutput extends ReferenceVersions {
  results: Record<string, ReferenceCaseOutput>;
}
