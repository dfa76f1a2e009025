/**
 * The main job on its embedded default: generate a synthetic image–text dataset, build a small
 * BLIP-architecture model with a frozen backbone, train UniAdapter on retrieval (reporting the share
 * of tunable parameters and R@1/R@5 before and after), train VQA and caption adapters on the same
 * frozen backbone, show retrieve / answer / caption on held-out samples, and write a report folder
 * (metrics.json, a PNG plot of loss and recall over the steps, the adapters).
 */
import { ModelSession } from '../../session/model-session';
import * as fs from 'fs';
import * as path from 'path';
import { generateSyntheticDataset } from '../synthetic';
import { openDatasetFolder } from '../../data/dataset-folder';
import type { RetrievalEvalSet } from '../../data/datasets/retrieval-set';
import { UniAdapterError } from '../../errors';
import { Gallery } from '../../inference/gallery';
import { retrieveByText } from '../../inference/retrieve';
import { answerQuestions } from '../../inference/answer';
import { captionImages } from '../../inference/caption';
import { writeFileAtomic } from '../../io/atomic';
import type { BlipModel } from '../../model/blip-model';
import { CaptionModel } from '../../model/caption-model';
import { RetrievalModel } from '../../model/retrieval-model';
import { VqaModel } from '../../model/vqa-model';
import { evaluateRetrieval } from '../../evaluation/retrieval/evaluate';
import { blasKind, recommendedThreads, setThreads } from '../../native/runtime-info';
import { BlipTokenizer } from '../../text/tokenizer';
import { Trainer, type TrainSummary } from '../../train/trainer';
import { checkpointModelConfig, demoModelConfig, type DemoPlan } from './demo-plan';
import { renderChartPng } from './line-chart';
import { saveServedModel, writeServeBundle } from './serve-bundle';

export interface DemoOptions {
  plan: DemoPlan;
  reportDir: string;
  /** A real BLIP checkpoint (.pth or .safetensors) instead of the small random backbone. */
  checkpoint?: string;
  log?: (line: string) => void;
}

export interface RecallPoint {
  step: number;
  r1: number;
  r5: number;
  i2tR1: number;
  i2tR5: number;
}

export interface DemoReport {
  seconds: number;
  machine: { cpus: number; blas: string; threads: number };
  parameters: { trainable: number; total: number; sharePercent: number };
  retrieval: { before: RecallPoint; after: RecallPoint; chanceR1: number; chanceR5: number; curve: RecallPoint[]; training: Omit<TrainSummary, 'losses'> };
  vqa: { before: number; after: number; training: Omit<TrainSummary, 'losses'> };
  caption: { examples: Array<{ image: string; caption: string; references: string[] }>; training: Omit<TrainSummary, 'losses'> };
  examples: {
    retrieve: Array<{ query: string; results: Array<{ image: string; score: number; correct: boolean }> }>;
    answer: Array<{ image: string; question: string; answer: string; truth: string[] }>;
  };
  passed: boolean;
  verdict: string;
}

function subset(set: RetrievalEvalSet, n: number): RetrievalEvalSet {
  if (set.media.length <= n) return set;
  const texts: string[] = [];
  const img2txt: number[][] = [];
  const txt2img: number[] = [];
  set.img2txt.slice(0, n).forEach((list, i) => {
    img2txt.push(list.map((j) => (texts.push(set.texts[j]), txt2img.push(i), texts.length - 1)));
  });
  return { ...set, media: set.media.slice(0, n), mediaIds: set.mediaIds.slice(0, n), texts, img2txt, txt2img, sources: set.sources.slice(0, n) };
}

async function recall(model: RetrievalModel, set: RetrievalEvalSet, tok: BlipTokenizer, step: number): Promise<RecallPoint> {
  const r = await evaluateRetrieval(model, set, { tokenizer: tok, k: Math.min(16, set.media.length) });
  return { step, r1: r.metrics.img_r1, r5: r.metrics.img_r5, i2tR1: r.metrics.txt_r1, i2tR5: r.metrics.txt_r5 };
}

