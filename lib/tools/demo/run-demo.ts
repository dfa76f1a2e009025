/**
 * The main job on its embedded default: generate a synthetic image–text dataset, load the small
 * pretrained BLIP shipped with the package (models/demo-blip.safetensors) and freeze it, report its
 * zero-shot results, train UniAdapter on retrieval, VQA and captioning (reporting the share of tunable
 * parameters and the results after, next to simple baselines), show retrieve / answer / caption on
 * held-out samples, and write a report folder (metrics.json, a PNG plot of loss and recall over the
 * steps, the adapters).
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
import { CaptionModel } from '../../model/caption-model';
import { RetrievalModel } from '../../model/retrieval-model';
import { VqaModel } from '../../model/vqa-model';
import { evaluateRetrieval } from '../../evaluation/retrieval/evaluate';
import { blasKind, recommendedThreads, runtimeReport, setThreads } from '../../native/runtime-info';
import { embeddedModel } from '../../weights/embedded-model';
import { ciderOf, constantCaptionCider, distinctFraction, majorityBaseline } from './baselines';
import { BlipTokenizer } from '../../text/tokenizer';
import { Trainer, type TrainSummary } from '../../train/trainer';
import { checkpointModelConfig, demoModelConfig, type DemoPlan } from './demo-plan';
import { renderChartPng } from './line-chart';
import { saveServedModel, writeServeBundle } from './serve-bundle';

export interface DemoOptions {
  plan: DemoPlan;
  reportDir: string;
  /** A real BLIP checkpoint (.pth or .safetensors) instead of the embedded small pretrained one. */
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
  machine: { cpus: number; blas: string; threads: number; matmulGflops: number };
  /** The frozen backbone: the embedded checkpoint (with its checksum) or the one given. */
  backbone: { weights: string; sha256?: string };
  parameters: { trainable: number; total: number; sharePercent: number };
  /** Trainable share of the retrieval model's parameters (0..1). */
  tunableFraction: number;
  retrieval: { zeroShot: RecallPoint; after: RecallPoint; chanceR1: number; chanceR5: number; curve: RecallPoint[]; training: Omit<TrainSummary, 'losses'> };
  /** Mean ITM loss over the last tenth of the retrieval steps (0.64 is chance for one positive and two negatives). */
  itm: { finalLoss: number };
  /** Accuracies (%) on the held-out questions; majorityBaseline answers each question type's most frequent training answer. */
  vqa: { zeroShot: number; after: number; majorityBaseline: number; training: Omit<TrainSummary, 'losses'> };
  caption: {
    /** CIDEr-D on the held-out images before and after training the adapter. */
    zeroShot: { cider: number };
    after: { cider: number };
    /** The best CIDEr-D of one training caption given to every held-out image, and that caption. */
    constantCider: number;
    constantCaption: string;
    /** Share of held-out images whose caption (after) no other held-out image got. */
    distinctFraction: number;
    images: number;
    examples: Array<{ image: string; caption: string; references: string[] }>;
    training: Omit<TrainSummary, 'losses'>;
  };
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

