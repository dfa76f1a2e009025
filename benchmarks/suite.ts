/**
 * The benchmark suite: sets the thread count, describes the machine (with its measured matmul peak),
 * runs the chosen benchmarks, optionally runs the plain-PyTorch reference of the same computations,
 * writes the JSON report and prints a summary table. Entry point of `uniadapter bench`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BENCHMARK_NAMES, type BenchmarkName, type BenchOptions } from '../lib/cli/bench';
import type { CliIO } from '../lib/cli/command';
import type { ResolvedModelConfig, Precision } from '../lib/config/model-config';
import { Rng } from '../lib/data/rng';
import { UniAdapterError } from '../lib/errors';
import { writeFileAtomic } from '../lib/io/atomic';
import { recommendedThreads, runtimeReport, setThreads } from '../lib/native/runtime-info';
import { runCaption } from './cases/caption';
import { runDataPath } from './cases/data-path';
import { runItm } from './cases/itm';
import { runRetrievalEval } from './cases/retrieval-eval';
import { runTextEncoder } from './cases/text-encoder';
import { runTrainStep } from './cases/train-step';
import { runVit } from './cases/vit';
import { attachReference } from './compare';
import type { BenchmarkCase, CaseContext } from './context';
import { describeMachine } from './machine';
import { ModelCache } from './model-cache';
import { suitePlan } from './plan';
import { DEFAULT_PYTHONS, probeReference } from './reference-probe';
import { ReferenceSession } from './reference-session';
import type { ReferenceCase } from './reference-spec';
import { machineLine, markdownTable } from './report';
import { nowMs } from './timing';
import { mfu } from './device-peaks';
import { REPORT_FORMAT, type BenchReport, type BenchResult, type MachineDescription, type ReferenceInfo } from './types';

const CASES: Record<BenchmarkName, BenchmarkCase> = {
  vit: runVit,
  text: runTextEncoder,
  itm: runItm,
  train: runTrainStep,
  caption: runCaption,
  eval: runRetrievalEval,
  data: runDataPath,
};

/** Benchmarks after which the shared retrieval models are no longer needed. */
const LAST_RETRIEVAL_USER: BenchmarkName = 'train';

/** Starts the reference when --compare asks for it; says why not when it cannot. */
async function startReference(options: BenchOptions, threads: number, interop: number, log: (l: string) => void): Promise<{ session?: ReferenceSession; info: ReferenceInfo }> {
  if (!options.compare) return { info: { available: false, reason: 'not requested (--compare)' } };
  const probe = await probeReference(options.python ? [options.python] : DEFAULT_PYTHONS);
  if (!probe.ok) {
    log(`PyTorch comparison unavailable: ${probe.reason}`);
    return { info: { available: false, reason: probe.reason } };
  }
  try {
    const session = await ReferenceSession.start(probe.interpreter, { device: options.device, threads, interopThreads: interop, seed: 0 }, (l) => log(`  [pytorch] ${l}`));
    const v = session.versions;
    log(`reference: plain PyTorch ${v.torch} (${probe.interpreter}, Python ${v.python}), ${v.threads} intra-op / ${v.interopThreads} inter-op thread(s)`);
    return { session, info: { available: true, interpreter: probe.interpreter, python: v.python, torch: v.torch, threads: v.threads, interopThreads: v.interopThreads } };
  } catch (e) {
    const reason = `the reference did not start: ${(e as Error).message}`;
    log(`PyTorch comparison failed: ${reason}`);
    return { info: { available: true, interpreter: probe.interpreter, torch: probe.torch, python: probe.python, reason } };
  }
}

function precisionOf(r: BenchResult): Precision {
  return (r.config.precision as Precision | undefined) ?? 'fp32';
}

/**
 * GFLOP/s against the peak of the precision the result ran in: the measured bf16 matmul for bf16
 * (when measured), else the fp32 one; and the MFU against the device's nominal peak, both sides.
 */
function annotatePeaks(r: BenchResult, machine: MachineDescription): void {
  const precision = precisionOf(r);
  const measured = precision === 'bf16' && machine.gemmBf16 ? Math.max(...machine.gemmBf16.map((g) => g.gflops)) : machine.practicalPeakGflops;
  const nominal = machine.nominalPeak ? { device: machine.nominalPeak.device, gflops: machine.nominalPeak.gflops, source: machine.nominalPeak.source } : undefined;
  const apply = (m: { gflops?: number; fractionOfPeak?: number; mfu?: number }) => {
    if (m.gflops === undefined) return;
    if (measured > 0) m.fractionOfPeak = m.gflops / measured;
    const u = mfu(m.gflops, nominal, precision);
    if (u !== undefined) m.mfu = u;
  };
  apply(r);
  if (r.reference?.status === 'ok') apply(r.reference);
}

function finishReferenceFields(options: BenchOptions, reference: ReferenceInfo, results: BenchResult[]): void {
  if (!options.compare) return;
  const why = reference.available ? 'no PyTorch counterpart for this benchmark' : reference.reason ?? 'no reference';
  for (const r of results) if (!r.reference) r.reference = { status: reference.available ? 'not-implemented' : 'unavailable', reason: why };
}

function buildReport(
  options: BenchOptions,
  machine: MachineDescription,
  reference: ReferenceInfo,
  results: BenchResult[],
  failures: Array<{ benchmark: BenchmarkName; error: string }>,
  started: number,
  mode: 'quick' | 'full'
): BenchReport {
  return {
    format: REPORT_FORMAT,
    createdAt: new Date().toISOString(),
    mode,
    config: options.config,
    device: options.device,
    precisions: options.precisions,
    machine,
    reference,
    results,
    totalSeconds: (nowMs() - started) / 1000,
    ...(failures.length ? { failures } : {}),
  };
}

