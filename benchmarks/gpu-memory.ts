/**
 * Peak GPU memory of this process while a benchmark runs, sampled with nvidia-smi every 50 ms (the
 * addon exposes no CUDA allocator statistics). nvidia-smi counts what the process holds from the
 * driver: the caching allocator's reserved memory plus the CUDA context, so it is an upper bound of
 * the allocated peak. When nvidia-smi lists no process (some containers) the device's whole used
 * memory is sampled instead and marked so.
 */
import { execFile } from 'child_process';
import type { GpuMemoryStats } from './types';

const INTERVAL_MS = 50;

function smi(args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', args, { timeout: 5000 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

/** MiB this process holds on the GPU (per-process query), or the device's used MiB, or undefined. */
async function sample(pid: number): Promise<{ mb: number; scope: GpuMemoryStats['scope'] } | undefined> {
  const apps = await smi(['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits']);
  if (apps !== undefined) {
    const mine = apps
      .split('\n')
      .map((l) => l.split(',').map((x) => x.trim()))
      .filter((f) => Number(f[0]) === pid);
    if (mine.length > 0) return { mb: mine.reduce((a, f) => a + Number(f[1]), 0), scope: 'process' };
  }
  const used = await smi(['--query-gpu=memory.used', '--format=csv,noheader,nounits', '--id=0']);
  if (used === undefined || !Number.isFinite(Number(used.trim()))) return undefined;
  return { mb: Number(used.trim()), scope: 'device' };
}

export interface GpuMemoryProbe {
  stop(): Promise<GpuMemoryStats | undefined>;
}

/** Starts sampling; a probe on the CPU does nothing and reports nothing. */
export function startGpuMemory(device: string): GpuMemoryProbe {
  if (!device.startsWith('cuda')) return { stop: async () => undefined };
  let peak: { mb: number; scope: GpuMemoryStats['scope'] } | undefined;
  let running = true;
  let before: number | undefined;
  const loop = (async () => {
    while (running) {
      const s = await sample(process.pid);
      if (s) {
        if (before === undefined) before = s.mb;
        if (!peak || s.mb > peak.mb) peak = s;
      }
      await new Promise((r) => setTimeout(r, INTERVAL_MS));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak ? { peakMb: peak.mb, beforeMb: before ?? peak.mb, scope: peak.scope, source: 'nvidia-smi' } : undefined;
    },
  };
}