/** The retrieval verdict: R@1 misses cut by at least 20 %, R@5 no lower, and R@5 at least twice chance. */
export function retrievalImproved(zeroShot: RecallPoint, after: RecallPoint, chanceR5: number): boolean {
  return 100 - after.r1 <= 0.8 * (100 - zeroShot.r1) && after.r1 > zeroShot.r1 && after.r5 >= zeroShot.r5 && after.r5 >= 2 * chanceR5;
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

  const embedded = options.checkpoint ? undefined : await embeddedModel();
  const weights = options.checkpoint ?? (embedded as { weights: string }).weights;
  log(
    embedded
      ? `backbone: the small pretrained BLIP shipped with the package (${path.basename(weights)}, sha256 ${embedded.manifest.sha256.slice(0, 12)}…, made by \`${embedded.manifest.command}\`), frozen`
      : `backbone: ${weights}, frozen`
  );
  const gflops = (await runtimeReport({ measure: true })).blas.gflopsMeasured;
  const config = options.checkpoint ? checkpointModelConfig('retrieval', plan) : demoModelConfig('retrieval', plan);
  const retrievalSession = await ModelSession.open({ config, weights, tokenizer: tok, onLog: log });
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
    log(`zero-shot (frozen pretrained model, no adapter training): text->image R@1 ${before.r1.toFixed(1)} R@5 ${before.r5.toFixed(1)} (chance ${chanceR1.toFixed(1)} / ${chanceR5.toFixed(1)})`);

    const curve: RecallPoint[] = [before];
    const losses: Array<[number, number]> = [];
    const itmLosses: number[] = [];
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
      if (typeof e.parts.lossItm === 'number') itmLosses.push(e.parts.lossItm);
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
    const stage: StageContext = { data, plan, tok, options, weights, report, log };
    const qa = await trainQa(stage);
    const cap = await trainCaption(stage);
    const served = await writeServeBundle(report, retrieval, test.media as string[], qa.answerList);
    log(`models for \`uniadapter serve\`: ${served}`);

    const r5Gain = after.r5 - before.r5;
    const tail = itmLosses.slice(-Math.max(1, Math.ceil(itmLosses.length / 10)));
    const itmFinal = tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length);
    const checks = [
      // Well above zero-shot: at least a fifth of the R@1 misses fixed, R@5 not worse, and far above chance.
      { ok: retrievalImproved(before, after, chanceR5), what: `retrieval R@1 ${before.r1.toFixed(1)} -> ${after.r1.toFixed(1)}, R@5 ${before.r5.toFixed(1)} -> ${after.r5.toFixed(1)} (+${r5Gain.toFixed(1)}; chance ${chanceR5.toFixed(1)})` },
      { ok: qa.result.after > qa.result.zeroShot && qa.result.after > qa.result.majorityBaseline, what: `VQA ${qa.result.zeroShot.toFixed(1)}% -> ${qa.result.after.toFixed(1)}% (majority baseline ${qa.result.majorityBaseline.toFixed(1)}%)` },
      { ok: cap.after.cider > cap.zeroShot.cider && cap.after.cider > cap.constantCider, what: `caption CIDEr-D ${cap.zeroShot.cider.toFixed(3)} -> ${cap.after.cider.toFixed(3)} (best constant caption ${cap.constantCider.toFixed(3)})` },
    ];
    const passed = checks.every((c) => c.ok);
    const verdict = passed
      ? `adaptation beat zero-shot and the baselines: ${checks.map((c) => c.what).join('; ')}`
      : `adaptation did NOT beat zero-shot and the baselines on every task: ${checks.map((c) => `${c.ok ? '' : 'FAILED '}${c.what}`).join('; ')}`;

    const result: DemoReport = {
      seconds: (Date.now() - started) / 1000,
      machine: { cpus: require('os').cpus().length, blas, threads, matmulGflops: gflops },
      backbone: { weights, ...(embedded ? { sha256: embedded.manifest.sha256 } : {}) },
      parameters: { trainable: info.counts.trainable, total: info.counts.total, sharePercent: share },
      tunableFraction: info.counts.trainable / info.counts.total,
      retrieval: { zeroShot: before, after, chanceR1, chanceR5, curve, training: summaryOf(training) },
      itm: { finalLoss: itmFinal },
      vqa: qa.result,
      caption: cap,
      examples: { retrieve: retrieveExamples, answer: qa.examples },
      passed,
      verdict,
    };
    await writeFileAtomic(path.join(report, 'metrics.json'), Buffer.from(JSON.stringify(result, null, 2) + '\n'));
    const png = await renderChartPng({
      title: 'UniAdapter on synthetic retrieval (pretrained backbone frozen)',
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

/** What the VQA and caption stages share: the backbone's weights, the data, the plan. */
interface StageContext {
  weights: string;
  data: string;
  plan: DemoPlan;
  tok: BlipTokenizer;
  options: DemoOptions;
  report: string;
  log: (s: string) => void;
}

async function trainQa(stage: StageContext): Promise<{ result: DemoReport['vqa']; examples: DemoReport['examples']['answer']; answerList: string[] }> {
  const { weights, data, plan, tok, options, report, log } = stage;
  const config = options.checkpoint ? checkpointModelConfig('vqa', plan) : demoModelConfig('vqa', plan);
  const session = await ModelSession.open({ config, weights, tokenizer: tok, onLog: log });
  const model = session.modelFor('vqa');
  try {
    const task = (await openDatasetFolder(data)).task('vqa');
    const test = (await task.readEval('test')).records.slice(0, 60);
    const majority = majorityBaseline((await task.readTrain()).records, test).accuracy;
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
    log(`VQA (answer ranking over ${list.length} answers, ${training.steps} steps): accuracy zero-shot ${before.toFixed(1)}% -> ${after.acc.toFixed(1)}% (majority answer per question type: ${majority.toFixed(1)}%)`);
    const examples = [0, 1, 2].map((i) => ({ image: path.basename(test[i].image), question: test[i].question, answer: after.res[i].answer, truth: test[i].answers }));
    for (const ex of examples) log(`answer ${ex.image} "${ex.question}" -> ${ex.answer} (truth: ${ex.truth.join(' / ')})`);
    return { result: { zeroShot: before, after: after.acc, majorityBaseline: majority, training: summaryOf(training) }, examples, answerList: [...list] };
  } finally {
    await session.dispose();
  }
}

async function trainCaption(stage: StageContext): Promise<DemoReport['caption']> {
  const { weights, data, plan, tok, options, report, log } = stage;
  const config = options.checkpoint ? checkpointModelConfig('caption', plan) : demoModelConfig('caption', plan);
  const session = await ModelSession.open({ config, weights, tokenizer: tok, onLog: log });
  const model = session.modelFor('caption');
  try {
    const task = (await openDatasetFolder(data)).task('caption');
    const test = (await task.readEval('test')).records.slice(0, plan.captionEvalImages);
    const references = test.map((r) => r.references);
    const generate = async () => (await captionImages(model, test.map((r) => r.image), { tokenizer: tok, maxLength: 20, minLength: 5 })).map((c) => c.caption);
    const zeroShot = ciderOf(await generate(), references);
    const training = await trainAdapter(model, 'caption', data, plan, plan.captionSteps, path.join(report, 'caption'), tok);
    await saveServedModel(report, 'caption', model, config);
    const caps = await generate();
    const after = ciderOf(caps, references);
    const constant = constantCaptionCider((await task.readTrain()).records.map((r) => r.caption), references);
    const distinct = distinctFraction(caps);
    const examples = test.slice(0, 3).map((r, i) => ({ image: path.basename(r.image), caption: caps[i], references: r.references }));
    log(
      `captioning (${training.steps} steps, final loss ${training.finalLoss.toFixed(3)}) on ${test.length} held-out images: CIDEr-D zero-shot ${zeroShot.toFixed(3)} -> ${after.toFixed(3)} ` +
        `(best constant caption ${constant.cider.toFixed(3)}: "${constant.caption}"); ${(100 * distinct).toFixed(0)}% of the images get a caption no other got`
    );
    for (const ex of examples) log(`caption ${ex.image} -> "${ex.caption}" (reference: "${ex.references[0]}")`);
    if (training.steps === 0) throw new UniAdapterError('ERR_STATE', 'caption training ran no step');
    return {
      zeroShot: { cider: zeroShot },
      after: { cider: after },
      constantCider: constant.cider,
      constantCaption: constant.caption,
      distinctFraction: distinct,
      images: test.length,
      examples,
      training: summaryOf(training),
    };
  } finally {
    await session.dispose();
  }
}
