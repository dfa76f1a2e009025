/**
 * The demo's three stages — retrieval, VQA and captioning — each on its own model over the same frozen
 * backbone: evaluate before training (zero-shot), train one PETL method for the plan's steps, evaluate
 * after. The demo runs them with UniAdapter; `--compare` runs them once per method.
 */
import * as path from 'path';
import type { ModelConfig, Task } from '../../config/model-config';
import { openDatasetFolder } from '../../data/dataset-folder';
import type { RetrievalEvalSet } from '../../data/datasets/retrieval-set';
import { UniAdapterError } from '../../errors';
import { evaluateRetrieval } from '../../evaluation/retrieval/evaluate';
import { answerQuestions } from '../../inference/answer';
import { captionImages } from '../../inference/caption';
import { Gallery } from '../../inference/gallery';
import { retrieveByText } from '../../inference/retrieve';
import type { CaptionModel } from '../../model/caption-model';
import type { RetrievalModel } from '../../model/retrieval-model';
import type { VqaModel } from '../../model/vqa-model';
import { ModelSession } from '../../session/model-session';
import type { BlipTokenizer } from '../../text/tokenizer';
import { Trainer, type TrainSummary } from '../../train/trainer';
import { accuracyByType, answerScore, ciderOf, constantCaptionCider, distinctFraction, humanAnswers, majorityBaseline } from './baselines';
import { DEMO_METHODS, type DemoMethod } from './demo-methods';
import { checkpointModelConfig, demoModelConfig, type DemoPlan } from './demo-plan';
import { createProgress } from '../../cli/progress';
import { saveServedModel } from './serve-bundle';

const ZERO_SHOT_METHOD = DEMO_METHODS.find((m) => m.id === 'zero-shot')!;

/** What every stage shares: the backbone's weights, the data, the plan, where to write, how to report. */
export interface StageContext {
  weights: string;
  /** A real BLIP checkpoint instead of the embedded model (`--checkpoint`): BLIP-base configurations. */
  checkpoint?: string;
  /**
   * The VQA stage's backbone, when it is not `weights`: a VQA-fine-tuned BLIP, as the official UniAdapter
   * configs adapt model_base_vqa_capfilt_large.pth (the embedded one, or `--vqa-weights`).
   */
  vqaWeights?: string;
  data: string;
  plan: DemoPlan;
  tok: BlipTokenizer;
  /** Where the stage writes its adapter (`<dir>/<task>/`) and, with `serve`, the served model. */
  dir: string;
  log: (line: string) => void;
  /** Progress bars on this stream when it is a terminal (else a line per tenth through `log`). */
  progressStream?: NodeJS.WriteStream;
}

export interface StageOptions {
  /** Save the trained model for `uniadapter serve` (the demo, not the comparison). */
  serve?: boolean;
  /** Search the held-out gallery for the retrieval examples (default true; the comparison shows none). */
  examples?: boolean;
}

export interface RecallPoint {
  step: number;
  r1: number;
  r5: number;
  i2tR1: number;
  i2tR5: number;
}

export type TrainingSummary = Omit<TrainSummary, 'losses'>;

/** Trainable and total parameters of a stage's model. */
export interface ParameterCount {
  trainable: number;
  total: number;
}

export interface RetrievalStageResult {
  zeroShot: RecallPoint;
  after: RecallPoint;
  chanceR1: number;
  chanceR5: number;
  curve: RecallPoint[];
  /** (step, loss) of every training step. */
  losses: Array<[number, number]>;
  /** Mean ITM loss over the last tenth of the steps (NaN without training). */
  itmFinalLoss: number;
  parameters: ParameterCount;
  training?: TrainingSummary;
  examples: Array<{ query: string; results: Array<{ image: string; score: number; correct: boolean }> }>;
  /** Seconds of the stage: training and its evaluations. */
  seconds: number;
}

