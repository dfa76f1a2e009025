/**
 * The description of the machine a report was measured on: CPU, memory, OS, Node, LibTorch, BLAS,
 * thread settings, and the measured fp32 matmul rate that serves as the machine's practical peak.
 */
import * as fs from 'fs';
import * as os from 'os';
import { utility } from '../lib/native/dispatch';
import { runtimeReport } from '../lib/native/runtime-info';
import { nominalPeak } from './device-peaks';
import type { GemmMeasurement, MachineDescription } from './types';

const THREAD_ENV = ['OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS', 'UV_THREADPOOL_SIZE'];

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1];
  } catch {
    // not Linux, or no os-release
  }
  return `${os.type()} ${os.release()}`;
}

/**
 * fp32 square matmuls of each size on the device; the best rate is the practical peak.
 *
 * @param sizes matrix sides (e.g. 512, 1024, 2048)
 */
export async function measureGemm(sizes: number[], device: string, dtype: 'float32' | 'bfloat16' = 'float32'): Promise<GemmMeasurement[]> {
  const out: GemmMeasurement[] = [];
  for (const n of sizes) {
    // Enough iterations for ~2 GFLOP of work per size, at least 2.
    const iterations = Math.max(2, Math.round(2e9 / (2 * n * n * n)));
    const r = await utility.gemm({}, { n, iterations, device, dtype });
    out.push({ n, gflops: r.info.gflops as number });
  }
  return out;
}

/**
 * Describes this machine and process (call after the thread count is set).
 *
 * @param gemmSizes matmul sizes to measure the practical peak with
 * @param bf16 also measure bf16 matmuls (the peak bf16 figures are compared with)
 */
export async function describeMachine(gemmSizes: number[], device: string, bf16 = false): Promise<MachineDescription> {
  const loadStart = os.loadavg();
  const rt = await runtimeReport({ measure: false });
  const gemm = await measureGemm(gemmSizes, device);
  const gemmBf16 = bf16 ? await measureGemm(gemmSizes, device, 'bfloat16') : undefined;
  const peak = device.startsWith('cuda') && rt.cuda.devices[0] ? nominalPeak(rt.cuda.devices[0].name) : undefined;
  const env: Record<string, string> = {};
  for (const k of THREAD_ENV) if (process.env[k] !== undefined) env[k] = process.env[k] as string;
  const cpus = os.cpus();
  return {
    cpu: { model: cpus[0]?.model?.trim() ?? 'unknown', logicalCores: cpus.length },
    memoryBytes: os.totalmem(),
    os: { name: osName(), kernel: os.release(), platform: process.platform, arch: process.arch },
    node: process.version,
    libtorch: { version: rt.libtorch.version, library: rt.libtorch.library, cudaCompiled: rt.libtorch.cudaCompiled },
    blas: { kind: rt.blas.kind, libraries: rt.blas.libraries },
    threads: { intraop: rt.threads.intraop, interop: rt.threads.interop, env },
    cuda: { available: rt.cuda.available, devices: rt.cuda.devices.map((d) => `${d.name} (${(d.memoryBytes / 2 ** 30).toFixed(1)} GiB)`) },
    gemm,
    practicalPeakGflops: Math.max(...gemm.map((g) => g.gflops)),
    ...(gemmBf16 ? { gemmBf16 } : {}),
    ...(peak ? { nominalPeak: { device: peak.device, gflops: peak.gflops as Record<string, number>, source: peak.source } } : {}),
    loadAverage: { start: loadStart },
  };
}
