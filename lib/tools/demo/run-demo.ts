/**
 * The main job on its embedded default: generate a synthetic image–text dataset, load the small
 * pretrained BLIP shipped with the package (models/demo-blip.safetensors) and freeze it, report its
 * zero-shot results, train UniAdapter on retrieval, VQA and captioning (reporting the share of tunable
 * parameters and the results after, next to simple baselines), show retrieve / answer / caption on
 * held-out samples, and write a report folder (metrics.json, a PNG plot of loss and recall over the
 * steps, an HTML page with the examples, the adapters and the models for `uniadapter serve`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { IMAGES_DIR } from '../synthetic/layout';
import { writeFileAtomic } from '../../io/atomic';
import { embeddedModel } from '../../weights/embedded-model';
import { BlipTokenizer } from '../../text/tokenizer';
import { DEMO_METHOD } from './demo-methods';
import type { DemoPlan } from './demo-plan';
import { answerScore, tallyAnswers } from './baselines';
import {
  captionStage,
  retrievalStage,
  vqaStage,
  type CaptionStageResult,
  type RecallPoint,
  type RetrievalStageResult,
  type StageContext,
  type TrainingSummary,
  type VqaStageResult,
} from './demo-stages';
import { renderChartPng } from './line-chart';
import { demoMachine, generateDemoData, vqaBackboneOf, type DemoMachine, type NamedBackbone } from './demo-setup';
import { writeReportPage, type ReportPageInput } from './report-page';
import { writeServeBundle } from './serve-bundle';

export type { RecallPoint } from './demo-stages';

export interface DemoOptions {
  plan: DemoPlan;
  reportDir: string;
  /** A real BLIP checkpoint (.pth or .safetensors) instead of the embedded small pretrained one. */
  checkpoint?: string;
  /** The VQA stage's backbone: a VQA-fine-tuned BLIP's file, or 'pretrained'; by default the embedded VQA backbone (see vqaBackboneOf). */
  vqaWeights?: string;
  log?: (line: string) => void;
  /** Progress bars are drawn on this stream when it is a terminal; otherwise a line per tenth goes to `log`. */
  progressStream?: NodeJS.WriteStream;
}

/**
 * The main job's targets for the results. They are measured and reported; the exit code
 * answers the plainer question of {@link demoGates}.
 */
export const DEMO_TARGETS = {
  /** VQA accuracy after training, as a multiple of the majority-answer-per-question-type baseline. */
  vqaOverMajority: 2,
  /** Mean ITM loss over the last tenth of the retrieval steps must be below this (0.64 is chance). */
  itmFinalLoss: 0.45,
  /** Share of held-out images whose caption no other image got. */
  distinctFraction: 0.8,
} as const;


export interface DemoReport {
  seconds: number;
  machine: DemoMachine;
  /** The frozen backbone: the embedded checkpoint (with its checksum) or the one given; `vqa`: the VQA stage's, when another. */
  backbone: { weights: string; sha256?: string; vqa?: NamedBackbone };
  parameters: { trainable: number; total: number; sharePercent: number };
  /** Trainable share of the retrieval model's parameters (0..1). */
  tunableFraction: number;
  retrieval: { zeroShot: RecallPoint; after: RecallPoint; chanceR1: number; chanceR5: number; curve: RecallPoint[]; training: TrainingSummary; seconds: number };
  /** Mean ITM loss over the last tenth of the retrieval steps (0.64 is chance for one positive and two negatives). */
  itm: { finalLoss: number };
  /** Accuracies (%) on the held-out questions; majorityBaseline answers each question type's most frequent training answer. */
  vqa: { zeroShot: number; after: number; majorityBaseline: number; questions: number; byType: VqaStageResult['byType']; training: TrainingSummary; seconds: number };
  /** CIDEr-D before and after, the best constant training caption's, and the share of distinct captions (see CaptionStageResult). */
  caption: Omit<CaptionStageResult, 'parameters' | 'training'> & { training: TrainingSummary };
  examples: {
    retrieve: Array<{ query: string; results: Array<{ image: string; score: number; correct: boolean }> }>;
    answer: Array<{ image: string; question: string; answer: string; truth: string[] }>;
  };
  /** Whether adaptation beat zero-shot and each task's simple baseline (decides `passed`). */
  gates: DemoCheck[];
  /** Each of the targets ({@link DEMO_TARGETS}) and whether it was met. */
  targets: DemoCheck[];
  /** Every gate held: the demo exits 0. */
  passed: boolean;
  targetsMet: boolean;
  verdict: string;
}