export interface VqaStageResult {
  zeroShot: number;
  after: number;
  majorityBaseline: number;
  questions: number;
  /** Accuracies (%) by question type (its first two words): the majority answer's, zero-shot and after. */
  byType: Record<string, { questions: number; majority: number; zeroShot: number; after: number }>;
  parameters: ParameterCount;
  training?: TrainingSummary;
  examples: Array<{ image: string; question: string; answer: string; truth: string[] }>;
  answerList: string[];
  seconds: number;
}

export interface CaptionStageResult {
  zeroShot: { cider: number };
  after: { cider: number };
  constantCider: number;
  constantCaption: string;
  distinctFraction: number;
  images: number;
  parameters: ParameterCount;
  training?: TrainingSummary;
  examples: Array<{ image: string; caption: string; references: string[] }>;
  seconds: number;
}

/** The frozen backbone a stage's task starts from. */
function backboneOf(ctx: StageContext, task: Task): string {
  return task === 'vqa' && ctx.vqaWeights ? ctx.vqaWeights : ctx.weights;
}

/** The model configuration of a stage: the demo's small BLIP (or BLIP-base) with the method's PETL settings. */
export function stageModelConfig(ctx: Pick<StageContext, 'plan' | 'checkpoint'>, task: Task, method: DemoMethod): ModelConfig {
  const base = ctx.checkpoint ? checkpointModelConfig(task, ctx.plan) : demoModelConfig(task, ctx.plan);
  const petl = { ...base.petl, ...method.petl };
  if (petl.method !== 'uniadapter') delete petl.init;
  if (petl.method !== 'uniadapter' || petl.kvAdapter === false) delete petl.kvBottleneck;
  return { ...base, petl };
}

function summaryOf(s: TrainSummary): TrainingSummary {
  const { losses: _losses, ...rest } = s;
  return rest;
}

/** The first `n` images of an evaluation set with their texts. */
export function evalSubset(set: RetrievalEvalSet, n: number): RetrievalEvalSet {
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
  const r = await evaluateRetrieval(model, set, { tokenizer: tok, k: Math.min(16, set.media.length), textPadding: 'longest' });
  return { step, r1: r.metrics.img_r1, r5: r.metrics.img_r5, i2tR1: r.metrics.txt_r1, i2tR5: r.metrics.txt_r5 };
}

async function parameterCount(model: RetrievalModel | VqaModel | CaptionModel): Promise<ParameterCount> {
  const info = await model.parameterInfo();
  return { trainable: info.counts.trainable, total: info.counts.total };
}

/**
 * Trains `model` on the stage's task for `steps` (constant lr after a short warm-up, no augmentation,
 * no dropout, captions padded to the batch's longest), with a progress bar, calling `afterStep` between
 * steps; with `serve`, saves the trained model for `uniadapter serve`.
 */
async function train(
  ctx: StageContext,
  model: RetrievalModel | VqaModel | CaptionModel,
  config: ModelConfig,
  task: 'retrieval' | 'vqa' | 'caption',
  method: DemoMethod,
  steps: number,
  o: { afterStep?: (step: number) => Promise<void>; onStep?: (step: number, loss: number, parts: Record<string, number>) => void; serve?: boolean } = {}
): Promise<TrainingSummary> {
  const { plan } = ctx;
  const trainer = new Trainer(
    {
      task,
      model: { config },
      data: { folder: ctx.data },
      batchSize: plan.batchSize,
      epochs: 1000,
      lr: plan.lr[task] * method.lrScale,
      schedule: 'constant',
      warmupSteps: Math.min(20, Math.floor(steps / 5)),
      maxSteps: steps,
      augment: false,
      dropout: false,
      textPadding: 'longest',
      outputDir: path.join(ctx.dir, task),
      seed: plan.seed,
    },
    { model, tokenizer: ctx.tok, ...(o.afterStep ? { afterStep: async (e) => o.afterStep!(e.step) } : {}) }
  );
  const bar = createProgress(`${task} (${method.label})`, steps, { stream: ctx.progressStream, log: ctx.log });
  trainer.on('step', (e) => {
    o.onStep?.(e.step, e.loss, e.parts);
    bar.tick(1, `loss ${e.loss.toFixed(3)}`);
  });
  const summary = await trainer.run();
  bar.done(`loss ${summary.finalLoss.toFixed(3)}`);
  if (summary.steps === 0) throw new UniAdapterError('ERR_STATE', `${task} training ran no step`);
  if (o.serve) await saveServedModel(ctx.dir, task, model, config);
  return summaryOf(summary);
}