/** Copies the frozen backbone of `from` into `to` (same architecture): one backbone, several adapters. */
async function shareBackbone(from: RetrievalModel, to: BlipModel): Promise<void> {
  const src = await from.stateDict('all');
  const info = await to.parameterInfo();
  const names = new Set(info.entries.filter((e) => !e.trainable).map((e) => e.name));
  const copy: Record<string, (typeof src)[string]> = {};
  for (const [n, t] of Object.entries(src)) {
    if (!n.startsWith('visual_encoder.') && !n.startsWith('text_encoder.')) continue;
    if (n.includes('adapter') || n.includes('_m.')) continue;
    if (names.has(n)) copy[n] = t;
    const dec = n.replace(/^text_encoder\./, 'text_decoder.bert.');
    if (dec !== n && names.has(dec)) copy[dec] = t;
  }
  await to.loadTensors(copy, { dropMismatched: false });
}

function summaryOf(s: TrainSummary): Omit<TrainSummary, 'losses'> {
  const { losses: _losses, ...rest } = s;
  return rest;
}

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const started = Date.now();
  const plan = options.plan;
  const log = options.log ?? (() => {});
  const report = path.resolve(options.reportDir);
  fs.mkdirSync(report, { recursive: true });
  const blas = await blasKind();
  const threads = recommendedThreads(blas);
  await setThreads(threads);
  const tok = BlipTokenizer.bertBaseUncased();

  const data = path.join(report, 'data');
  log(`generating the synthetic dataset in ${data}`);
  await generateSyntheticDataset(data, {
    seed: plan.seed,
    imageSize: plan.imageSize,
    numTrainImages: plan.trainImages,
    numValImages: Math.min(20, plan.testImages),
    numTestImages: plan.testImages,
    maxObjects: 1,
    tasks: ['retrieval', 'vqa', 'caption'],
  });
  const folder = await openDatasetFolder(data);
  const test = await folder.task('retrieval').readEval('test');
  const evalSet = subset(test, plan.evalSubset);

  const config = options.checkpoint ? checkpointModelConfig('retrieval', plan) : demoModelConfig('retrieval', plan);
  const retrievalSession = await ModelSession.open({ config, weights: options.checkpoint, tokenizer: tok, onLog: log });
  const retrieval = retrievalSession.modelFor('retrieval');
  try {
    const info = await retrieval.parameterInfo();
    const share = (100 * info.counts.trainable) / info.counts.total;
    log(
      `model: ${retrieval.config.vision.depth}-layer ViT and text transformer of width ${retrieval.config.vision.width}, backbone frozen; ` +
        `UniAdapter trains ${info.counts.trainable.toLocaleString('en-US')} of ${info.counts.total.toLocaleString('en-US')} parameters (${share.toFixed(2)}%)`
    );
    const chanceR1 = 100 / evalSet.media.length;
    const chanceR5 = Math.min(100, 500 / evalSet.media.length);
    const before = await recall(retrieval, evalSet, tok, 0);
    log(`before training: text->image R@1 ${before.r1.toFixed(1)} R@5 ${before.r5.toFixed(1)} (chance ${chanceR1.toFixed(1)} / ${chanceR5.toFixed(1)})`);

    const curve: RecallPoint[] = [before];
    const losses: Array<[number, number]> = [];
    const trainer = new Trainer(
      {
        task: 'retrieval',
        model: { config },
        data: { folder: data },
        batchSize: plan.batchSize,
        epochs: 1000,
        lr: plan.lr,
        schedule: 'constant',
        warmupSteps: Math.min(20, Math.floor(plan.retrievalSteps / 5)),
        maxSteps: plan.retrievalSteps,
        augment: false,
        dropout: false,
        outputDir: path.join(report, 'retrieval'),
        seed: plan.seed,
      },
      {
        model: retrieval,
        tokenizer: tok,
        afterStep: async (e) => {
          if (e.step % plan.evalEvery === 0 && e.step < plan.retrievalSteps) curve.push(await recall(retrieval, evalSet, tok, e.step));
        },
      }
    );
    trainer.on('step', (e) => {
      losses.push([e.step, e.loss]);
      if (e.step % Math.max(1, Math.floor(plan.retrievalSteps / 10)) === 0) {
        log(`  step ${e.step}/${e.totalSteps} loss ${e.loss.toFixed(3)} (ita ${e.parts.lossIta?.toFixed(3)}, itm ${e.parts.lossItm?.toFixed(3)}) ${e.samplesPerSecond.toFixed(0)} samples/s`);
      }
    });
    const training = await trainer.run();
    await saveServedModel(report, 'retrieval', retrieval, config);
    const after = await recall(retrieval, evalSet, tok, training.steps);
    curve.push(after);
    log(`after ${training.steps} steps (${training.seconds.toFixed(0)} s): text->image R@1 ${after.r1.toFixed(1)} R@5 ${after.r5.toFixed(1)}; image->text R@1 ${after.i2tR1.toFixed(1)} R@5 ${after.i2tR5.toFixed(1)}`);

    // Retrieve on held-out images.
    const gallery = await Gallery.build(retrieval, test.media);
    const queries = [0, 1, 2].map((i) => test.texts[test.img2txt[i * Math.floor(test.media.length / 3)][0]]);
    const found = await retrieveByText(retrieval, gallery, queries, { tokenizer: tok, k: 3 });
    const retrieveExamples = queries.map((q, qi) => {
      const truth = test.txt2img[test.texts.indexOf(q)];
      return { query: q, results: found[qi].map((r) => ({ image: path.basename(r.id), score: +r.score.toFixed(3), correct: r.index === truth })) };
    });
    for (const ex of retrieveExamples) {
      log(`retrieve "${ex.query}" -> ${ex.results.map((r) => `${r.image}${r.correct ? ' (correct)' : ''}`).join(', ')}`);
    }

    // VQA and captioning: new adapters on the same frozen backbone.
    const stage: StageContext = { retrieval, data, plan, tok, options, report, log };
    const qa = await trainQa(stage);
    const cap = await trainCaption(stage);
    const served = await writeServeBundle(report, retrieval, test.media as string[], qa.answerList);
    log(`models for \`uniadapter serve\`: ${served}`);

    const r5Gain = after.r5 - before.r5;
    const passed = after.r5 >= Math.max(2 * chanceR5, before.r5 + 10) && after.r1 > before.r1;
    const verdict = passed
      ? `training clearly beat the untrained model: R@5 ${before.r5.toFixed(1)} -> ${after.r5.toFixed(1)} (+${r5Gain.toFixed(1)}), chance ${chanceR5.toFixed(1)}`
      : `training did NOT clearly beat the untrained model: R@5 ${before.r5.toFixed(1)} -> ${after.r5.toFixed(1)}, R@1 ${before.r1.toFixed(1)} -> ${after.r1.toFixed(1)}`;

    const result: DemoReport = {
      seconds: (Date.now() - started) / 1000,
      machine: { cpus: require('os').cpus().length, blas, threads },
      parameters: { trainable: info.counts.trainable, total: info.counts.total, sharePercent: share },
      retrieval: { before, after, chanceR1, chanceR5, curve, training: summaryOf(training) },
      vqa: qa.result,
      caption: cap,
      examples: { retrieve: retrieveExamples, answer: qa.examples },
      passed,
      verdict,
    };
    await writeFileAtomic(path.join(report, 'metrics.json'), Buffer.from(JSON.stringify(result, null, 2) + '\n'));
    const png = await renderChartPng({
      title: 'UniAdapter on synthetic retrieval (backbone frozen)',
      xLabel: 'training step',
      leftLabel: 'training loss (ITC + ITM)',
      rightLabel: 'recall (%)',
      rightRange: [0, 100],
      series: [
        { name: 'training loss', points: losses, axis: 'left', color: '#1f77b4' },
        { name: 'R@1 text->image', points: curve.map((p) => [p.step, p.r1] as [number, number]), axis: 'right', color: '#ff7f0e', markers: true },
        { name: 'R@5 text->image', points: curve.map((p) => [p.step, p.r5] as [number, number]), axis: 'right', color: '#d62728', markers: true },
      ],
    });
    await writeFileAtomic(path.join(report, 'training.png'), png);
    log(`report: ${path.join(report, 'metrics.json')} and ${path.join(report, 'training.png')}`);
    log(verdict);
    return result;
  } finally {
    await retrievalSession.dispose();
  }
}