export interface DemoCheck {
  ok: boolean;
  what: string;
}

/** The ITM loss of predicting one positive in three, the level of a head that cannot tell pairs apart. */
export const ITM_CHANCE_LOSS = -(Math.log(1 / 3) + 2 * Math.log(2 / 3)) / 3;

/** The retrieval verdict: R@1 misses cut by at least 20 %, R@5 no lower, and R@5 at least twice chance. */
export function retrievalImproved(zeroShot: RecallPoint, after: RecallPoint, chanceR5: number): boolean {
  return 100 - after.r1 <= 0.8 * (100 - zeroShot.r1) && after.r1 > zeroShot.r1 && after.r5 >= zeroShot.r5 && after.r5 >= 2 * chanceR5;
}

const f = (x: number) => x.toFixed(1);

/** What the exit code asks: on every task, adaptation beat zero-shot and the task's simple baseline. */
export function demoGates(r: RetrievalStageResult, q: VqaStageResult, c: CaptionStageResult): DemoCheck[] {
  return [
    { ok: r.after.r1 > r.zeroShot.r1 && r.after.r1 > r.chanceR1, what: `retrieval R@1 ${f(r.zeroShot.r1)} -> ${f(r.after.r1)} (chance ${f(r.chanceR1)})` },
    { ok: r.itmFinalLoss < ITM_CHANCE_LOSS, what: `ITM loss ${r.itmFinalLoss.toFixed(3)} (chance ${ITM_CHANCE_LOSS.toFixed(3)})` },
    { ok: q.after > q.zeroShot && q.after > q.majorityBaseline, what: `VQA ${f(q.zeroShot)}% -> ${f(q.after)}% (majority answer per question type ${f(q.majorityBaseline)}%)` },
    {
      ok: c.after.cider > c.zeroShot.cider && c.after.cider > c.constantCider,
      what: `caption CIDEr-D ${c.zeroShot.cider.toFixed(3)} -> ${c.after.cider.toFixed(3)} (best constant caption ${c.constantCider.toFixed(3)})`,
    },
  ];
}

