/**
 * Runs an evaluation protocol on a dataset split: retrieval (the official ITC-shortlist + ITM re-rank
 * protocol; R@1/5/10, R@Mean, MdR), VQA (soft accuracy with the official answer normalisation),
 * VideoQA (exact match), captioning (BLEU-4 and CIDEr-D).
 */
import { ModelSession } from '../session/model-session';
import { resolveModelConfig } from '../config/model-choice';
import { RETRIEVAL_TEXT_LENGTH } from '../config/presets';
import type { ModelConfig } from '../config/model-config';
import { UniAdapterError } from '../errors';
import { evaluateCaptions } from './metrics/caption-metrics';
import { topKIndices } from '../ranking/top-k';
import { exactMatchAccuracy, vqaAccuracy } from './metrics/vqa-accuracy';
import { captionImages } from '../inference/caption';
import { answerQuestions } from '../inference/answer';
import { checkAnswerScore } from '../inference/answer-score';
import type { TaskModel } from '../model/create-model';
import type { CaptionModel } from '../model/caption-model';
import type { RetrievalModel } from '../model/retrieval-model';
import type { VqaModel } from '../model/vqa-model';
import { evaluateRetrieval } from './retrieval/evaluate';
import { defaultThreads, setThreads } from '../native/runtime-info';
import { BlipTokenizer } from '../text/tokenizer';
import { checkTextPadding } from '../text/text-batches';
import { openTaskDataset } from '../data/task-data';
import type { EvalConfig } from './eval-config';

export interface EvalResult {
  task: EvalConfig['task'];
  split: 'val' | 'test';
  items: number;
  metrics: Record<string, number>;
  seconds: number;
  predictions?: Array<Record<string, unknown>>;
}

export function evalModelConfig(c: EvalConfig): ModelConfig {
  return resolveModelConfig(c.task, c.model);
}

export interface RunEvaluationOptions {
  /** A session already open for this task (left open); otherwise one is opened from the config's model, weights and adapter. */
  session?: ModelSession;
  /** A model already built and loaded, borrowed as a session. */
  model?: TaskModel;
  tokenizer?: BlipTokenizer;
  onProgress?: (what: string, done: number, total: number) => void;
}

