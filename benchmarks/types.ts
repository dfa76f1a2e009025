/** The shape of the suite's JSON report (format `uniadapter-bench/1`). */
import type { BenchmarkName } from '../lib/cli/bench';

export const REPORT_FORMAT = 'uniadapter-bench/1';

/** Latency over the timed iterations, in milliseconds (p90 by nearest rank). */
export interface LatencyStats {
  samples: number;
  medianMs: number;
  p90Ms: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
}

/** Resident memory around one benchmark, in MiB. */
export interface MemoryStats {
  /** Highest resident set size while the benchmark ran. */
  peakRssMb: number;
  /** Resident set size just before it (models and inputs already in memory). */
  rssBeforeMb: number;
  /** 'benchmark': the peak was reset before the benchmark; 'process': the process-lifetime peak. */
  scope: 'benchmark' | 'process';
}

/** GPU memory around one benchmark, in MiB (see benchmarks/gpu-memory.ts). */
export interface GpuMemoryStats {
  peakMb: number;
  /** The first sample (models and inputs already on the device). */
  beforeMb: number;
  /** 'process': what this process holds; 'device': the whole device's used memory; 'allocator': PyTorch's own statistics. */
  scope: 'process' | 'device' | 'allocator';
  source: string;
  /** The reference only: torch.cuda.max_memory_reserved, beside max_memory_allocated in peakMb. */
  reservedPeakMb?: number;
}

/** The measurements of one side (ours or the PyTorch reference) of a benchmark. */
export interface Measurement {
  latency: LatencyStats;
  /** Items per second at the median latency. */
  throughput: number;
  /** Achieved GFLOP/s = analytic FLOPs per iteration / median latency. */
  gflops?: number;
  /** gflops / the machine's practical peak (measured matmul GFLOP/s). */
  fractionOfPeak?: number;
  memory?: MemoryStats;
  /** On CUDA: the device memory peak. */
  gpuMemory?: GpuMemoryStats;
  /** Model FLOPs utilisation: gflops / the device's nominal dense peak in the precision of the run. */
  mfu?: number;
  /** Benchmark-specific numbers (phase times, pair counts, generated lengths, ...). */
  extra?: Record<string, number | string>;
}

/** The reference side: its measurement, or why there is none. */
export type ReferenceOutcome = ({ status: 'ok' } & Measurement) | { status: 'unavailable' | 'failed' | 'not-implemented'; reason: string };

export interface BenchResult extends Measurement {
  /** Unique within a report, e.g. `vit-384`. */
  id: string;
  benchmark: BenchmarkName;
  title: string;
  /** What was measured: model preset, sizes, batch, options. */
  config: Record<string, unknown>;
  /** Unit of `throughput` (images/s, texts/s, pairs/s, ...). */
  throughputUnit: string;
  warmup: number;
  iterations: number;
  /** Analytic FLOPs of one timed iteration (multiply-add = 2 FLOPs; see benchmarks/flops.ts). */
  flopsPerIteration?: number;
  reference?: ReferenceOutcome;
  /** Our median latency / the reference's median latency (< 1: we are faster). */
  ratio?: number;
  notes?: string[];
}

export interface GemmMeasurement {
  n: number;
  gflops: number;
}

/** What the numbers were measured on. */
export interface MachineDescription {
  cpu: { model: string; logicalCores: number };
  memoryBytes: number;
  os: { name: string; kernel: string; platform: string; arch: string };
  node: string;
  libtorch: { version: string; library: string; cudaCompiled: boolean };
  blas: { kind: string; libraries: string[] };
  threads: { intraop: number; interop: number; env: Record<string, string> };
  cuda: { available: boolean; devices: string[] };
  /** fp32 square matmuls on the benchmark device. */
  gemm: GemmMeasurement[];
  /** The best measured matmul rate: the practical peak that GFLOP/s figures are compared with. */
  practicalPeakGflops: number;
  /** bf16 square matmuls, measured when a bf16 run was asked for; bf16 figures are compared with their best. */
  gemmBf16?: GemmMeasurement[];
  /** The nominal dense peaks MFU is computed against (CUDA devices the table knows). */
  nominalPeak?: { device: string; gflops: Record<string, number>; source: string };
  loadAverage: { start: number[]; end?: number[] };
}

export interface ReferenceInfo {
  available: boolean;
  reason?: string;
  /** The interpreter that ran it. */
  interpreter?: string;
  python?: string;
  torch?: string;
  threads?: number;
  interopThreads?: number;
  seconds?: number;
}

export interface BenchReport {
  format: typeof REPORT_FORMAT;
  createdAt: string;
  mode: 'quick' | 'full';
  config: string;
  device: string;
  /** The precisions the run measured (fp32 alone in reports before they were recorded). */
  precisions?: string[];
  machine: MachineDescription;
  reference: ReferenceInfo;
  results: BenchResult[];
  /** Benchmarks that threw, with their error (absent when none did). */
  failures?: Array<{ benchmark: BenchmarkName; error: string }>;
  totalSeconds: number;
  /** true in the report written after each benchmark while the run goes on; absent in the final one. */
  partial?: boolean;
}
