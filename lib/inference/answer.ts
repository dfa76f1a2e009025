/**
 * Visual question answering (images, or videos as concatenated frames): ranking a candidate answer
 * list (first-token shortlist of k, then full label-smoothed scoring, as BLIP_VQA.rank_answer) or
 * free generation by beam search.
 */
import { UniAdapterError } from '../errors';
import type { VqaModel } from '../model/vqa-model';
import { checkAnswerScore, type AnswerScore } from './answer-score';
import { toNumbers } from '../tensor';
import type { BlipTokenizer } from '../text/tokenizer';
import { forAnswers, forQuestions, textBatchToTensors, type TextTensors } from '../text/text-batches';
import { preQuestion } from '../text/pre-text';
import { pixelsOf, type ImageInput } from '../data/media/media-input';

export interface AnswerOptions {
  tokenizer: BlipTokenizer;
  /** 'rank' over `answerList` (the official default) or 'generate'. */
  mode?: 'rank' | 'generate';
  answerList?: readonly string[];
  /** Candidates kept by the first-token shortlist (k_test 128). */
  k?: number;
  /**
   * How the shortlist is scored (rank): 'smoothed' (default, the official label-smoothed loss) or
   * 'log-likelihood', which does not charge multi-token answers ("top left") for their extra tokens.
   */
  score?: AnswerScore;
  numBeams?: number;
  maxLength?: number;
  kind?: 'image' | 'video';
  frames?: number;
  /** Frame choice of videos: 'uniform' (default) or BLIP's 'blip-arange'. */
  frameSampling?: 'uniform' | 'blip-arange';
  /**
   * Questions per native call (default 32). Ranking holds questions × k × answer length × vocabulary
   * logits at once (300 questions, k 16, BERT's vocabulary: several GB), so long lists go in parts.
   */
  batchSize?: number;
}

export interface AnswerResult {
  answer: string;
  /** rank: the summed (by default label-smoothed) log-probability; generate: the beam score. */
  score: number;
}

/** Tokenised answer lists, cached per list (the whole list is padded to its longest answer once). */
const answerCache = new WeakMap<readonly string[], TextTensors>();

export async function answerQuestions(
  model: VqaModel,
  images: readonly ImageInput[],
  questions: readonly string[],
  options: AnswerOptions
): Promise<AnswerResult[]> {
  if (images.length !== questions.length) throw new UniAdapterError('ERR_ARG', `got ${images.length} images for ${questions.length} questions`);
  if (options.score !== undefined) checkAnswerScore(options.score);
  const mode = options.mode ?? 'rank';
  if (mode !== 'rank' && mode !== 'generate') {
    throw new UniAdapterError('ERR_ARG', `mode must be 'rank' (over answerList) or 'generate', got '${String(mode)}'`);
  }
  if (mode === 'generate' && options.score !== undefined) {
    throw new UniAdapterError('ERR_ARG', "score chooses how mode 'rank' scores the answer list; mode 'generate' has its beam score (leave score out)");
  }
  if (images.length === 0) return [];
  const batch = options.batchSize ?? 32;
  if (!Number.isInteger(batch) || batch < 1) throw new UniAdapterError('ERR_ARG', `batchSize must be a positive integer, got ${String(options.batchSize)}`);
  if (images.length > batch) {
    const out: AnswerResult[] = [];
    for (let i = 0; i < images.length; i += batch) out.push(...(await answerQuestions(model, images.slice(i, i + batch), questions.slice(i, i + batch), options)));
    return out;
  }
  const tok = options.tokenizer;
  const pixels = await pixelsOf(images, model.config.vision.imageSize, { kind: options.kind, frames: options.frames, frameSampling: options.frameSampling });
  const q = textBatchToTensors(forQuestions(tok, questions.map((s) => preQuestion(s))));
  if (mode === 'generate') {
    const g = await model.generate({ pixels, questionIds: q.inputIds, questionMask: q.attentionMask }, { numBeams: options.numBeams ?? 3, maxLength: options.maxLength ?? 10 });
    const ids = toNumbers(g.ids);
    const L = g.ids.shape[1];
    const scores = g.scores ? toNumbers(g.scores) : [];
    return questions.map((_, i) => ({ answer: tok.decode(ids.slice(i * L, (i + 1) * L)), score: scores[i] ?? NaN }));
  }
  const list = options.answerList;
  if (!list || list.length === 0) throw new UniAdapterError('ERR_ARG', "mode 'rank' needs an answerList");
  let a = answerCache.get(list);
  if (!a) {
    a = textBatchToTensors(forAnswers(tok, list));
    answerCache.set(list, a);
  }
  const r = await model.rank(
    { pixels, questionIds: q.inputIds, questionMask: q.attentionMask, answerListIds: a.inputIds, answerListMask: a.attentionMask },
    { k: Math.min(options.k ?? 128, list.length), score: options.score }
  );
  const best = toNumbers(r.best);
  const topk = toNumbers(r.topkIds);
  const sums = toNumbers(r.logProbSums);
  const k = r.topkIds.shape[1];
  return best.map((b, i) => {
    const pos = topk.slice(i * k, (i + 1) * k).indexOf(b);
    return { answer: list[b], score: sums[i * k + pos] };
  });
}
