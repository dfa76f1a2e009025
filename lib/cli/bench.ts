/**
 * `uniadapter bench`: runs the benchmark suite of the source repository (benchmarks/) and writes its
 * JSON report. The suite is not part of the published package; from dist/ it is loaded through tsx
 * (a development dependency), under ts-jest or tsx it is required directly.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Precision } from '../config/model-config';
import { UniAdapterError } from '../errors';
import { PACKAGE_ROOT } from '../native/addon';
import { intOption, parseCommandArgs, type CliIO, type Command } from './command';

/** The benchmarks of the suite, in the order they run. */
export const BENCHMARK_NAMES = ['vit', 'text', 'itm', 'train', 'caption', 'eval', 'data'] as const;
export type BenchmarkName = (typeof BENCHMARK_NAMES)[number];

/** Model sizes the suite knows: the tiny development configuration and BLIP-base. */
export type BenchConfigName = 'tiny' | 'blip-base';

/** What one run of the suite does. */
export interface BenchOptions {
  /** Few iterations and small inputs (what CI runs). */
  quick: boolean;
  config: BenchConfigName;
  device: 'cpu' | 'cuda';
  /** Benchmarks to run (all when undefined). */
  only?: BenchmarkName[];
  /** Run the plain-PyTorch reference side by side and report time ratios. */
  compare: boolean;
  /** Where the JSON report goes. */
  out: string;
  /** LibTorch intra-op threads (default: the recommendation for the BLAS in use). */
  threads?: number;
  /** Python interpreter of the reference (default: python3 on the PATH, then /usr/bin/python3). */
  python?: string;
  /**
   * Precisions the ViT, ITM, caption and training benchmarks run in, each as its own entry (default
   * fp32 alone); the evaluation runs once, in the last one. The reference runs the same (bf16: autocast).
   */
  precisions: Precision[];
}

const usage =
  'uniadapter bench [--quick] [--config tiny|blip-base] [--device cpu|cuda] [--only ' +
  BENCHMARK_NAMES.join(',') +
  '] [--compare] [--out FILE.json] [--threads N] [--python PATH] [--precision fp32,bf16]';

const options = {
  quick: { type: 'boolean' },
  config: { type: 'string' },
  device: { type: 'string' },
  only: { type: 'string' },
  compare: { type: 'boolean' },
  out: { type: 'string' },
  threads: { type: 'string' },
  python: { type: 'string' },
  precision: { type: 'string' },
} as const;

const PRECISIONS: readonly Precision[] = ['fp32', 'bf16'];

/**
 * Turns the command line into suite options (exported for tests).
 *
 * @throws UniAdapterError ERR_ARG naming the flag that is wrong and what it accepts
 */
export function benchOptionsFromArgs(argv: string[]): BenchOptions {
  const { values } = parseCommandArgs(argv, options, usage, false);
  const quick = values.quick === true;
  const config = (values.config as string | undefined) ?? (quick ? 'tiny' : 'blip-base');
  if (config !== 'tiny' && config !== 'blip-base') throw new UniAdapterError('ERR_ARG', `--config must be tiny or blip-base, got '${config}'`);
  const device = (values.device as string | undefined) ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') throw new UniAdapterError('ERR_ARG', `--device must be cpu or cuda, got '${device}'`);
  let only: BenchmarkName[] | undefined;
  if (typeof values.only === 'string') {
    const names = values.only
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    const unknown = names.filter((n) => !(BENCHMARK_NAMES as readonly string[]).includes(n));
    if (names.length === 0 || unknown.length > 0) {
      throw new UniAdapterError('ERR_ARG', `--only: unknown benchmark(s) ${unknown.join(', ') || '(none given)'}; benchmarks are: ${BENCHMARK_NAMES.join(', ')}`);
    }
    only = BENCHMARK_NAMES.filter((n) => names.includes(n));
  }
  const threads = intOption(values.threads as string | undefined, 'threads');
  if (threads !== undefined && threads < 1) throw new UniAdapterError('ERR_ARG', `--threads must be at least 1, got ${threads}`);
  const precisions = typeof values.precision === 'string' ? values.precision.split(',').map((p) => p.trim()) : ['fp32'];
  const badPrecision = precisions.filter((p) => !(PRECISIONS as readonly string[]).includes(p));
  if (precisions.length === 0 || badPrecision.length > 0 || new Set(precisions).size !== precisions.length) {
    throw new UniAdapterError('ERR_ARG', `--precision takes a comma-separated list of distinct ${PRECISIONS.join(', ')}, got '${values.precision}'`);
  }
  const mode = quick ? 'quick' : 'full';
  const out = (values.out as string | undefined) ?? path.join('.bench-out', `${config}-${device}-${mode}.json`);
  return { quick, config, device, only, compare: values.compare === true, out: path.resolve(out), threads, python: values.python as string | undefined, precisions: precisions as Precision[] };
}

/** The entry point benchmarks/suite.ts exports. */
interface SuiteModule {
  runSuite(options: BenchOptions, io: CliIO): Promise<number>;
}

function loadSuite(): SuiteModule {
  // A compiled tree (tsc over lib/ and benchmarks/ together, as the GPU device check carries it) has
  // benchmarks/suite.js beside lib/ and needs no TypeScript loader.
  const compiled = path.join(PACKAGE_ROOT, 'benchmarks', 'suite.js');
  if (!__filename.endsWith('.ts') && fs.existsSync(compiled)) return require(compiled) as SuiteModule;
  const entry = path.join(PACKAGE_ROOT, 'benchmarks', 'suite.ts');
  if (!fs.existsSync(entry)) {
    throw new UniAdapterError('ERR_UNSUPPORTED', `the benchmark suite (${entry}) ships only with the source repository; clone it to run benchmarks`);
  }
  // Under ts-jest or tsx this file is TypeScript and .ts files load as they are; from dist/ tsx is needed.
  if (!__filename.endsWith('.ts')) {
    try {
      const tsx = require('tsx/cjs/api') as { register(): unknown };
      tsx.register();
    } catch (e) {
      throw new UniAdapterError('ERR_UNSUPPORTED', `the benchmark suite needs the development dependency 'tsx' (npm install in the repository): ${(e as Error).message}`, { cause: e });
    }
  }
  return require(entry) as SuiteModule;
}

export const command: Command = {
  name: 'bench',
  summary: 'run the benchmark suite (latency, throughput, GFLOP/s, memory; --compare against plain PyTorch)',
  usage,
  async run(argv, io) {
    const opts = benchOptionsFromArgs(argv);
    return loadSuite().runSuite(opts, io);
  },
};