/** The configuration of a stage's backbone alone: the frozen pretrained model without any method's modules. */
export function backboneModelConfig(ctx: Pick<StageContext, 'plan' | 'checkpoint'>, task: Task): ModelConfig {
  return stageModelConfig(ctx, task, ZERO_SHOT_METHOD);
}

/** The stage's backbone alone: the frozen pretrained model without the method's modules (the comparison's zero-shot row). */
async function onBackbone<M, T>(ctx: StageContext, task: 'retrieval' | 'vqa' | 'caption', f: (model: M) => Promise<T>): Promise<T> {
  const config = backboneModelConfig(ctx, task);
  await using session = await ModelSession.open({ config, weights: backboneOf(ctx, task), tokenizer: ctx.tok });
  return await f(session.modelFor(task) as M);
}

/**
 * Measures the frozen backbone alone (zero-shot, logged), trains the stage's model for `steps` when the
 * method trains, and measures it after: the part every stage shares. Zero-shot is the backbone's own
 * score, not the method's model before training: UniAdapter's official initialisation starts some
 * up-projections away from zero, so the untrained model is not the pretrained one.
 */
async function beforeAndAfter<M extends RetrievalModel | VqaModel | CaptionModel, T>(
  ctx: StageContext,
  model: M,
  config: ModelConfig,
  stage: { task: 'retrieval' | 'vqa' | 'caption'; name: string; method: DemoMethod; steps: number },
  measure: (model: M, step: number) => Promise<T>,
  describe: (m: T) => string,
  trainOptions: Parameters<typeof train>[6] & { beforeTraining?: () => Promise<void> } = {}
): Promise<{ zeroShot: T; after: T; training?: TrainingSummary }> {
  const zeroShot = stage.method.trains ? await onBackbone<M, T>(ctx, stage.task, (backbone) => measure(backbone, 0)) : await measure(model, 0);
  ctx.log(`zero-shot ${stage.name} (the frozen backbone alone): ${describe(zeroShot)}`);
  if (!stage.method.trains) return { zeroShot, after: zeroShot };
  await trainOptions.beforeTraining?.();
  const training = await train(ctx, model, config, stage.task, stage.method, stage.steps, trainOptions);
  return { zeroShot, after: await measure(model, training.steps), training };
}

