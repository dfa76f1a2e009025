/**
 * The GPU device check rehearsed on the CPU, so that it cannot rot while no GPU is lent: packs the
 * carry (fast compression), runs scripts/device/device-check.sh in CPU mode at its smallest size from
 * that carry alone (Node unpacked from it, packages resolved from it), and checks what it writes under
 * its output folder: every step and every CUDA check present and passed, and benchmark entries with
 * numbers for both precisions, the PyTorch comparison, and the COCO-5k extrapolation.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ua-device-check-'));
const carry = path.join(tmp, 'carry');
const out = path.join(tmp, 'out');

const CHECKS = [
  'runtime',
  'golden-fp32',
  'bf16-autocast-train-step',
  'fp16-loss-scaler',
  'bf16-frozen-storage',
  'grad-checkpointing',
  'process-group-world-1',
  'process-group-world-2',
  'oom-absurd-batch',
  'bad-device-cuda-9',
];

function readJson(name: string): any {
  return JSON.parse(fs.readFileSync(path.join(out, name), 'utf8'));
}

let pack: ReturnType<typeof spawnSync>;
let run: ReturnType<typeof spawnSync>;

beforeAll(() => {
  pack = spawnSync('bash', [path.join(ROOT, 'scripts/device/pack-carry.sh'), '--xz-level', '3', '--dest', carry], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  if (pack.status !== 0) throw new Error(`pack-carry failed (${pack.status}):\n${pack.stderr}`);
  run = spawnSync('bash', [path.join(ROOT, 'scripts/device/device-check.sh'), '--device', 'cpu', '--size', 'smallest', '--carry', carry, '--out', out], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 240_000,
  });
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('device check, CPU rehearsal (scripts/device)', () => {
  it('packs a carry that fits the 64 MiB limit and says so', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(carry, 'manifest.json'), 'utf8'));
    expect(manifest.format).toBe('uniadapter-device-carry/1');
    expect(manifest.fits).toBe(manifest.totalMiB <= 64);
    expect(manifest.files['node.xz']).toBeGreaterThan(1);
    expect(manifest.files['app.tar.xz']).toBeGreaterThan(0.1);
    expect(String(pack.stdout) + String(pack.stderr)).toMatch(/MiB of 64 MiB/);
  });

  it('runs every step and passes', () => {
    expect({ status: run.status, tail: String(run.stderr).slice(-2000) }).toEqual({ status: 0, tail: expect.any(String) });
    const summary = readJson('device-check.json');
    expect(summary.format).toBe('uniadapter-device-check/1');
    expect(summary.passed).toBe(true);
    expect(summary.steps.map((s: any) => s.name)).toEqual(['unpack', 'addon', 'doctor', 'checks', 'bench']);
    for (const s of summary.steps) expect(s.exitCode).toBe(0);
    expect(readJson('doctor.json').libtorch.version).toMatch(/^\d+\.\d+/);
  });

  it('has every CUDA check, each passed, with its measurements', () => {
    const checks = readJson('checks.json');
    expect(checks.format).toBe('uniadapter-device-checks/1');
    expect(checks.checks.map((c: any) => c.name)).toEqual(CHECKS);
    for (const c of checks.checks) expect({ name: c.name, status: c.status, error: c.error }).toEqual({ name: c.name, status: 'passed', error: undefined });
    const byName = Object.fromEntries(checks.checks.map((c: any) => [c.name, c.details]));
    expect(Object.keys(byName['golden-fp32'].cases)).toHaveLength(6);
    expect(byName['bf16-autocast-train-step'].gradGlobalRelL2).toBeGreaterThan(0);
    expect(byName['bf16-frozen-storage'].parameterBytesRatio).toBeLessThan(0.6);
    expect(byName['process-group-world-2'].backend).toBe('gloo');
    expect(byName['oom-absurd-batch'].survived).toBe(true);
  });

  it('writes benchmark entries with numbers for fp32 and bf16, compared with PyTorch', () => {
    const bench = readJson('cpu.json');
    expect(bench.format).toBe('uniadapter-bench/1');
    expect(bench.partial).toBeUndefined();
    expect(bench.failures).toBeUndefined();
    expect(bench.precisions).toEqual(['fp32', 'bf16']);
    const ids = bench.results.map((r: any) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['vit-32-fp32', 'vit-32-bf16', 'train-step-fp32', 'train-step-bf16', 'retrieval-eval']));
    for (const r of bench.results) {
      expect(r.latency.medianMs).toBeGreaterThan(0);
      expect(r.throughput).toBeGreaterThan(0);
      expect(r.reference.status).toBe('ok');
      expect(r.ratio).toBeGreaterThan(0);
    }
    const train = bench.results.find((r: any) => r.id === 'train-step-bf16');
    expect(train.config.precision).toBe('bf16');
    expect(train.gflops).toBeGreaterThan(0);
    expect(bench.machine.gemmBf16.length).toBeGreaterThan(0);
    const evalResult = bench.results.find((r: any) => r.id === 'retrieval-eval');
    expect(evalResult.extra.extrapolatedImages).toBe(5000);
    expect(evalResult.extra.extrapolatedSeconds).toBeGreaterThan(evalResult.latency.medianMs / 1000);
  });
});
