/** Runs one timed benchmark body and turns its timings into a result entry (throughput, GFLOP/s, memory). */
import { startGpuMemory } from './gpu-memory';
import { startPeakRss } from './memory';
import { timeIterations, type TimingOptions } from './timing';
import type { BenchResult, GpuMemoryStats, LatencyStats, Measurement, MemoryStats } from './types';

export interface Timed {
  latency: LatencyStats;
  memory: MemoryStats;
  gpuMemory?: GpuMemoryStats;
}

/**
 * Times `fn` (warm-up, then iterations) while measuring the peak resident memory and, on CUDA, the
 * peak device memory (warm-up included: the allocator's pool grows there).
 *
 * @param fn one iteration's work
 * @param device the benchmark's device (default cpu)
 */
export async function measure(fn: (i: number) => Promise<unknown>, timing: TimingOptions, device = 'cpu'): Promise<Timed> {
  const gpu = startGpuMemory(device);
  const probe = startPeakRss();
  const { stats } = await timeIterations(fn, timing);
  const memory = probe.stop();
  const gpuMemory = await gpu.stop();
  return { latency: stats, memory, ...(gpuMemory ? { gpuMemory } : {}) };
}

/**
 * Throughput, achieved GFLOP/s and the fraction of the machine's practical peak of a timing.
 *
 * @param itemsPerIteration images, texts, pairs... processed by one iteration
 * @param flopsPerIteration analytic FLOPs of one iteration (omit when not meaningful)
 * @param peakGflops the machine's measured matmul rate
 */
export function measurement(timed: { latency: LatencyStats; memory?: MemoryStats; gpuMemory?: GpuMemoryStats }, itemsPerIteration: number, flopsPerIteration: number | undefined, peakGflops: number): Measurement {
  const seconds = timed.latency.medianMs / 1000;
  const m: Measurement = { latency: timed.latency, throughput: itemsPerIteration / seconds };
  if (flopsPerIteration !== undefined && seconds > 0) {
    m.gflops = flopsPerIteration / seconds / 1e9;
    if (peakGflops > 0) m.fractionOfPeak = m.gflops / peakGflops;
  }
  if (timed.memory) m.memory = timed.memory;
  if (timed.gpuMemory) m.gpuMemory = timed.gpuMemory;
  return m;
}

/** A result entry from its description and our timing. */
export function makeResult(
  head: Omit<BenchResult, keyof Measurement | 'warmup' | 'iterations'>,
  timing: TimingOptions,
  timed: Timed,
  itemsPerIteration: number,
  peakGflops: number,
  extra?: Record<string, number | string>
): BenchResult {
  const m = measurement(timed, itemsPerIteration, head.flopsPerIteration, peakGflops);
  return { ...head, warmup: timing.warmup, iterations: timing.iterations, ...m, ...(extra ? { extra } : {}) };
}
