/**
 * The CUDA checks of the GPU device check (scripts/device/device-check.sh), as a plain Node script on
 * node:test and node:assert (the device machine has no jest). Every check also runs on the CPU, where
 * the device check's CPU mode rehearses it; where the CPU cannot do what CUDA does, the check says what
 * it does instead (see each check's `details.mode`). Results go to a JSON file, rewritten after every
 * check, so a run stopped by a time limit keeps what it checked.
 *
 * Usage: node cuda-checks.js --device cuda|cpu --golden <golden-tiny folder> --out <checks.json>
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseArgs } from 'node:util';
import type { Device, ModelConfig } from '../../lib/config/model-config';
import { compareTensor } from '../../lib/tools/golden/tolerance';
import { runGoldenCase } from '../../lib/tools/golden/run-case';
import { writeFileAtomic } from '../../lib/io/atomic';
import { readSafetensors } from '../../lib/io/safetensors';
import { RetrievalModel } from '../../lib/model/retrieval-model';
import { runtimeReport } from '../../lib/native/runtime-info';
import { float32, int64, toNumbers, type HostTensor } from '../../lib/tensor';
import { startGpuMemory } from '../../benchmarks/gpu-memory';
import { blipBaseRetrievalConfig, retrievalBatch, smallRetrievalConfig } from './check-models';

const { values } = parseArgs({ options: { device: { type: 'string' }, golden: { type: 'string' }, out: { type: 'string' } } });
const device = (values.device ?? 'cuda') as Device;
if (device !== 'cuda' && device !== 'cpu') throw new Error(`--device must be cuda or cpu, got '${values.device}'`);
if (!values.golden || !values.out) throw new Error('usage: cuda-checks.js --device cuda|cpu --golden <golden-tiny folder> --out <checks.json>');
const goldenDir = path.resolve(values.golden);
const outFile = path.resolve(values.out);
const cuda = device === 'cuda';

/** The fixtures' README tolerances are widened tenfold on the device (other kernels, other summation orders). */
const GOLDEN_TOLERANCE_SCALE = 10;
/** bf16 autocast against fp32 on the same step. */
const BF16_LOSS_RTOL = 0.03;
const BF16_GRAD_GLOBAL_REL_L2 = 0.1;
const BF16_GRAD_MIN_COSINE = 0.98;
/** Gradient checkpointing recomputes the same kernels: same loss and gradients up to float noise. */
const CKPT_LOSS_RTOL = 1e-6;
const CKPT_GRAD_ATOL = 1e-5;
const CKPT_GRAD_RTOL = 1e-4;

interface CheckRecord {
  name: string;
  status: 'passed' | 'failed';
  seconds: number;
  details?: Record<string, unknown>;
  error?: string;
}

const records: CheckRecord[] = [];
const startedAt = new Date().toISOString();

async function writeRecords(): Promise<void> {
  const passed = records.filter((r) => r.status === 'passed').length;
  const report = { format: 'uniadapter-device-checks/1', device, startedAt, updatedAt: new Date().toISOString(), passed, failed: records.length - passed, checks: records };
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  await writeFileAtomic(outFile, Buffer.from(JSON.stringify(report, null, 2) + '\n'));
}

/** One check: a node:test test whose outcome and details are also recorded in the JSON file. */
function check(name: string, body: () => Promise<Record<string, unknown>>): void {
  test(name, async () => {
    const t0 = Date.now();
    try {
      const details = await body();
      records.push({ name, status: 'passed', seconds: (Date.now() - t0) / 1000, details });
    } catch (e) {
      records.push({ name, status: 'failed', seconds: (Date.now() - t0) / 1000, error: (e as Error)?.stack ?? String(e) });
      throw e;
    } finally {
      await writeRecords();
    }
  });
}

async function withModel<T>(config: ModelConfig, fn: (m: RetrievalModel) => Promise<T>): Promise<T> {
  const m = await RetrievalModel.create(config);
  try {
    return await fn(m);
  } finally {
    await m.dispose();
  }
}

/** Loss and gradients of one step without update (dropout off, argmax hard negatives: deterministic). */
async function lossAndGrads(config: ModelConfig, train = false): Promise<{ loss: number; grads: Record<string, HostTensor> }> {
  return withModel(config, async (m) => {
    await m.setSeed(5);
    const r = await m.trainStep(retrievalBatch(4, m.config.vision.imageSize), { lr: 1e-3, alpha: 0.4, train, hardNegatives: 'argmax', update: false });
    return { loss: r.stats.loss, grads: (await m.grads()) };
  });
}

