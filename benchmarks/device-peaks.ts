/**
 * Nominal dense matrix-math peaks of the GPUs the suite reports MFU for (vendor datasheets, dense, no
 * sparsity), and the MFU of a measurement: achieved FLOP/s from the analytic counts of flops.ts over
 * the nominal peak of the precision it ran in. Devices not in the table get no MFU (only the fraction
 * of the measured matmul peak); the CPU never has one.
 */
import type { Precision } from '../lib/config/model-config';

export interface NominalPeak {
  /** What the table matched. */
  device: string;
  /** GFLOP/s per precision: fp32 is plain FP32 (TF32 off, LibTorch's default for matmul). */
  gflops: Partial<Record<Precision, number>>;
  source: string;
}

const TABLE: Array<{ match: RegExp; device: string; gflops: Partial<Record<Precision, number>> }> = [
  // H200 SXM has the H100 SXM's compute (more and faster memory only).
  { match: /H200/i, device: 'NVIDIA H200 (SXM)', gflops: { fp32: 66_900, bf16: 989_400, fp16: 989_400 } },
  { match: /H100.*PCIe/i, device: 'NVIDIA H100 PCIe', gflops: { fp32: 51_200, bf16: 756_000, fp16: 756_000 } },
  { match: /H100/i, device: 'NVIDIA H100 (SXM)', gflops: { fp32: 66_900, bf16: 989_400, fp16: 989_400 } },
  { match: /A100/i, device: 'NVIDIA A100', gflops: { fp32: 19_500, bf16: 312_000, fp16: 312_000 } },
];

/** The nominal peaks of a CUDA device by its name, or undefined when the table does not know it. */
export function nominalPeak(deviceName: string): NominalPeak | undefined {
  const row = TABLE.find((r) => r.match.test(deviceName));
  return row ? { device: row.device, gflops: row.gflops, source: 'vendor datasheet, dense' } : undefined;
}

/**
 * Model FLOPs utilisation.
 *
 * @param gflops achieved GFLOP/s (analytic FLOPs / median latency)
 * @returns the fraction of the nominal peak of `precision`, or undefined without a nominal peak
 */
export function mfu(gflops: number | undefined, peak: NominalPeak | undefined, precision: Precision): number | undefined {
  const p = peak?.gflops[precision];
  return gflops !== undefined && p ? gflops / p : undefined;
}