async function writeReport(file: string, report: BenchReport): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, Buffer.from(JSON.stringify(report, null, 2) + '\n'));
}

/**
 * Runs the suite.
 *
 * @returns the exit code: 0, or 1 when a benchmark or the reference failed
 */
export async function runSuite(options: BenchOptions, io: CliIO): Promise<number> {
  const started = nowMs();
  const log = (line: string) => io.stderr.write(line + '\n');
  const rt = await runtimeReport({ measure: false });
  if (options.device === 'cuda' && !rt.cuda.available) {
    throw new UniAdapterError('ERR_DEVICE', '--device cuda: this build of LibTorch sees no CUDA device (see `uniadapter doctor`)');
  }
  const threads = options.threads ?? recommendedThreads(rt.blas.kind);
  await setThreads(threads);
  const plan = suitePlan(options);
  const mode = options.quick ? 'quick' : 'full';
  log(`uniadapter bench: ${mode} mode, ${options.config}, ${options.device}, ${threads} intra-op thread(s)`);
  const machine = await describeMachine(plan.gemmSizes, options.device, options.precisions.includes('bf16'));
  log(`machine: ${machine.cpu.model}; matmul ${machine.gemm.map((g) => `${g.n}: ${g.gflops.toFixed(0)}`).join(', ')} GFLOP/s`);
  if (machine.gemmBf16) log(`  bf16 matmul ${machine.gemmBf16.map((g) => `${g.n}: ${g.gflops.toFixed(0)}`).join(', ')} GFLOP/s`);

  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-bench-'));
  const models = new ModelCache(options.config, options.device, log);
  const ref = await startReference(options, threads, machine.threads.interop, log);
  const reference = ref.info;
  let referenceSeconds = 0;
  const modelKeys = new Map<string, string>();
  const ctx: CaseContext = {
    options,
    plan,
    peakGflops: machine.practicalPeakGflops,
    rng: new Rng(20240501),
    tmpDir,
    log,
    models,
    async compare(result, model: ResolvedModelConfig, what) {
      if (!ref.session) {
        if (options.compare) result.reference = { status: reference.reason && reference.available ? 'failed' : 'unavailable', reason: reference.reason ?? 'no reference' };
        return;
      }
      const json = JSON.stringify(model);
      let key = modelKeys.get(json);
      if (!key) {
        key = `m${modelKeys.size}`;
        modelKeys.set(json, key);
      }
      const c: ReferenceCase = { id: result.id, model: key, warmup: result.warmup, iterations: result.iterations, kind: what.kind, params: what.params };
      const t0 = nowMs();
      try {
        const out = await ref.session.run(c, model, options.quick ? 120000 : 1800000);
        attachReference(result, out, machine.practicalPeakGflops);
        if (result.ratio !== undefined) log(`  ${result.id}: PyTorch median ${result.reference?.status === 'ok' ? result.reference.latency.medianMs.toFixed(1) : '?'} ms, ours / PyTorch ${result.ratio.toFixed(2)}`);
      } catch (e) {
        result.reference = { status: 'failed', reason: (e as Error).message };
        reference.reason = (e as Error).message;
        log(`  ${result.id}: PyTorch reference failed: ${(e as Error).message}`);
      } finally {
        referenceSeconds += (nowMs() - t0) / 1000;
      }
    },
  };

  const results: BenchResult[] = [];
  const failures: Array<{ benchmark: BenchmarkName; error: string }> = [];
  const names = options.only ?? [...BENCHMARK_NAMES];
  try {
    for (const name of names) {
      log(`[${name}]`);
      const t0 = nowMs();
      try {
        const rs = await CASES[name](ctx);
        for (const r of rs) annotatePeaks(r, machine);
        for (const r of rs) log(`  ${r.title}: median ${r.latency.medianMs.toFixed(1)} ms, ${r.throughput.toFixed(2)} ${r.throughputUnit}${r.gflops !== undefined ? `, ${r.gflops.toFixed(1)} GFLOP/s` : ''}`);
        results.push(...rs);
      } catch (e) {
        const error = (e as Error)?.message ?? String(e);
        failures.push({ benchmark: name, error });
        log(`  FAILED: ${error}`);
      }
      log(`  (${((nowMs() - t0) / 1000).toFixed(1)} s)`);
      // A partial report after every benchmark: a run stopped by a time limit keeps what it measured.
      await writeReport(options.out, { ...buildReport(options, machine, reference, results, failures, started, mode), partial: true });
      if (name === LAST_RETRIEVAL_USER) {
        await models.disposeAll();
        await ref.session?.release().catch(() => undefined);
      }
    }
  } finally {
    await models.disposeAll();
    await ref.session?.close();
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  finishReferenceFields(options, reference, results);
  if (reference.available) reference.seconds = referenceSeconds;
  machine.loadAverage.end = os.loadavg();
  const report = buildReport(options, machine, reference, results, failures, started, mode);
  await writeReport(options.out, report);
  io.stdout.write(`${machineLine(report)}\n\n${markdownTable(report)}\n\nwrote ${options.out} (${report.totalSeconds.toFixed(1)} s)\n`);
  const refFailed = options.compare && reference.available && (reference.reason !== undefined || results.some((r) => r.reference?.status === 'failed'));
  return failures.length > 0 || refFailed ? 1 : 0;
}