/** The targets ({@link DEMO_TARGETS}) applied to the three stages' results. */
export function demoTargets(r: RetrievalStageResult, q: VqaStageResult, c: CaptionStageResult): DemoCheck[] {
  return [
    {
      ok: retrievalImproved(r.zeroShot, r.after, r.chanceR5),
      what: `retrieval R@1 ${f(r.zeroShot.r1)} -> ${f(r.after.r1)} (at least a fifth of the misses fixed), R@5 ${f(r.zeroShot.r5)} -> ${f(r.after.r5)} (chance ${f(r.chanceR5)})`,
    },
    { ok: r.itmFinalLoss < DEMO_TARGETS.itmFinalLoss, what: `ITM loss ${r.itmFinalLoss.toFixed(3)} (target < ${DEMO_TARGETS.itmFinalLoss})` },
    {
      ok: q.after > q.zeroShot && q.after >= DEMO_TARGETS.vqaOverMajority * q.majorityBaseline,
      what: `VQA ${f(q.zeroShot)}% -> ${f(q.after)}% (target ≥ ${DEMO_TARGETS.vqaOverMajority}× the majority baseline ${f(q.majorityBaseline)}%)`,
    },
    {
      ok: c.after.cider > c.zeroShot.cider && c.after.cider > c.constantCider && c.distinctFraction >= DEMO_TARGETS.distinctFraction,
      what:
        `caption CIDEr-D ${c.zeroShot.cider.toFixed(3)} -> ${c.after.cider.toFixed(3)} (best constant caption ${c.constantCider.toFixed(3)}), ` +
        `distinct captions ${(100 * c.distinctFraction).toFixed(0)}% (target ≥ ${100 * DEMO_TARGETS.distinctFraction}%)`,
    },
  ];
}

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const started = Date.now();
  const plan = options.plan;
  const log = options.log ?? (() => {});
  const report = path.resolve(options.reportDir);
  fs.mkdirSync(report, { recursive: true });
  const vqaBackbone = await vqaBackboneOf(options.vqaWeights, plan, options.checkpoint);
  const machine = await demoMachine();
  const tok = BlipTokenizer.bertBaseUncased();
  const data = path.join(report, 'data');
  await generateDemoData(data, plan, log, options.progressStream);

  const embedded = options.checkpoint ? undefined : await embeddedModel();
  const weights = options.checkpoint ?? (embedded as { weights: string }).weights;
  log(
    embedded
      ? `backbone: the small pretrained BLIP shipped with the package (${path.basename(weights)}, sha256 ${embedded.manifest.sha256.slice(0, 12)}…, made by \`${embedded.manifest.command}\`), frozen`
      : `backbone: ${weights}, frozen`
  );
  log(`machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.blas} BLAS, ${machine.threads} LibTorch thread(s), matmul ${machine.matmulGflops.toFixed(1)} GFLOP/s measured`);
  if (vqaBackbone) log(`VQA backbone: ${vqaBackbone.weights}${vqaBackbone.sha256 ? ` (sha256 ${vqaBackbone.sha256.slice(0, 12)}…, made by \`${vqaBackbone.command}\`)` : ''}, frozen`);
  const ctx: StageContext = { weights, checkpoint: options.checkpoint, vqaWeights: vqaBackbone?.weights, data, plan, tok, dir: report, log, progressStream: options.progressStream };

  const { result: r, session: retrievalSession, testMedia } = await retrievalStage(ctx, DEMO_METHOD, { serve: true });
  try {
    const share = (100 * r.parameters.trainable) / r.parameters.total;
    log(`UniAdapter trains ${r.parameters.trainable.toLocaleString('en-US')} of ${r.parameters.total.toLocaleString('en-US')} parameters of the retrieval model (${share.toFixed(2)}%)`);
    for (const ex of r.examples) log(`retrieve "${ex.query}" -> ${ex.results.map((x) => `${x.image}${x.correct ? ' (correct)' : ''}`).join(', ')}`);

    const q = await vqaStage(ctx, DEMO_METHOD, { serve: true });
    for (const ex of q.examples) {
      const said = tallyAnswers(ex.truth).map(([a, n]) => `${a} ×${n}`).join(', ');
      log(`answer ${ex.image} "${ex.question}" -> ${ex.answer}, VQA score ${answerScore(ex.answer, ex.truth).toFixed(1)} (annotators: ${said})`);
    }
    const c = await captionStage(ctx, DEMO_METHOD, { serve: true });
    for (const ex of c.examples) log(`caption ${ex.image} -> "${ex.caption}" (reference: "${ex.references[0]}")`);

    const served = await writeServeBundle(report, retrievalSession.modelFor('retrieval'), testMedia, q.answerList);
    log(`models for \`uniadapter serve\`: ${served}`);

    const gates = demoGates(r, q, c);
    const targets = demoTargets(r, q, c);
    const { parameters: _parameters, training: _training, ...captionReport } = c;
    const passed = gates.every((x) => x.ok);
    const missed = targets.filter((x) => !x.ok);
    const targetsMet = missed.length === 0;
    const verdict =
      (passed
        ? `adaptation beat zero-shot and the baselines on every task: ${gates.map((x) => x.what).join('; ')}`
        : `adaptation did NOT beat zero-shot and the baselines on every task: ${gates.map((x) => `${x.ok ? '' : 'FAILED '}${x.what}`).join('; ')}`) +
      `. Targets met: ${targets.length - missed.length} of ${targets.length}${missed.length ? `; NOT met: ${missed.map((x) => x.what).join('; ')}` : ''}`;
    const result: DemoReport = {
      seconds: 0,
      machine,
      backbone: { weights, ...(embedded ? { sha256: embedded.manifest.sha256 } : {}), ...(vqaBackbone ? { vqa: vqaBackbone } : {}) },
      parameters: { trainable: r.parameters.trainable, total: r.parameters.total, sharePercent: share },
      tunableFraction: r.parameters.trainable / r.parameters.total,
      retrieval: { zeroShot: r.zeroShot, after: r.after, chanceR1: r.chanceR1, chanceR5: r.chanceR5, curve: r.curve, training: r.training!, seconds: r.seconds },
      itm: { finalLoss: r.itmFinalLoss },
      vqa: { zeroShot: q.zeroShot, after: q.after, majorityBaseline: q.majorityBaseline, questions: q.questions, byType: q.byType, training: q.training!, seconds: q.seconds },
      caption: { ...captionReport, training: c.training! },
      examples: { retrieve: r.examples, answer: q.examples },
      gates,
      targets,
      passed,
      targetsMet,
      verdict,
    };
    const png = await renderChartPng({
      title: 'UniAdapter on synthetic retrieval (pretrained backbone frozen)',
      xLabel: 'training step',
      leftLabel: 'training loss (ITC + ITM)',
      rightLabel: 'recall (%)',
      rightRange: [0, 100],
      series: [
        { name: 'training loss', points: r.losses, axis: 'left', color: '#1f77b4' },
        { name: 'R@1 text->image', points: r.curve.map((p) => [p.step, p.r1] as [number, number]), axis: 'right', color: '#ff7f0e', markers: true },
        { name: 'R@5 text->image', points: r.curve.map((p) => [p.step, p.r5] as [number, number]), axis: 'right', color: '#d62728', markers: true },
      ],
    });
    await writeFileAtomic(path.join(report, 'training.png'), png);
    result.seconds = (Date.now() - started) / 1000;
    await writeFileAtomic(path.join(report, 'metrics.json'), Buffer.from(JSON.stringify(result, null, 2) + '\n'));
    const page = await writeReportPage(report, reportPageOf(result, path.join(data, IMAGES_DIR)));
    log(`report: ${path.join(report, 'metrics.json')}, ${path.join(report, 'training.png')} and ${page}`);
    log(verdict);
    return result;
  } finally {
    await retrievalSession.dispose();
  }
}

