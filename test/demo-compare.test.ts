/**
 * `uniadapter demo --compare` in the quick plan on four of its rows: every row trains (or, zero-shot,
 * does not train) exactly what its method says, on the same data and backbone, and the table, JSON,
 * chart and page say what the rows measured.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { QUICK_PLAN } from '../lib/tools/demo/demo-plan';
import { DEMO_METHODS } from '../lib/tools/demo/demo-methods';
import { compareTable, compareTargetMet, runCompare, type CompareReport } from '../lib/tools/demo/run-compare';
import { runCli } from './helpers/run-cli';

jest.setTimeout(600_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-compare-'));
const lines: string[] = [];
let report: CompareReport;
const METHODS = ['zero-shot', 'linear-probe', 'uniadapter', 'full'] as const;

beforeAll(async () => {
  report = await runCompare({ plan: QUICK_PLAN, reportDir: dir, methods: METHODS, log: (l) => lines.push(l) });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('demo --compare (quick plan)', () => {
  it('runs the chosen rows in the table order, each with its own tunable share', () => {
    expect(report.rows.map((r) => r.id)).toEqual([...METHODS]);
    const row = (id: string) => report.rows.find((r) => r.id === id)!;
    expect(row('zero-shot').tunablePercent.retrieval).toBe(0);
    expect(row('full').tunablePercent.retrieval).toBeGreaterThan(90);
    const uni = row('uniadapter').tunablePercent;
    for (const t of [uni.retrieval, uni.vqa, uni.caption]) {
      expect(t).toBeGreaterThan(0);
      expect(t).toBeLessThan(5);
    }
    expect(row('linear-probe').tunablePercent.retrieval).toBeLessThan(uni.retrieval);
    const scale = DEMO_METHODS.find((m) => m.id === 'full')!.lrScale;
    expect(row('full').lr.vqa).toBeCloseTo(QUICK_PLAN.lr.vqa * scale, 12);
    expect(row('uniadapter').lr).toEqual(QUICK_PLAN.lr);
    for (const r of report.rows) expect(r.seconds).toBeGreaterThan(0);
  });

  it('trains only the rows that train: zero-shot leaves no adapter, the others do', () => {
    expect(fs.existsSync(path.join(dir, 'compare', 'zero-shot', 'retrieval', 'adapter.safetensors'))).toBe(false);
    for (const id of ['linear-probe', 'uniadapter', 'full']) {
      for (const task of ['retrieval', 'vqa', 'caption']) expect(fs.existsSync(path.join(dir, 'compare', id, task, 'adapter.safetensors'))).toBe(true);
    }
  });

  it('writes compare.json, the ratio to full fine-tuning, a bar chart and a page with the table', async () => {
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'compare', 'compare.json'), 'utf8'));
    expect(json).toEqual(JSON.parse(JSON.stringify(report)));
    const uni = report.rows.find((r) => r.id === 'uniadapter')!;
    const full = report.rows.find((r) => r.id === 'full')!;
    const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
    expect(report.uniadapterOverFull).toEqual({
      retrieval: ratio(uni.retrieval.r1, full.retrieval.r1),
      vqa: ratio(uni.vqa.accuracy, full.vqa.accuracy),
      caption: ratio(uni.caption.cider, full.caption.cider),
    });
    expect(compareTargetMet(report)).toBe(Object.values(report.uniadapterOverFull!).every((v) => v !== null && v >= 0.9));
    const meta = await sharp(path.join(dir, 'compare', 'compare.png')).metadata();
    expect(meta.format).toBe('png');
    const html = fs.readFileSync(path.join(dir, 'compare', 'index.html'), 'utf8');
    const table = compareTable(report);
    for (const r of table.rows) expect(html).toContain(`<td>${r.method}</td>`);
    expect(html).toContain('src="compare.png"');
    expect(html).not.toContain('data-section="retrieval"');
    expect(lines.some((l) => l.startsWith('method'))).toBe(true);
  });

  it('refuses an unknown method, --methods without --compare and a bad seed', async () => {
    const unknown = await runCli(['demo', '--compare', '--quick', '--methods', 'zero-shot,prompt-tuning', '--report', path.join(dir, 'x')]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain("unknown method 'prompt-tuning'");
    const alone = await runCli(['demo', '--quick', '--methods', 'lora', '--report', path.join(dir, 'y')]);
    expect(alone.code).not.toBe(0);
    expect(alone.err).toContain('--methods needs --compare');
    const seed = await runCli(['demo', '--quick', '--seed', 'abc', '--report', path.join(dir, 'z')]);
    expect(seed.code).not.toBe(0);
    expect(seed.err).toContain('--seed must be a non-negative integer');
  });
});