/** Retrieval: recall on the held-out images before and after training (with a curve), and examples. */
export async function retrievalStage(
  ctx: StageContext,
  method: DemoMethod,
  options: StageOptions = {}
): Promise<{ result: RetrievalStageResult; session: ModelSession; testMedia: string[] }> {
  const { plan, tok, log } = ctx;
  const started = Date.now();
  const test = await (await openDatasetFolder(ctx.data)).task('retrieval').readEval('test');
  const evalSet = evalSubset(test, plan.evalSubset);
  const config = stageModelConfig(ctx, 'retrieval', method);
  const session = await ModelSession.open({ config, weights: ctx.weights, tokenizer: tok });
  try {
    const model = session.modelFor('retrieval');
    const parameters = await parameterCount(model);
    const chanceR1 = 100 / evalSet.media.length;
    const chanceR5 = Math.min(100, 500 / evalSet.media.length);
    const curve: RecallPoint[] = [];
    const losses: Array<[number, number]> = [];
    const itmLosses: number[] = [];
    const onCurve = async (step: number) => {
      const point = await recall(model, evalSet, tok, step);
      curve.push(point);
      return point;
    };
    const { zeroShot, after, training } = await beforeAndAfter(
      ctx,
      model,
      config,
      { task: 'retrieval', name: 'retrieval', method, steps: plan.retrievalSteps },
      async (m, step) => (m === model ? onCurve(step) : recall(m, evalSet, tok, step)),
      (p) => `text->image R@1 ${p.r1.toFixed(1)} R@5 ${p.r5.toFixed(1)} (chance ${chanceR1.toFixed(1)} / ${chanceR5.toFixed(1)})`,
      {
        serve: options.serve,
        beforeTraining: async () => {
          await onCurve(0);
        },
        afterStep: async (step) => {
          if (step % plan.evalEvery === 0 && step < plan.retrievalSteps) await onCurve(step);
        },
        onStep: (step, loss, parts) => {
          losses.push([step, loss]);
          if (typeof parts.lossItm === 'number') itmLosses.push(parts.lossItm);
        },
      }
    );
    const tail = itmLosses.slice(-Math.max(1, Math.ceil(itmLosses.length / 10)));
    const itmFinalLoss = tail.length ? tail.reduce((a, b) => a + b, 0) / tail.length : NaN;

    const examples: RetrievalStageResult['examples'] = [];
    if (options.examples !== false) {
      const gallery = await Gallery.build(model, test.media);
      const queries = [0, 1, 2].map((i) => test.texts[test.img2txt[i * Math.floor(test.media.length / 3)][0]]);
      const found = await retrieveByText(model, gallery, queries, { tokenizer: tok, k: 3 });
      queries.forEach((q, qi) => {
        const truth = test.txt2img[test.texts.indexOf(q)];
        examples.push({ query: q, results: found[qi].map((r) => ({ image: path.basename(r.id), score: +r.score.toFixed(3), correct: r.index === truth })) });
      });
    }
    log(
      `retrieval (${method.label}${training ? `, ${training.steps} steps` : ''}): text->image R@1 ${zeroShot.r1.toFixed(1)} -> ${after.r1.toFixed(1)}, ` +
        `R@5 ${zeroShot.r5.toFixed(1)} -> ${after.r5.toFixed(1)}; image->text R@1 ${after.i2tR1.toFixed(1)} R@5 ${after.i2tR5.toFixed(1)} (chance ${chanceR1.toFixed(1)} / ${chanceR5.toFixed(1)})`
    );
    const result: RetrievalStageResult = {
      zeroShot,
      after,
      chanceR1,
      chanceR5,
      curve,
      losses,
      itmFinalLoss,
      parameters,
      ...(training ? { training } : {}),
      examples,
      seconds: (Date.now() - started) / 1000,
    };
    return { result, session, testMedia: test.media as string[] };
  } catch (e) {
    await session.dispose();
    throw e;
  }
}

