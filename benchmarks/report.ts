/** The human-readable summary of a report: one Markdown table row per result. */
import type { BenchReport, BenchResult } from './types';

function num(x: number | undefined, digits = 1): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 1000) return x.toFixed(0);
  if (Math.abs(x) >= 100) return x.toFixed(Math.min(digits, 1));
  if (Math.abs(x) >= 1) return x.toFixed(Math.max(digits, 1));
  return x.toPrecision(2);
}

function refCell(r: BenchResult): [string, string] {
  const ref = r.reference;
  if (!ref) return ['–', '–'];
  if (ref.status !== 'ok') return [ref.status === 'failed' ? 'failed' : 'n/a', '–'];
  return [num(ref.latency.medianMs), r.ratio !== undefined ? r.ratio.toFixed(2) : '–'];
}

function pct(x: number | undefined): string {
  return x !== undefined ? (100 * x).toFixed(0) : '–';
}

/**
 * A Markdown table of every result: latency, throughput, GFLOP/s, % of peak, peak RSS (and RSS
 * before), and the PyTorch comparison; on CUDA also MFU and the peak GPU memory of both sides.
 */
export function markdownTable(report: BenchReport): string {
  const gpu = report.device.startsWith('cuda');
  const head = `| benchmark | median ms | p90 ms | throughput | GFLOP/s | % peak |${gpu ? ' MFU % | GPU peak MiB | PyTorch GPU peak MiB |' : ''} peak RSS MiB (before) | PyTorch median ms | ours / PyTorch |`;
  const sep = `|---|---:|---:|---:|---:|---:|${gpu ? '---:|---:|---:|' : ''}---:|---:|---:|`;
  const rows = report.results.map((r) => {
    const [refMs, ratio] = refCell(r);
    const refGpu = r.reference?.status === 'ok' ? r.reference.gpuMemory : undefined;
    const gpuCells = gpu ? ` ${pct(r.mfu)} | ${r.gpuMemory ? r.gpuMemory.peakMb.toFixed(0) : '–'} | ${refGpu ? refGpu.peakMb.toFixed(0) : '–'} |` : '';
    return `| ${r.title} | ${num(r.latency.medianMs)} | ${num(r.latency.p90Ms)} | ${num(r.throughput)} ${r.throughputUnit} | ${num(r.gflops)} | ${pct(r.fractionOfPeak)} |${gpuCells} ${r.memory ? `${r.memory.peakRssMb.toFixed(0)} (${r.memory.rssBeforeMb.toFixed(0)})` : '–'} | ${refMs} | ${ratio} |`;
  });
  return [head, sep, ...rows].join('\n');
}

/** The machine in one line. */
export function machineLine(report: BenchReport): string {
  const m = report.machine;
  return (
    `${m.cpu.model}, ${m.cpu.logicalCores} logical cores, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, ${m.os.name}, Node ${m.node}, ` +
    `LibTorch ${m.libtorch.version}, BLAS ${m.blas.kind}, intra-op threads ${m.threads.intraop}, ` +
    `matmul peak ${m.practicalPeakGflops.toFixed(0)} GFLOP/s`
  );
}
