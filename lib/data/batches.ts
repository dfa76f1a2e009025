/**
 * From dataset records to the tensors of one native training step, per task: pixels stacked as
 * uint8, texts tokenised with the task's conventions (spec §2), answers flattened with their weights.
 */
import { UniAdapterError } from '../errors';
import type { RetrievalBatch } from '../model/retrieval-model';
import type { VqaBatch } from '../model/vqa-model';
import type { CaptionBatch } from '../model/caption-model';
import { concatRows, float32, int64, reshape, type HostTensor } from '../tensor';
import type { BlipTokenizer } from '../text/tokenizer';
import { captionPrompt, forAnswers, forCaptionTraining, forQuestions, forRetrieval, textBatchToTensors, type TextPadding } from '../text/text-batches';

/** One sample's pixels, uint8 [S, S, 3] or [T, S, S, 3], stacked into [B, ...]. */
export function stackPixels(items: readonly HostTensor[]): HostTensor {
  if (items.length === 0) throw new UniAdapterError('ERR_ARG', 'an empty batch has no pixels');
  return concatRows(items.map((t) => reshape(t, [1, ...t.shape])));
}

export interface RetrievalSample {
  pixels: HostTensor;
  caption: string;
  idx: number;
}

export function retrievalBatch(items: readonly RetrievalSample[], tok: BlipTokenizer, maxLength = 35, padding: TextPadding = 'max-length'): RetrievalBatch {
  const text = textBatchToTensors(forRetrieval(tok, items.map((i) => i.caption), { maxLength, firstToken: 'cls', padding }));
  return { pixels: stackPixels(items.map((i) => i.pixels)), inputIds: text.inputIds, attentionMask: text.attentionMask, idx: int64(items.map((i) => i.idx), [items.length]) };
}

export interface QaSample {
  pixels: HostTensor;
  question: string;
  answers: string[];
  weights: number[];
}

export function vqaBatch(items: readonly QaSample[], tok: BlipTokenizer): VqaBatch {
  const q = textBatchToTensors(forQuestions(tok, items.map((i) => i.question)));
  const answers = items.flatMap((i) => i.answers);
  if (items.some((i) => i.answers.length === 0)) throw new UniAdapterError('ERR_DATA', 'a training question has no answer');
  const a = textBatchToTensors(forAnswers(tok, answers));
  return {
    pixels: stackPixels(items.map((i) => i.pixels)),
    questionIds: q.inputIds,
    questionMask: q.attentionMask,
    answerIds: a.inputIds,
    answerMask: a.attentionMask,
    answerCount: int64(items.map((i) => i.answers.length), [items.length]),
    answerWeights: float32(items.flatMap((i) => i.weights), [answers.length]),
  };
}

export interface CaptionSample {
  pixels: HostTensor;
  caption: string;
}

export const CAPTION_PROMPT = 'a picture of ';

export function captionBatch(items: readonly CaptionSample[], tok: BlipTokenizer, prompt = CAPTION_PROMPT): CaptionBatch {
  const text = textBatchToTensors(forCaptionTraining(tok, items.map((i) => i.caption), { prompt, maxLength: 40 }));
  // BLIP: prompt_length = len(tokenize(prompt).input_ids) - 1 ([CLS] a picture of [SEP] -> 4).
  const promptLength = captionPrompt(tok, prompt).length;
  return { pixels: stackPixels(items.map((i) => i.pixels)), captionIds: text.inputIds, captionMask: text.attentionMask, promptLength };
}