export async function runEvaluation(c: EvalConfig, options: RunEvaluationOptions = {}): Promise<EvalResult> {
  const started = Date.now();
  // Before a model is built: a misspelt data key or a missing file should not wait for the weights to load.
  const ds = await openTaskDataset(c.task, c.data);
  if (c.answerScore !== undefined) {
    checkAnswerScore(c.answerScore, 'ERR_CONFIG', 'answerScore');
    if (c.vqaMode === 'generate') throw new UniAdapterError('ERR_CONFIG', "answerScore applies to vqaMode 'rank' (ranking over the answer list); leave it out with vqaMode 'generate'");
  }
  await setThreads(c.threads ?? (await defaultThreads()));
  const session =
    options.session ??
    (options.model
      ? ModelSession.borrow(options.model, options.tokenizer)
      : await ModelSession.open({ config: evalModelConfig(c), weights: c.weights, adapter: c.adapter, tokenizer: options.tokenizer }));
  const model = session.model;
  const tok = session.tokenizer;
  try {
    const split = c.split ?? 'test';
    const batch = c.batchSize ?? 16;
    if (ds.task === 'retrieval' || ds.task === 'video-retrieval') {
      if (c.textPadding !== undefined) checkTextPadding(c.textPadding, 'ERR_CONFIG', 'textPadding');
      let set = await ds.readEval(split);
      if (c.limit) set = limitRetrieval(set, c.limit);
      const r = await evaluateRetrieval(model as RetrievalModel, set, {
        tokenizer: tok,
        k: c.k ?? 128,
        beta: c.beta ?? 0,
        frames: c.frames ?? 16,
        frameSampling: c.frameSampling,
        maxLength: c.maxTextLength ?? RETRIEVAL_TEXT_LENGTH,
        textPadding: c.textPadding,
        batchSize: batch,
        onProgress: (p, d, t) => options.onProgress?.(p, d, t),
      });
      // Text-to-media rankings: the 10 best of each text (at most k), with their scores (ITM logit + beta x ITC).
      const G = set.media.length;
      const predictions = set.texts.map((_, j) => {
        const row = r.scores.t2i.subarray(j * G, (j + 1) * G);
        const ranked = topKIndices(row, Math.min(c.k ?? 128, 10, G));
        return { text: j, media: ranked.map((i) => set.mediaIds[i]), scores: ranked.map((i) => row[i]) };
      });
      return { task: c.task, split, items: set.media.length, metrics: { ...r.metrics }, seconds: (Date.now() - started) / 1000, predictions };
    }
    if (ds.task === 'vqa' || ds.task === 'video-qa') {
      const set = await ds.readEval(split);
      const answers = (await ds.readAnswerList()).answers;
      const records = c.limit ? set.records.slice(0, c.limit) : set.records;
      const preds: string[] = [];
      for (let i = 0; i < records.length; i += batch) {
        const part = records.slice(i, i + batch);
        const media = part.map((r) => ('image' in r ? r.image : r.video));
        const res = await answerQuestions(model as VqaModel, media, part.map((r) => r.question), {
          tokenizer: tok,
          mode: c.vqaMode ?? 'rank',
          answerList: answers,
          k: c.answerK ?? 128,
          ...(c.answerScore !== undefined ? { score: c.answerScore } : {}),
          kind: ds.task === 'video-qa' ? 'video' : 'image',
          frames: c.frames ?? 16,
          frameSampling: c.frameSampling,
        });
        preds.push(...res.map((r) => r.answer));
        options.onProgress?.('questions', Math.min(i + batch, records.length), records.length);
      }
      let metrics: Record<string, number>;
      if (ds.task === 'vqa') {
        const gt = records.map((r) => ('humanAnswers' in r && r.humanAnswers ? r.humanAnswers : r.answers));
        if (gt.some((g) => g.length < 2)) throw new UniAdapterError('ERR_DATA', 'VQA accuracy needs the human answers of every question (a test split without answers cannot be scored locally)');
        metrics = { accuracy: vqaAccuracy(preds, gt).overall };
      } else {
        metrics = { accuracy: exactMatchAccuracy(preds, records.map((r) => ('answer' in r ? (r.answer as string) : ''))) };
      }
      return {
        task: c.task,
        split,
        items: records.length,
        metrics,
        seconds: (Date.now() - started) / 1000,
        predictions: records.map((r, i) => ({ question_id: r.questionId, answer: preds[i] })),
      };
    }
    if (ds.task === 'caption') {
      const set = await ds.readEval(split);
      const records = c.limit ? set.records.slice(0, c.limit) : set.records;
      const results: Array<{ image_id: number; caption: string }> = [];
      for (let i = 0; i < records.length; i += batch) {
        const part = records.slice(i, i + batch);
        const caps = await captionImages(model as CaptionModel, part.map((r) => r.image), {
          tokenizer: tok,
          numBeams: c.numBeams ?? 3,
          maxLength: c.maxCaptionLength ?? 20,
          minLength: c.minCaptionLength ?? 5,
        });
        caps.forEach((cap, j) => results.push({ image_id: part[j].imageId, caption: cap.caption }));
        options.onProgress?.('images', Math.min(i + batch, records.length), records.length);
      }
      const gt = await ds.readGroundTruth(split);
      const e = evaluateCaptions(results, gt.references);
      return {
        task: c.task,
        split,
        items: records.length,
        metrics: { Bleu_4: e.Bleu_4, CIDEr: e.CIDEr, Bleu_1: e.Bleu_1 },
        seconds: (Date.now() - started) / 1000,
        predictions: results,
      };
    }
    throw new UniAdapterError('ERR_ARG', `cannot evaluate task '${c.task}'`);
  } finally {
    if (session !== options.session) await session.dispose();
  }
}

function limitRetrieval<T extends { media: string[]; mediaIds: string[]; texts: string[]; img2txt: number[][]; txt2img: number[]; sources: unknown[] }>(set: T, n: number): T {
  const media = set.media.slice(0, n);
  const keep = set.img2txt.slice(0, n);
  const texts: string[] = [];
  const img2txt: number[][] = [];
  const txt2img: number[] = [];
  keep.forEach((list, i) => {
    img2txt.push(list.map((j) => {
      texts.push(set.texts[j]);
      txt2img.push(i);
      return texts.length - 1;
    }));
  });
  return { ...set, media, mediaIds: set.mediaIds.slice(0, n), texts, img2txt, txt2img, sources: set.sources.slice(0, n) };
}
