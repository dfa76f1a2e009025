/** What the gallery-store benchmarks share: a seeded generator, resident memory, percentiles, the report. */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../../lib/io/atomic';
import { describeMachine } from '../machine';
import { resetPeakRss, statusKb } from '../memory';
import { nowMs } from '../timing';
import type { MachineDescription } from '../types';

export { nowMs, resetPeakRss };

/** A seeded uniform generator in [0, 1) (LCG) and standard normals from it (Box–Muller). */
export function generator(seed: number): { uniform: () => number; normal: () => number } {
  let s = seed >>> 0;
  const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  let spare: number | undefined;
  const normal = () => {
    if (spare !== undefined) {
      const v = spare;
      spare = undefined;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const t = 2 * Math.PI * uniform();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
  return { uniform, normal };
}

export function normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

/** Resident memory now and its high-water mark since the last reset, in MiB (Linux; NaN elsewhere). */
export function rssMb(): { rss: number; peak: number } {
  return { rss: (statusKb('VmRSS') ?? NaN) / 1024, peak: (statusKb('VmHWM') ?? NaN) / 1024 };
}

/** Nearest-rank percentile of latencies. */
export function percentile(samples: readonly number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
}

export function latency(samples: readonly number[]): { samples: number; p50Ms: number; p99Ms: number; meanMs: number } {
  return { samples: samples.length, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99), meanMs: samples.reduce((a, b) => a + b, 0) / samples.length };
}

/** Bytes under a folder. */
export function folderBytes(p: string): number {
  let total = 0;
  for (const e of fs.readdirSync(p, { withFileTypes: true })) {
    const q = path.join(p, e.name);
    total += e.isDirectory() ? folderBytes(q) : fs.statSync(q).size;
  }
  return total;
}

/** The machine, with its measured fp32 matmul rate (the figure every result is read against). */
export async function machine(): Promise<MachineDescription> {
  return describeMachine([512, 1024, 2048], 'cpu');
}

/** Writes the JSON report atomically (rewritten after each stage, so a stopped run leaves what it measured). */
export async function writeReport(file: string, report: unknown): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, Buffer.from(JSON.stringify(report, null, 1) + '\n'));
}

/** `--name value` flags. */
export function flags(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) throw new Error(`unexpected argument '${argv[i]}'`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out.set(argv[i].slice(2), 'true');
    else {
      out.set(argv[i].slice(2), next);
      i++;
    }
  }
  return out;
}

export function progress(label: string, done: number, total: number, startMs: number): void {
  const s = (nowMs() - startMs) / 1000;
  const rate = done / Math.max(s, 1e-9);
  process.stderr.write(`\r${label}: ${done}/${total} (${rate.toFixed(0)} items/s, ETA ${((total - done) / Math.max(rate, 1e-9)).toFixed(0)} s)   ${done === total ? '\n' : ''}`);
}
