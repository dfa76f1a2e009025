/** Timing of repeated asynchronous calls: warm-up, then per-iteration wall-clock latencies and their statistics. */
import type { LatencyStats } from './types';

export interface TimingOptions {
  /** Untimed calls first (allocator, caches, lazy initialisation). */
  warmup: number;
  /** Timed calls. */
  iterations: number;
}

/** The median (the mean of the two middle values for an even count); NaN for no values. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * Median, nearest-rank p90, mean, min and max of latencies in milliseconds.
 *
 * @param samplesMs one latency per timed iteration (at least one)
 */
export function latencyStats(samplesMs: readonly number[]): LatencyStats {
  if (samplesMs.length === 0) throw new Error('latencyStats needs at least one sample');
  const s = [...samplesMs].sort((a, b) => a - b);
  const n = s.length;
  const p90 = s[Math.max(0, Math.ceil(0.9 * n) - 1)];
  const mean = s.reduce((a, b) => a + b, 0) / n;
  return { samples: n, medianMs: median(s), p90Ms: p90, meanMs: mean, minMs: s[0], maxMs: s[n - 1] };
}

/** Milliseconds since an arbitrary origin, with sub-millisecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Calls `fn` `warmup` times untimed, then `iterations` times timed, one call at a time.
 *
 * @param fn the work of one iteration; `i` counts the timed iterations from 0 (-1 during warm-up)
 * @returns the latency statistics and the raw samples
 */
export async function timeIterations(fn: (i: number) => Promise<unknown>, options: TimingOptions): Promise<{ stats: LatencyStats; samplesMs: number[] }> {
  for (let w = 0; w < options.warmup; w++) await fn(-1);
  const samplesMs: number[] = [];
  for (let i = 0; i < options.iterations; i++) {
    const t0 = nowMs();
    await fn(i);
    samplesMs.push(nowMs() - t0);
  }
  return { stats: latencyStats(samplesMs), samplesMs };
}
