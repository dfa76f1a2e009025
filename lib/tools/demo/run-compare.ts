/**
 * `uniadapter demo --compare`: the shape of the paper's Tables 2 and 4 on the demo's tasks. Every row of
 * DEMO_METHODS trains retrieval, VQA and captioning on the same frozen backbone, data and plan as the
 * demo (zero-shot trains nothing), and reports its tunable share, each task's metric and its wall time;
 * compare.json, a bar chart (compare.png) and a page (index.html) go to `<report>/compare/`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../../io/atomic';
import { BlipTokenizer } from '../../text/tokenizer';
import { embeddedModel } from '../../weights/embedded-model';
import { renderBarChartPng } from './bar-chart';
import { DEMO_METHODS, type DemoMethod } from './demo-methods';
import type { DemoPlan } from './demo-plan';
import { captionStage, retrievalStage, vqaStage, type StageContext } from './demo-stages';
import { writeReportPage } from './report-page';
import { demoMachine, generateDemoData, vqaBackboneOf, type DemoMachine, type NamedBackbone } from './demo-setup';

export interface CompareOptions {
  plan: DemoPlan;
  reportDir: string;
  checkpoint?: string;
  /** The VQA stage's backbone: a VQA-fine-tuned BLIP's file, or 'pretrained'; by default the embedded VQA backbone (see vqaBackboneOf). */
  vqaWeights?: string;
  /** Row ids to run (default: every row). */
  methods?: ReadonlyArray<DemoMethod['id']>;
  log?: (line: string) => void;
  progressStream?: NodeJS.WriteStream;
}

export interface CompareRow {
  id: DemoMethod['id'];
  label: string;
  /** Learning rate of each task. */
  lr: { retrieval: number; vqa: number; caption: number };
  /** Trainable share (%) of each task's model. */
  tunablePercent: { retrieval: number; vqa: number; caption: number };
  retrieval: { r1: number; r5: number; i2tR1: number; i2tR5: number };
  vqa: { accuracy: number };
  caption: { cider: number; distinctFraction: number };
  /** Seconds of the row: its three stages' training and evaluation. */
  seconds: number;
}

export interface CompareReport {
  machine: DemoMachine;
  plan: DemoPlan;
  /** The VQA column's backbone, when it is not the one of the other columns. */
  vqaBackbone?: NamedBackbone;
  rows: CompareRow[];
  /** UniAdapter (shared) against full fine-tuning, per task (1 = equal; null where full fine-tuning scored 0). */
  uniadapterOverFull?: { retrieval: number | null; vqa: number | null; caption: number | null };
  seconds: number;
}

const COMPARE_DIR = 'compare';

function ratio(a: number, b: number): number | null {
  return b > 0 ? a / b : null;
}

/** The comparison's three metrics: retrieval text→image R@1, VQA accuracy, caption CIDEr-D. */
function metricsOf(row: CompareRow): [number, number, number] {
  return [row.retrieval.r1, row.vqa.accuracy, row.caption.cider];
}