/** VQA: accuracy of answer ranking on the held-out questions before and after, against the majority answer per question type. */
export async function vqaStage(ctx: StageContext, method: DemoMethod, options: StageOptions = {}): Promise<VqaStageResult> {
  const { plan, tok, log } = ctx;
  const started = Date.now();
  const config = stageModelConfig(ctx, 'vqa', method);
  await using session = await ModelSession.open({ config, weights: backboneOf(ctx, 'vqa'), tokenizer: tok });
  const model = session.modelFor('vqa');
  const task = (await openDatasetFolder(ctx.data)).task('vqa');
  const test = (await task.readEval('test')).records.slice(0, plan.qaEvalQuestions);
  const baseline = majorityBaseline((await task.readTrain()).records, test);
  const majority = baseline.accuracy;
  const list = (await task.readAnswerList()).answers;
  const accuracy = async (m: VqaModel) => {
    const res = await answerQuestions(m, test.map((r) => r.image), test.map((r) => r.question), { tokenizer: tok, answerList: list, k: Math.min(16, list.length) });
    const score = res.reduce((s, r, i) => s + answerScore(r.answer, humanAnswers(test[i])), 0);
    return { acc: (100 * score) / test.length, res };
  };
  const parameters = await parameterCount(model);
  const { zeroShot: before, after, training } = await beforeAndAfter(
    ctx,
    model,
    config,
    { task: 'vqa', name: 'VQA', method, steps: plan.qaSteps },
    accuracy,
    (m) => `${m.acc.toFixed(1)}% of ${test.length} held-out questions (majority answer per question type: ${majority.toFixed(1)}%)`,
    { serve: options.serve }
  );
  log(
    `VQA (${method.label}${training ? `, ${training.steps} steps` : ''}; answer ranking over ${list.length} answers, ${test.length} held-out questions): ` +
      `accuracy ${before.acc.toFixed(1)}% -> ${after.acc.toFixed(1)}% (majority answer per question type: ${majority.toFixed(1)}%)`
  );
  const byType = accuracyByType(test, baseline.answers, { zeroShot: before.res.map((r) => r.answer), after: after.res.map((r) => r.answer) });
  log(`  by question type (questions: majority / after): ${Object.entries(byType).map(([t, a]) => `'${t}' ${a.questions}: ${a.majority.toFixed(0)}% / ${a.after.toFixed(0)}%`).join(', ')}`);
  const examples = [0, 1, 2].map((i) => ({ image: path.basename(test[i].image), question: test[i].question, answer: after.res[i].answer, truth: [...humanAnswers(test[i])] }));
  return {
    zeroShot: before.acc,
    after: after.acc,
    majorityBaseline: majority,
    questions: test.length,
    byType,
    parameters,
    ...(training ? { training } : {}),
    examples,
    answerList: [...list],
    seconds: (Date.now() - started) / 1000,
  };
}

/** Captioning: CIDEr-D on held-out images before and after, against the best constant caption, and distinctness. */
export async function captionStage(ctx: StageContext, method: DemoMethod, options: StageOptions = {}): Promise<CaptionStageResult> {
  const { plan, tok, log } = ctx;
  const started = Date.now();
  const config = stageModelConfig(ctx, 'caption', method);
  await using session = await ModelSession.open({ config, weights: ctx.weights, tokenizer: tok });
  const model = session.modelFor('caption');
  const task = (await openDatasetFolder(ctx.data)).task('caption');
  const test = (await task.readEval('test')).records.slice(0, plan.captionEvalImages);
  const references = test.map((r) => r.references);
  const generate = async (m: CaptionModel) => {
    const caps = (await captionImages(m, test.map((r) => r.image), { tokenizer: tok, maxLength: 20, minLength: 5 })).map((c) => c.caption);
    return { caps, cider: ciderOf(caps, references) };
  };
  const parameters = await parameterCount(model);
  const { zeroShot: before, after: measured, training } = await beforeAndAfter(
    ctx,
    model,
    config,
    { task: 'caption', name: 'captioning', method, steps: plan.captionSteps },
    generate,
    (m) => `CIDEr-D ${m.cider.toFixed(3)} on ${test.length} held-out images`,
    { serve: options.serve }
  );
  const zeroShot = before.cider;
  const { caps, cider: after } = measured;
  const constant = constantCaptionCider((await task.readTrain()).records.map((r) => r.caption), references);
  const distinct = distinctFraction(caps);
  const examples = test.slice(0, 3).map((r, i) => ({ image: path.basename(r.image), caption: caps[i], references: r.references }));
  log(
    `captioning (${method.label}${training ? `, ${training.steps} steps, final loss ${training.finalLoss.toFixed(3)}` : ''}) on ${test.length} held-out images: ` +
      `CIDEr-D ${zeroShot.toFixed(3)} -> ${after.toFixed(3)} (best constant caption ${constant.cider.toFixed(3)}: "${constant.caption}"); ` +
      `${(100 * distinct).toFixed(0)}% of the images get a caption no other got`
  );
  return {
    zeroShot: { cider: zeroShot },
    after: { cider: after },
    constantCider: constant.cider,
    constantCaption: constant.caption,
    distinctFraction: distinct,
    images: test.length,
    parameters,
    ...(training ? { training } : {}),
    examples,
    seconds: (Date.now() - started) / 1000,
  };
}