/** A short UniAdapter run of a task model on the demo data (constant lr, no augmentation, no dropout). */
async function trainAdapter(
  model: VqaModel | CaptionModel,
  task: 'vqa' | 'caption',
  data: string,
  plan: DemoPlan,
  steps: number,
  outputDir: string,
  tok: BlipTokenizer
): Promise<TrainSummary> {
  return new Trainer(
    {
      task,
      model: { config: model.config },
      data: { folder: data },
      batchSize: plan.batchSize,
      epochs: 1000,
      lr: plan.lr,
      schedule: 'constant',
      maxSteps: steps,
      augment: false,
      dropout: false,
      outputDir,
      seed: plan.seed,
    },
    { model, tokenizer: tok }
  ).run();
}

/** What the VQA and caption stages share: the trained retrieval model (its backbone), the data, the plan. */
interface StageContext {
  retrieval: RetrievalModel;
  data: string;
  plan: DemoPlan;
  tok: BlipTokenizer;
  options: DemoOptions;
  report: string;
  log: (s: string) => void;
}

async function trainQa(stage: StageContext): Promise<{ result: DemoReport['vqa']; examples: DemoReport['examples']['answer']; answerList: string[] }> {
  const { retrieval, data, plan, tok, options, report, log } = stage;
  const config = options.checkpoint ? checkpointModelConfig('vqa', plan) : demoModelConfig('vqa', plan);
  const session = await ModelSession.open({ config, weights: options.checkpoint, tokenizer: tok, onLog: log });
  const model = session.modelFor('vqa');
  try {
    if (!options.checkpoint) await shareBackbone(retrieval, model);
    const task = (await openDatasetFolder(data)).task('vqa');
    const test = (await task.readEval('test')).records.slice(0, 60);
    const list = (await task.readAnswerList()).answers;
    const accuracy = async () => {
      const res = await answerQuestions(model, test.map((r) => r.image), test.map((r) => r.question), { tokenizer: tok, answerList: list, k: Math.min(16, list.length) });
      const hits = res.filter((r, i) => test[i].answers.includes(r.answer)).length;
      return { acc: (100 * hits) / test.length, res };
    };
    const before = (await accuracy()).acc;
    const training = await trainAdapter(model, 'vqa', data, plan, plan.qaSteps, path.join(report, 'vqa'), tok);
    await saveServedModel(report, 'vqa', model, config);
    const after = await accuracy();
    log(`VQA (answer ranking over ${list.length} answers, ${training.steps} steps): accuracy ${before.toFixed(1)}% -> ${after.acc.toFixed(1)}%`);
    const examples = [0, 1, 2].map((i) => ({ image: path.basename(test[i].image), question: test[i].question, answer: after.res[i].answer, truth: test[i].answers }));
    for (const ex of examples) log(`answer ${ex.image} "${ex.question}" -> ${ex.answer} (truth: ${ex.truth.join(' / ')})`);
    return { result: { before, after: after.acc, training: summaryOf(training) }, examples, answerList: [...list] };
  } finally {
    await session.dispose();
  }
}

