/**
 * What this process runs on: LibTorch (version, location), CUDA devices, the BLAS library in use,
 * thread settings and where the native binary came from; the facts `uniadapter doctor` reports.
 */
import * as os from 'os';
import { binarySource } from './addon';
import { utility } from './dispatch';
import { UniAdapterError } from '../errors';

export interface RuntimeReport {
  package: { version: string; node: string; platform: string; arch: string };
  binary: { path: string; kind: 'local-build' | 'prebuild' };
  libtorch: { version: string; library: string; cudaCompiled: boolean; distributed: boolean };
  cuda: { available: boolean; deviceCount: number; devices: Array<{ index: number; name: string; capability: string; memoryBytes: number }> };
  blas: { kind: string; libraries: string[]; gflopsMeasured: number };
  threads: { intraop: number; interop: number; cpus: number; recommendedIntraop: number };
  warnings: string[];
}

/** Sets LibTorch's intra-op thread count for this process (all models share it). */
export async function setThreads(n: number): Promise<void> {
  if (!Number.isInteger(n) || n < 1) throw new UniAdapterError('ERR_ARG', `thread count must be a positive integer, got ${n}`);
  await utility.set_threads({}, { threads: n });
}

/**
 * With openblas-pthread, OpenBLAS already uses every core for a matmul; more LibTorch threads
 * oversubscribe the cores (measured 2-3x slower on 2 cores), so keep one. Otherwise use all cores.
 */
export function recommendedThreads(blasKind: string): number {
  return blasKind === 'openblas-pthread' ? 1 : os.cpus().length;
}

/** The BLAS library LibTorch runs on (openblas-pthread, openblas-openmp, mkl, reference, …). */
export async function blasKind(): Promise<string> {
  return (await utility.info({}, {})).info.blas.kind;
}

/** The intra-op thread count this machine's BLAS wants (see recommendedThreads). */
export async function defaultThreads(): Promise<number> {
  return recommendedThreads(await blasKind());
}

export async function runtimeReport(options: { measure?: boolean } = {}): Promise<RuntimeReport> {
  const info = (await utility.info({}, {})).info;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const pkg = require('../../package.json') as { version: string };
  const cudaInfo = info.cuda ?? {};
  const names: string[] = cudaInfo.names ?? [];
  const gflops = options.measure === false ? 0 : (await utility.gemm({}, { n: 512, iterations: 8 })).info.gflops;
  const report: RuntimeReport = {
    package: { version: pkg.version, node: process.version, platform: process.platform, arch: process.arch },
    binary: binarySource(),
    libtorch: {
      version: info.torch.version,
      library: info.torch.library,
      cudaCompiled: !!cudaInfo.compiled,
      distributed: !!info.distributed,
    },
    cuda: {
      available: !!cudaInfo.available,
      deviceCount: cudaInfo.deviceCount ?? 0,
      devices: names.map((name, index) => ({
        index,
        name,
        capability: cudaInfo.capabilities?.[index] ?? '',
        memoryBytes: cudaInfo.memory?.[index] ?? 0,
      })),
    },
    blas: { kind: info.blas.kind, libraries: String(info.blas.mapped || '').split(';').filter(Boolean), gflopsMeasured: gflops },
    threads: { intraop: info.threads.intraop, interop: info.threads.interop, cpus: os.cpus().length, recommendedIntraop: recommendedThreads(info.blas.kind) },
    warnings: [],
  };
  if (report.blas.kind === 'reference') {
    report.warnings.push(
      'LibTorch is using the REFERENCE BLAS (about 50x slower than an optimised one). Fix: ' +
        'apt-get install libopenblas0-pthread (Debian/Ubuntu switch libblas.so.3 to OpenBLAS through alternatives; no rebuild needed).'
    );
  }
  if (report.threads.intraop > report.threads.recommendedIntraop && report.blas.kind === 'openblas-pthread') {
    report.warnings.push(`${report.threads.intraop} LibTorch threads with openblas-pthread oversubscribe the cores; set threads to 1.`);
  }
  return report;
}