export async function runCompare(options: CompareOptions): Promise<CompareReport> {
  const started = Date.now();
  const { plan } = options;
  const log = options.log ?? (() => {});
  const dir = path.join(path.resolve(options.reportDir), COMPARE_DIR);
  fs.mkdirSync(dir, { recursive: true });
  const vqaBackbone = await vqaBackboneOf(options.vqaWeights, plan, options.checkpoint);
  if (vqaBackbone) log(`VQA backbone: ${vqaBackbone.weights}${vqaBackbone.sha256 ? ` (sha256 ${vqaBackbone.sha256.slice(0, 12)}…)` : ''}, frozen`);
  const machine = await demoMachine();
  const tok = BlipTokenizer.bertBaseUncased();
  const data = path.join(dir, 'data');
  await generateDemoData(data, plan, log, options.progressStream);
  const weights = options.checkpoint ?? (await embeddedModel()).weights;
  const methods = options.methods ? DEMO_METHODS.filter((m) => options.methods!.includes(m.id)) : DEMO_METHODS;
  const rows: CompareRow[] = [];
  for (const method of methods) {
    log(`— ${method.label} —`);
    const ctx: StageContext = { weights, checkpoint: options.checkpoint, vqaWeights: vqaBackbone?.weights, data, plan, tok, dir: path.join(dir, method.id), log, progressStream: options.progressStream };
    const { result: r, session } = await retrievalStage(ctx, method, { examples: false });
    await session.dispose();
    const q = await vqaStage(ctx, method);
    const c = await captionStage(ctx, method);
    const pct = (p: { trainable: number; total: number }) => (100 * p.trainable) / p.total;
    rows.push({
      id: method.id,
      label: method.label,
      lr: { retrieval: plan.lr.retrieval * method.lrScale, vqa: plan.lr.vqa * method.lrScale, caption: plan.lr.caption * method.lrScale },
      tunablePercent: { retrieval: pct(r.parameters), vqa: pct(q.parameters), caption: pct(c.parameters) },
      retrieval: { r1: r.after.r1, r5: r.after.r5, i2tR1: r.after.i2tR1, i2tR5: r.after.i2tR5 },
      vqa: { accuracy: q.after },
      caption: { cider: c.after.cider, distinctFraction: c.distinctFraction },
      seconds: r.seconds + q.seconds + c.seconds,
    });
  }
  const full = rows.find((r) => r.id === 'full');
  const uni = rows.find((r) => r.id === 'uniadapter');
  const report: CompareReport = {
    machine,
    plan,
    ...(vqaBackbone ? { vqaBackbone } : {}),
    rows,
    ...(full && uni
      ? { uniadapterOverFull: { retrieval: ratio(uni.retrieval.r1, full.retrieval.r1), vqa: ratio(uni.vqa.accuracy, full.vqa.accuracy), caption: ratio(uni.caption.cider, full.caption.cider) } }
      : {}),
    seconds: (Date.now() - started) / 1000,
  };
  await writeFileAtomic(path.join(dir, 'compare.json'), Buffer.from(JSON.stringify(report, null, 2) + '\n'));
  const table = compareTable(report);
  for (const line of formatTable(table)) log(line);
  if (full) {
    const names = ['retrieval R@1', 'VQA accuracy', 'caption CIDEr-D'];
    const colors = ['#1f77b4', '#ff7f0e', '#2ca02c'];
    const ref = metricsOf(full);
    await writeFileAtomic(
      path.join(dir, 'compare.png'),
      await renderBarChartPng({
        title: 'Each method\'s metric as % of full fine-tuning (frozen pretrained small BLIP, synthetic tasks)',
        groups: rows.map((r) => r.label),
        series: names.map((name, t) => ({ name, color: colors[t], values: rows.map((r) => (ref[t] > 0 ? (100 * metricsOf(r)[t]) / ref[t] : NaN)) })),
        yLabel: '% of full fine-tuning',
      })
    );
  }
  await writeReportPage(dir, {
    title: 'uniadapter demo --compare: PETL methods on a frozen pretrained BLIP',
    summary: [
      `machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.blas} BLAS, matmul ${machine.matmulGflops.toFixed(1)} GFLOP/s measured`,
      `plan: ${plan.retrievalSteps} retrieval, ${plan.qaSteps} VQA, ${plan.captionSteps} caption steps at batch ${plan.batchSize}, lr ${plan.lr.retrieval} / ${plan.lr.vqa} / ${plan.lr.caption} (× each row's scale)`,
      ...(report.uniadapterOverFull
        ? [`UniAdapter (shared) reaches ${Object.entries(report.uniadapterOverFull).map(([t, v]) => `${v === null ? 'n/a' : `${(100 * v).toFixed(0)}%`} (${t})`).join(', ')} of full fine-tuning`]
        : []),
      `wall time ${report.seconds.toFixed(0)} s`,
    ],
    passed: compareTargetMet(report),
    metrics: [],
    plots: full ? [{ file: 'compare.png', caption: "Each method's metric relative to full fine-tuning" }] : [],
    retrieval: [],
    answers: [],
    captions: [],
    compare: table,
  });
  return report;
}

/** The target: UniAdapter with at most 5 % tunable parameters reaches 90 % of full fine-tuning on every task. */
export function compareTargetMet(report: CompareReport): boolean {
  const uni = report.rows.find((r) => r.id === 'uniadapter');
  const ratios = report.uniadapterOverFull;
  if (!uni || !ratios) return false;
  return Math.max(uni.tunablePercent.retrieval, uni.tunablePercent.vqa, uni.tunablePercent.caption) <= 5 && Object.values(ratios).every((v) => v !== null && v >= 0.9);
}

/** The table of the page and the log. */
export function compareTable(report: CompareReport): { columns: string[]; rows: Array<{ method: string; cells: string[] }> } {
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  return {
    columns: ['tunable % (ret / VQA / cap)', 'R@1 t→i', 'R@5 t→i', 'VQA acc %', 'CIDEr-D', 'seconds'],
    rows: report.rows.map((r) => ({
      method: r.label,
      cells: [
        `${f(r.tunablePercent.retrieval, 2)} / ${f(r.tunablePercent.vqa, 2)} / ${f(r.tunablePercent.caption, 2)}`,
        f(r.retrieval.r1),
        f(r.retrieval.r5),
        f(r.vqa.accuracy),
        f(r.caption.cider, 3),
        f(r.seconds, 0),
      ],
    })),
  };
}

function formatTable(t: { columns: string[]; rows: Array<{ method: string; cells: string[] }> }): string[] {
  const head = ['method', ...t.columns];
  const body = t.rows.map((r) => [r.method, ...r.cells]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...body.map(line)];
}
