/**
 * Peak resident memory of one benchmark. On Linux the process's high-water mark (VmHWM) is reset by
 * writing 5 to /proc/self/clear_refs, so the peak read afterwards belongs to the benchmark alone;
 * elsewhere the process-lifetime peak is reported and marked as such.
 */
import * as fs from 'fs';
import type { MemoryStats } from './types';

const MB = 1024 * 1024;

/** A field of /proc/self/status in kB (Linux), or undefined. */
export function statusKb(field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Resets the process's resident high-water mark (Linux: /proc/self/clear_refs); false where it cannot. */
export function resetPeakRss(): boolean {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** A running measurement: call `stop()` when the benchmark ends. */
export interface PeakRssProbe {
  stop(): MemoryStats;
}

/** Starts measuring the peak resident memory from now on. */
export function startPeakRss(): PeakRssProbe {
  const rssBeforeMb = process.memoryUsage.rss() / MB;
  const scope: MemoryStats['scope'] = resetPeakRss() && statusKb('VmHWM') !== undefined ? 'benchmark' : 'process';
  return {
    stop(): MemoryStats {
      const hwm = scope === 'benchmark' ? statusKb('VmHWM') : undefined;
      const peakRssMb = hwm !== undefined ? hwm / 1024 : process.resourceUsage().maxRSS / 1024;
      return { peakRssMb, rssBeforeMb, scope: hwm !== undefined ? 'benchmark' : 'process' };
    },
  };
}