/** The HTML page's content: the summary, the metrics next to their baselines, the plot and the examples. */
export function reportPageOf(r: DemoReport, images: string): ReportPageInput {
  const img = (name: string) => path.join(images, name);
  return {
    title: 'uniadapter demo: UniAdapter on a frozen pretrained BLIP',
    summary: [
      `machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.blas} BLAS, matmul ${r.machine.matmulGflops.toFixed(1)} GFLOP/s measured`,
      `backbone: ${path.basename(r.backbone.weights)}${r.backbone.sha256 ? ` (sha256 ${r.backbone.sha256.slice(0, 12)}…)` : ''}, frozen`,
      ...(r.backbone.vqa ? [`VQA backbone: ${path.basename(r.backbone.vqa.weights)}${r.backbone.vqa.sha256 ? ` (sha256 ${r.backbone.vqa.sha256.slice(0, 12)}…)` : ''}, frozen`] : []),
      `UniAdapter trains ${(100 * r.tunableFraction).toFixed(2)}% of the retrieval model's parameters`,
      `wall time ${r.seconds.toFixed(0)} s, all stages`,
      ...r.gates.map((c) => `${c.ok ? 'beat zero-shot and baseline' : 'did NOT beat zero-shot and baseline'}: ${c.what}`),
      ...r.targets.map((c) => `${c.ok ? 'target met' : 'target NOT met'}: ${c.what}`),
    ],
    passed: r.passed,
    metrics: [
      { task: 'retrieval', metric: 'text→image R@1 (%)', zeroShot: r.retrieval.zeroShot.r1, after: r.retrieval.after.r1, baseline: r.retrieval.chanceR1, baselineName: 'chance' },
      { task: 'retrieval', metric: 'text→image R@5 (%)', zeroShot: r.retrieval.zeroShot.r5, after: r.retrieval.after.r5, baseline: r.retrieval.chanceR5, baselineName: 'chance' },
      { task: 'retrieval', metric: 'ITM loss, last tenth of the steps', zeroShot: null, after: r.itm.finalLoss, baseline: ITM_CHANCE_LOSS, baselineName: 'chance (1 positive, 2 negatives)' },
      { task: 'VQA', metric: 'accuracy (%)', zeroShot: r.vqa.zeroShot, after: r.vqa.after, baseline: r.vqa.majorityBaseline, baselineName: 'majority answer per question type' },
      ...Object.entries(r.vqa.byType).map(([type, a]) => ({
        task: 'VQA',
        metric: `accuracy (%), questions starting "${type}" (${a.questions})`,
        zeroShot: a.zeroShot,
        after: a.after,
        baseline: a.majority,
        baselineName: 'majority answer of the type',
      })),
      { task: 'captioning', metric: 'CIDEr-D', zeroShot: r.caption.zeroShot.cider, after: r.caption.after.cider, baseline: r.caption.constantCider, baselineName: 'best constant caption' },
      { task: 'captioning', metric: 'distinct captions (%)', zeroShot: null, after: 100 * r.caption.distinctFraction, baseline: null, baselineName: '' },
    ],
    plots: [{ file: 'training.png', caption: 'Retrieval: training loss and held-out recall over the steps' }],
    retrieval: r.examples.retrieve.map((e) => ({ query: e.query, results: e.results.map((x) => ({ ...x, image: img(x.image) })) })),
    answers: r.examples.answer.map((e) => ({ ...e, image: img(e.image) })),
    captions: r.caption.examples.map((e) => ({ ...e, image: img(e.image) })),
  };
}
