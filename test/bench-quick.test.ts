/**
 * The quick benchmark suite through the CLI (`uniadapter bench --quick --compare`), so that the suite
 * cannot rot: every benchmark produces positive timings, the JSON report has its structure, and the
 * plain-PyTorch comparison ran (Debian's python3-torch is installed in CI).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable, Writable } from 'stream';
import { main } from '../lib/cli';
import { BENCHMARK_NAMES, benchOptionsFromArgs } from '../lib/cli/bench';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(c, _e, cb) {
        text += c.toString();
        cb();
      },
    }),
    text: () => text,
  };
}

const COMPARED = new Set(['vit', 'text', 'itm', 'train', 'eval']);

describe('uniadapter bench --quick --compare', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ua-bench-'));
  const out = path.join(dir, 'quick.json');
  let report: any;
  let stdout = '';
  let stderr = '';

  beforeAll(async () => {
    const o = sink();
    const e = sink();
    const code = await main(['bench', '--quick', '--compare', '--out', out], { stdout: o.stream, stderr: e.stream, stdin: Readable.from([]) });
    stdout = o.text();
    stderr = e.text();
    if (code !== 0) throw new Error(`bench exited with ${code}:\n${stderr}`);
    report = JSON.parse(fs.readFileSync(out, 'utf8'));
  }, 170000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('describes the machine and the run', () => {
    expect(report.format).toBe('uniadapter-bench/1');
    expect(report.mode).toBe('quick');
    expect(report.config).toBe('tiny');
    expect(report.device).toBe('cpu');
    const m = report.machine;
    expect(typeof m.cpu.model).toBe('string');
    expect(m.cpu.logicalCores).toBeGreaterThan(0);
    expect(m.memoryBytes).toBeGreaterThan(0);
    expect(m.os.name.length).toBeGreaterThan(0);
    expect(m.node).toBe(process.version);
    expect(m.libtorch.version).toMatch(/^\d+\.\d+/);
    expect(typeof m.blas.kind).toBe('string');
    expect(m.threads.intraop).toBeGreaterThanOrEqual(1);
    expect(m.gemm.length).toBeGreaterThan(0);
    for (const g of m.gemm) expect(g.gflops).toBeGreaterThan(0);
    expect(m.practicalPeakGflops).toBe(Math.max(...m.gemm.map((g: any) => g.gflops)));
    expect(report.totalSeconds).toBeGreaterThan(0);
    expect(report.failures).toBeUndefined();
    expect(stdout).toContain('| benchmark |');
  });

  it('has positive timings for every benchmark', () => {
    for (const name of BENCHMARK_NAMES) {
      const rs = report.results.filter((r: any) => r.benchmark === name);
      expect(rs.length).toBeGreaterThan(0);
      for (const r of rs) {
        expect(r.iterations).toBeGreaterThan(0);
        expect(r.latency.samples).toBe(r.iterations);
        expect(r.latency.minMs).toBeGreaterThan(0);
        expect(r.latency.medianMs).toBeGreaterThan(0);
        expect(r.latency.p90Ms).toBeGreaterThanOrEqual(r.latency.medianMs);
        expect(r.throughput).toBeGreaterThan(0);
        expect(r.memory.peakRssMb).toBeGreaterThan(0);
        expect(typeof r.throughputUnit).toBe('string');
        expect(r.config).toBeDefined();
      }
    }
    const ids = report.results.map((r: any) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['vit-32', 'text-encoder', 'itm-pass', 'itm-rerank-shared', 'itm-rerank-copies', 'train-step', 'caption-beam3', 'retrieval-eval', 'data-images-w1', 'data-images-w2', 'data-images-w4', 'data-video-8f-w1', 'data-video-16f-w1']));
  });

  it('reports GFLOP/s where FLOPs are counted', () => {
    for (const r of report.results.filter((x: any) => ['vit', 'text', 'itm', 'train'].includes(x.benchmark))) {
      expect(r.flopsPerIteration).toBeGreaterThan(0);
      expect(r.gflops).toBeGreaterThan(0);
      expect(r.fractionOfPeak).toBeGreaterThan(0);
    }
  });

  it('ran the plain-PyTorch reference side by side', () => {
    expect(report.reference.available).toBe(true);
    expect(report.reference.reason).toBeUndefined();
    expect(report.reference.torch).toMatch(/^\d+\.\d+/);
    expect(report.reference.threads).toBe(report.machine.threads.intraop);
    for (const r of report.results) {
      if (COMPARED.has(r.benchmark)) {
        expect(r.reference.status).toBe('ok');
        expect(r.reference.latency.medianMs).toBeGreaterThan(0);
        expect(r.reference.latency.samples).toBe(r.iterations);
        expect(r.ratio).toBeCloseTo(r.latency.medianMs / r.reference.latency.medianMs, 10);
      } else {
        expect(r.reference.status).toBe('not-implemented');
        expect(r.ratio).toBeUndefined();
      }
    }
  });
});

describe('bench options', () => {
  it('defaults to the tiny configuration in quick mode and BLIP-base otherwise', () => {
    expect(benchOptionsFromArgs(['--quick']).config).toBe('tiny');
    expect(benchOptionsFromArgs([]).config).toBe('blip-base');
    expect(benchOptionsFromArgs(['--only', 'itm,vit']).only).toEqual(['vit', 'itm']);
  });

  it('rejects unknown benchmarks, configurations and devices', () => {
    expect(() => benchOptionsFromArgs(['--only', 'vit,nope'])).toThrow(/unknown benchmark\(s\) nope/);
    expect(() => benchOptionsFromArgs(['--config', 'huge'])).toThrow(/--config must be tiny or blip-base/);
    expect(() => benchOptionsFromArgs(['--device', 'tpu'])).toThrow(/--device must be cpu or cuda/);
  });
});