async function trainCaption(stage: StageContext): Promise<DemoReport['caption']> {
  const { retrieval, data, plan, tok, options, report, log } = stage;
  const config = options.checkpoint ? checkpointModelConfig('caption', plan) : demoModelConfig('caption', plan);
  const session = await ModelSession.open({ config, weights: options.checkpoint, tokenizer: tok, onLog: log });
  const model = session.modelFor('caption');
  try {
    if (!options.checkpoint) await shareBackbone(retrieval, model);
    const training = await trainAdapter(model, 'caption', data, plan, plan.captionSteps, path.join(report, 'caption'), tok);
    await saveServedModel(report, 'caption', model, config);
    const test = (await (await openDatasetFolder(data)).task('caption').readEval('test')).records.slice(0, 3);
    const caps = await captionImages(model, test.map((r) => r.image), { tokenizer: tok, maxLength: 20, minLength: 5 });
    const examples = test.map((r, i) => ({ image: path.basename(r.image), caption: caps[i].caption, references: r.references }));
    log(`captioning (${training.steps} steps, final loss ${training.finalLoss.toFixed(3)}):`);
    for (const ex of examples) log(`caption ${ex.image} -> "${ex.caption}" (reference: "${ex.references[0]}")`);
    if (training.steps === 0) throw new UniAdapterError('ERR_STATE', 'caption training ran no step');
    return { examples, training: summaryOf(training) };
  } finally {
    await session.dispose();
  }
}