function norm(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

check('runtime', async () => {
  const rt = await runtimeReport({ measure: false });
  if (cuda) {
    assert.equal(rt.libtorch.cudaCompiled, true, 'the addon was built against a LibTorch without CUDA');
    assert.equal(rt.cuda.available, true, 'LibTorch sees no CUDA device');
    assert.ok(rt.cuda.deviceCount >= 1);
  }
  return { libtorch: rt.libtorch, cuda: rt.cuda, binary: rt.binary.kind };
});

check('golden-fp32', async () => {
  const cases = fs
    .readdirSync(goldenDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  assert.ok(cases.length >= 6, `expected the six golden-tiny cases in ${goldenDir}, found ${cases.length}`);
  const perCase: Record<string, { tensors: number; failures: string[] }> = {};
  for (const name of cases) {
    const dir = path.join(goldenDir, name);
    const expected = await readSafetensors(path.join(dir, 'outputs.safetensors'));
    const { outputs } = await runGoldenCase(dir, { device });
    const failures = Object.keys(expected)
      .map((k) => compareTensor(k, expected[k], outputs[k], GOLDEN_TOLERANCE_SCALE))
      .filter((m) => m !== null)
      .map((m) => m!.message);
    perCase[name] = { tensors: Object.keys(expected).length, failures };
  }
  const failed = Object.entries(perCase).filter(([, v]) => v.failures.length > 0);
  assert.deepEqual(failed, [], `golden cases outside ${GOLDEN_TOLERANCE_SCALE}x the fixture tolerances`);
  return { toleranceScale: GOLDEN_TOLERANCE_SCALE, cases: perCase };
});

check('bf16-autocast-train-step', async () => {
  const fp32 = await lossAndGrads(smallRetrievalConfig(device));
  const bf16 = await lossAndGrads(smallRetrievalConfig(device, { precision: 'bf16' }));
  assert.ok(Number.isFinite(bf16.loss), `bf16 loss is ${bf16.loss}`);
  const lossRel = Math.abs(bf16.loss - fp32.loss) / Math.abs(fp32.loss);
  assert.deepEqual(Object.keys(bf16.grads).sort(), Object.keys(fp32.grads).sort());
  let diff2 = 0;
  let ref2 = 0;
  const norms = Object.fromEntries(Object.keys(fp32.grads).map((k) => [k, norm(toNumbers(fp32.grads[k]))]));
  const largest = Math.max(...Object.values(norms));
  let worstCosine = 1;
  let worstName = '';
  for (const k of Object.keys(fp32.grads)) {
    const a = toNumbers(fp32.grads[k]);
    const b = toNumbers(bf16.grads[k]);
    let dot = 0;
    for (let i = 0; i < a.length; i++) {
      diff2 += (a[i] - b[i]) ** 2;
      ref2 += a[i] * a[i];
      dot += a[i] * b[i];
    }
    if (norms[k] >= 0.01 * largest) {
      const cos = dot / (norms[k] * norm(b) || 1);
      if (cos < worstCosine) {
        worstCosine = cos;
        worstName = k;
      }
    }
  }
  const gradRelL2 = Math.sqrt(diff2 / ref2);
  const details = {
    lossFp32: fp32.loss,
    lossBf16: bf16.loss,
    lossRelDiff: lossRel,
    gradGlobalRelL2: gradRelL2,
    worstCosine,
    worstCosineTensor: worstName,
    tolerances: { lossRtol: BF16_LOSS_RTOL, gradGlobalRelL2: BF16_GRAD_GLOBAL_REL_L2, minCosine: BF16_GRAD_MIN_COSINE, cosineOver: 'tensors whose fp32 gradient norm is at least 1% of the largest' },
  };
  assert.ok(lossRel <= BF16_LOSS_RTOL, `bf16 loss differs from fp32 by ${lossRel}: ${JSON.stringify(details)}`);
  assert.ok(gradRelL2 <= BF16_GRAD_GLOBAL_REL_L2, `bf16 gradients differ from fp32 by ${gradRelL2} (relative L2): ${JSON.stringify(details)}`);
  assert.ok(worstCosine >= BF16_GRAD_MIN_COSINE, `bf16 gradient of ${worstName} has cosine ${worstCosine} with fp32`);
  return details;
});

check('fp16-loss-scaler', async () => {
  // On CUDA: fp16 autocast with dynamic loss scaling. The CPU has no fp16 autocast: there the same
  // scaler runs forced on over an fp32 step (test/train-loss-scaling.test.ts does the same).
  const config = cuda ? smallRetrievalConfig(device, { precision: 'fp16' }) : smallRetrievalConfig(device, { lossScaling: 'dynamic' });
  return withModel(config, async (m) => {
    const step = () => m.trainStep(retrievalBatch(4, m.config.vision.imageSize), { lr: 1e-3, alpha: 0.4, train: false, hardNegatives: 'argmax' });
    const flat = async () => {
      const s = await m.stateDict('trainable');
      return Object.keys(s).sort().flatMap((k) => toNumbers(s[k]));
    };
    await m.setLossScale({ scale: 1e38, growthTracker: 2 });
    const before = await flat();
    const overflow = await step();
    assert.equal(overflow.stats.finite, false, 'a loss scaled by 1e38 should overflow');
    assert.equal(overflow.stats.stepped, false, 'an overflowing step must be skipped');
    assert.equal(overflow.stats.lossScale, 5e37);
    assert.deepEqual(await flat(), before, 'a skipped step changed the parameters');
    await m.setLossScale({ scale: 1024, growthTracker: 0 });
    const clean = await step();
    assert.equal(clean.stats.finite, true);
    assert.equal(clean.stats.stepped, true);
    assert.ok(Number.isFinite(clean.stats.loss));
    assert.notDeepEqual(await flat(), before, 'a clean step left the parameters unchanged');
    return { mode: cuda ? 'fp16 autocast, dynamic loss scaling' : 'fp32 step with the dynamic loss scaler forced on (no fp16 autocast on the CPU)', overflowScaleAfter: overflow.stats.lossScale, cleanLoss: clean.stats.loss };
  });
});

check('bf16-frozen-storage', async () => {
  // On CUDA, precision 'bf16' stores the frozen backbone in bf16 ('auto'); the CPU keeps fp32 unless
  // asked, so the rehearsal asks for it explicitly.
  const make = (bf16: boolean): ModelConfig => {
    if (cuda) return blipBaseRetrievalConfig(device, { precision: bf16 ? 'bf16' : 'fp32' });
    return smallRetrievalConfig(device, { frozenDtype: bf16 ? 'bfloat16' : 'float32' });
  };
  const measureModel = async (config: ModelConfig) => {
    const gpu = startGpuMemory(device);
    const rssBefore = process.memoryUsage.rss();
    return withModel(config, async (m) => {
      const info = await m.parameterInfo();
      const rssAfter = process.memoryUsage.rss();
      await new Promise((r) => setTimeout(r, 300));
      const g = await gpu.stop();
      const frozen = info.entries.filter((e) => !e.trainable && ['vision', 'textEncoder', 'textDecoder'].includes(e.group));
      const trainable = info.entries.filter((e) => e.trainable);
      const bytes = (dt: string) => info.entries.filter((e) => e.dtype === dt).reduce((a, e) => a + e.numel * (dt === 'float32' ? 4 : 2), 0);
      return {
        frozenDtypes: [...new Set(frozen.map((e) => e.dtype))],
        trainableDtypes: [...new Set(trainable.map((e) => e.dtype))],
        parameterBytes: { float32: bytes('float32'), bfloat16: bytes('bfloat16') },
        rssDeltaMb: (rssAfter - rssBefore) / 2 ** 20,
        gpuMemory: g,
      };
    });
  };
  if (cuda) await withModel(smallRetrievalConfig(device), async () => undefined); // the CUDA context, before any baseline
  const baseline = cuda ? await (async () => {
    const g = startGpuMemory(device);
    await new Promise((r) => setTimeout(r, 300));
    return (await g.stop())?.peakMb;
  })() : undefined;
  const bf16 = await measureModel(make(true));
  const fp32 = await measureModel(make(false));
  assert.deepEqual(bf16.frozenDtypes, ['bfloat16'], 'the frozen backbone is not stored in bf16');
  assert.deepEqual(fp32.frozenDtypes, ['float32']);
  assert.deepEqual(bf16.trainableDtypes, ['float32'], 'trainable weights must stay fp32 masters');
  const paramBytes = (s: typeof bf16) => s.parameterBytes.float32 + s.parameterBytes.bfloat16;
  const ratio = paramBytes(bf16) / paramBytes(fp32);
  assert.ok(ratio < 0.6, `bf16 storage holds ${ratio} of the fp32 parameter bytes`);
  const details: Record<string, unknown> = { model: cuda ? 'BLIP-base retrieval, 384 px' : 'small retrieval model', bf16, fp32, parameterBytesRatio: ratio };
  if (cuda && baseline !== undefined && bf16.gpuMemory && fp32.gpuMemory) {
    const measured = (bf16.gpuMemory.peakMb - baseline) / (fp32.gpuMemory.peakMb - baseline);
    details.gpuBaselineMb = baseline;
    details.gpuMeasuredRatio = measured;
    assert.ok(measured < 0.75, `measured GPU memory of the bf16 model is ${measured} of the fp32 model's`);
  }
  return details;
});

check('grad-checkpointing', async () => {
  const base = smallRetrievalConfig(device);
  const vision = { ...base.vision, dropPath: 0.1 };
  const plain = await lossAndGrads({ ...base, vision }, true);
  const ckpt = await lossAndGrads({ ...base, vision: { ...vision, gradCheckpointLayers: 2 } }, true);
  const lossRel = Math.abs(ckpt.loss - plain.loss) / Math.abs(plain.loss);
  assert.ok(lossRel <= CKPT_LOSS_RTOL, `checkpointed loss ${ckpt.loss} vs ${plain.loss}`);
  let worst = 0;
  let worstName = '';
  for (const k of Object.keys(plain.grads)) {
    const a = toNumbers(plain.grads[k]);
    const b = toNumbers(ckpt.grads[k]);
    for (let i = 0; i < a.length; i++) {
      const excess = Math.abs(a[i] - b[i]) - (CKPT_GRAD_ATOL + CKPT_GRAD_RTOL * Math.abs(a[i]));
      if (excess > worst) {
        worst = excess;
        worstName = `${k}[${i}]`;
      }
    }
  }
  assert.equal(worst, 0, `gradient ${worstName} differs beyond atol ${CKPT_GRAD_ATOL} + rtol ${CKPT_GRAD_RTOL}`);
  assert.ok(Object.keys(ckpt.grads).some((k) => k.startsWith('adapters.')));
  return { checkpointedLayers: 2, dropPath: 0.1, loss: plain.loss, lossRelDiff: lossRel, tolerances: { lossRtol: CKPT_LOSS_RTOL, gradAtol: CKPT_GRAD_ATOL, gradRtol: CKPT_GRAD_RTOL } };
});

interface WorkerOutcome {
  rank: number;
  loss?: number;
  stepped?: boolean;
  error?: { code: string; message: string };
  exitCode: number | null;
  stderr: string;
}

function runWorkers(worldSize: number, dir: string): Promise<WorkerOutcome[]> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const worker = path.join(__dirname, 'dist-worker.js');
  return Promise.all(
    Array.from({ length: worldSize }, (_, rank) => {
      const args = { device, rank, worldSize, masterPort: port, out: path.join(dir, `rank${rank}.json`), tensors: path.join(dir, `rank${rank}.safetensors`) };
      return new Promise<WorkerOutcome>((resolve) => {
        const child = spawn(process.execPath, [worker, JSON.stringify(args)], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
        const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
        child.on('close', (exitCode) => {
          clearTimeout(timer);
          const written = fs.existsSync(args.out) ? JSON.parse(fs.readFileSync(args.out, 'utf8')) : {};
          resolve({ rank, exitCode, stderr, ...written });
        });
      });
    })
  );
}

check('process-group-world-1', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ua-pg1-'));
  try {
    const [w] = await runWorkers(1, dir);
    assert.equal(w.exitCode, 0, `the worker failed: ${JSON.stringify(w.error)} ${w.stderr}`);
    assert.equal(w.stepped, true);
    return { backend: cuda ? 'nccl' : 'gloo', loss: w.loss, note: 'with world size 1 the native process group is the identity (no communicator is created)' };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

check('process-group-world-2', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ua-pg2-'));
  try {
    const ws = await runWorkers(2, dir);
    const refused = ws.filter((w) => w.exitCode !== 0);
    if (cuda && refused.length > 0 && refused.every((w) => /duplicate gpu|ncclInvalidUsage|invalid usage/i.test(`${w.error?.message ?? ''} ${w.stderr}`))) {
      // Two ranks on one GPU: NCCL may refuse it; that is the answer the issue asks for ("if NCCL allows").
      return { backend: 'nccl', outcome: 'nccl-refused-two-ranks-on-one-gpu', errors: refused.map((w) => w.error?.message ?? w.stderr.slice(-400)) };
    }
    for (const w of ws) assert.equal(w.exitCode, 0, `rank ${w.rank} failed: ${JSON.stringify(w.error)} ${w.stderr.slice(-1000)}`);
    const [a, b] = await Promise.all([readSafetensors(path.join(dir, 'rank0.safetensors')), readSafetensors(path.join(dir, 'rank1.safetensors'))]);
    assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
    let worst = 0;
    let identical = true;
    for (const k of Object.keys(a)) {
      const x = toNumbers(a[k]);
      const y = toNumbers(b[k]);
      for (let i = 0; i < x.length; i++) {
        worst = Math.max(worst, Math.abs(x[i] - y[i]));
        if (x[i] !== y[i]) identical = false;
      }
    }
    // The ranks trained on different batches: only an all-reduce of the gradients makes them agree.
    assert.ok(worst <= 1e-6, `the ranks' parameters differ by ${worst} after one all-reduced step`);
    assert.notEqual(ws[0].loss, ws[1].loss, 'the ranks should have seen different batches');
    return { backend: cuda ? 'nccl' : 'gloo', outcome: 'ranks agree after one step', maxParameterDiff: worst, bitIdentical: identical, losses: ws.map((w) => w.loss) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

check('oom-absurd-batch', async () => {
  // 8192 texts re-ranked against one candidate of a million tokens: every head's attention scores are
  // 8192 x 6 x 1e6 floats (197 GB), more than the GPU (or the host) has.
  const config = smallRetrievalConfig(device);
  return withModel(config, async (m) => {
    const P = 8192;
    const N = 1_000_000;
    const ids: number[] = [];
    for (let p = 0; p < P; p++) ids.push(101, 2000 + (p % 500), 2100, 2200, 2300, 102);
    const tokens = float32(new Float32Array(N * m.config.vision.width).fill(0.01), [1, 1, N, m.config.vision.width]);
    const inputIds = int64(ids, [P, 6]);
    const attentionMask = int64(new Array(P * 6).fill(1), [P, 6]);
    let code: string | undefined;
    let message = '';
    try {
      await m.itm({ inputIds, attentionMask, imageTokens: tokens, pairImage: int64(new Array(P).fill(0), [P]), pfa: false });
    } catch (e) {
      code = (e as { code?: string }).code;
      message = (e as Error).message;
    }
    assert.ok(code !== undefined, 'the absurd batch did not fail');
    if (cuda) assert.equal(code, 'ERR_OOM', `expected ERR_OOM, got ${code}: ${message}`);
    // LibTorch's CPU allocator reports an impossible allocation as a plain c10::Error, which the addon
    // maps to ERR_TORCH; the message still says that memory ran out.
    else assert.ok(code === 'ERR_OOM' || (code === 'ERR_TORCH' && /memory/i.test(message)), `expected an out-of-memory error, got ${code}: ${message}`);
    const small = retrievalBatch(2, m.config.vision.imageSize);
    const emb = await m.encodeImages(small.pixels, { tokens: true });
    const after = await m.itm({ inputIds: small.inputIds, attentionMask: small.attentionMask, imageTokens: emb.tokens!, pfa: false });
    assert.deepEqual(after.logits.shape, [2, 2]);
    assert.ok(toNumbers(after.logits).every(Number.isFinite), 'the model does not work after the failed call');
    return { code, message, survived: true, pairs: P, memoryTokens: N };
  });
});

check('bad-device-cuda-9', async () => {
  let code: string | undefined;
  let message = '';
  try {
    await withModel(smallRetrievalConfig('cuda:9'), async () => undefined);
  } catch (e) {
    code = (e as { code?: string }).code;
    message = (e as Error).message;
  }
  assert.equal(code, 'ERR_DEVICE', `expected ERR_DEVICE, got ${code}: ${message}`);
  assert.match(message, /cuda:9/);
  return { code, message };
});
