/**
 * Puts the PyTorch reference's timing next to ours: the same statistics and GFLOP/s from its raw
 * samples (it processes as many items per iteration as we do), and the ratio of our median latency
 * to its median.
 */
import { measurement } from './measure';
import type { ReferenceCaseOutput } from './reference-spec';
import { latencyStats } from './timing';
import type { BenchResult } from './types';

/** Fills `reference` and `ratio` of a result from the reference's answer. */
export function attachReference(r: BenchResult, ref: ReferenceCaseOutput, peakGflops: number): void {
  if (ref.error || ref.samplesMs.length === 0) {
    r.reference = { status: 'failed', reason: ref.error ?? 'no samples' };
    return;
  }
  const latency = latencyStats(ref.samplesMs);
  const memory = ref.peakRssMb !== undefined ? { peakRssMb: ref.peakRssMb, rssBeforeMb: ref.rssBeforeMb ?? 0, scope: ref.memoryScope ?? 'process' } : undefined;
  const gpuMemory =
    ref.gpuAllocatedPeakMb !== undefined
      ? { peakMb: ref.gpuAllocatedPeakMb, beforeMb: 0, scope: 'allocator' as const, source: 'torch.cuda.max_memory_allocated', reservedPeakMb: ref.gpuReservedPeakMb }
      : undefined;
  const items = (r.throughput * r.latency.medianMs) / 1000;
  const m = measurement({ latency, memory, gpuMemory }, items, r.flopsPerIteration, peakGflops);
  r.reference = { status: 'ok', ...m, ...(ref.extra ? { extra: ref.extra } : {}) };
  r.ratio = r.latency.medianMs / latency.medianMs;
}
