/**
 * BLIP's tokenizer call conventions per task (ARCHITECTURE_SPEC §2 and §9.3), and the conversion of a
 * text batch to int64 host tensors [B, L].
 *
 * | helper               | padding            | max length | position 0 |
 * |----------------------|--------------------|------------|------------|
 * | forRetrieval         | exactly maxLength (or longest) | 35 | [CLS] (ITC) or [ENC] (ITM) |
 * | forQuestions         | longest            | 35         | [ENC] |
 * | forAnswers           | longest            | none       | [DEC] |
 * | forCaptionTraining   | longest            | 40         | [DEC] |
 * | captionPrompt        | none               | none       | [DEC], final [SEP] removed |
 */
import { checkChoice } from '../check-choice';
import { UniAdapterError } from '../errors';
import { int64, type HostTensor } from '../tensor';
import type { BlipTokenizer, EncodeBatchOptions, TextBatch } from './tokenizer';

/** A text batch as int64 tensors of shape [B, L]. */
export interface TextTensors {
  inputIds: HostTensor;
  attentionMask: HostTensor;
}

/**
 * Converts a padded text batch to int64 host tensors [B, L].
 *
 * @throws UniAdapterError ERR_ARG when the rows do not all have the same length
 */
export function textBatchToTensors(batch: TextBatch): TextTensors {
  const rows = batch.inputIds.length;
  if (batch.attentionMask.length !== rows) {
    throw new UniAdapterError('ERR_ARG', `the batch has ${rows} id rows but ${batch.attentionMask.length} mask rows`);
  }
  const width = rows ? batch.inputIds[0].length : 0;
  for (let i = 0; i < rows; i++) {
    if (batch.inputIds[i].length !== width || batch.attentionMask[i].length !== width) {
      throw new UniAdapterError(
        'ERR_ARG',
        `row ${i} has length ${batch.inputIds[i].length} (mask ${batch.attentionMask[i].length}), ` +
          `row 0 has ${width}: pad the batch first`
      );
    }
  }
  return {
    inputIds: int64(batch.inputIds.flat(), [rows, width]),
    attentionMask: int64(batch.attentionMask.flat(), [rows, width]),
  };
}

/**
 * Tokenizes texts with {@link BlipTokenizer.encodeBatch} and returns int64 tensors [B, L].
 *
 * @param options - padding must not be 'none' unless every text has the same length
 */
export function encodeBatchTensors(
  tokenizer: BlipTokenizer,
  texts: readonly string[],
  options?: EncodeBatchOptions
): TextTensors {
  return textBatchToTensors(tokenizer.encodeBatch(texts, options));
}

/** Throws ERR_ARG unless `padding` is one of {@link TEXT_PADDINGS}. */
export function checkTextPadding(padding: unknown, code: 'ERR_ARG' | 'ERR_CONFIG' = 'ERR_ARG', name = 'padding'): void {
  checkChoice(padding, TEXT_PADDINGS, name, code);
}

function withFirstToken(batch: TextBatch, id: number): TextBatch {
  for (const row of batch.inputIds) row[0] = id;
  return batch;
}

/** Options of {@link forRetrieval}. */
export interface RetrievalTextOptions {
  /** Padded and truncated length, default 35 (BLIP); longer for paragraph queries such as DiDeMo. */
  maxLength?: number;
  /** 'cls' for the unimodal text encoder (ITC), 'enc' for the image-grounded encoder (ITM). Default 'cls'. */
  firstToken?: 'cls' | 'enc';
  /** Pad to exactly `maxLength` ('max-length', the official code) or to the batch's longest text ('longest'). */
  padding?: TextPadding;
}

/**
 * How retrieval texts are padded. Attention masks every padding position out, so both give the same
 * features and losses up to float rounding; 'longest' skips the padding's compute when texts are short.
 */
export type TextPadding = 'max-length' | 'longest';

export const TEXT_PADDINGS: readonly TextPadding[] = ['max-length', 'longest'];

/**
 * Retrieval texts: padded to exactly `maxLength` (35) or, with `padding: 'longest'`, to the longest of
 * them; truncated to `maxLength`; `[CLS]` or `[ENC]` at position 0.
 */
export function forRetrieval(tokenizer: BlipTokenizer, texts: readonly string[], options: RetrievalTextOptions = {}): TextBatch {
  const maxLength = options.maxLength ?? 35;
  const firstToken = options.firstToken ?? 'cls';
  const padding = options.padding ?? 'max-length';
  if (firstToken !== 'cls' && firstToken !== 'enc') {
    throw new UniAdapterError('ERR_ARG', `firstToken must be 'cls' or 'enc', got '${String(firstToken)}'`);
  }
  checkTextPadding(padding);
  const batch = tokenizer.encodeBatch(texts, { padding: padding === 'longest' ? 'longest' : 'max_length', maxLength, truncation: true });
  return firstToken === 'enc' ? withFirstToken(batch, tokenizer.encId) : batch;
}

/** VQA questions: padded to the longest, truncated to `maxLength` (35), `[ENC]` at position 0. */
export function forQuestions(tokenizer: BlipTokenizer, texts: readonly string[], maxLength = 35): TextBatch {
  return withFirstToken(tokenizer.encodeBatch(texts, { padding: 'longest', maxLength, truncation: true }), tokenizer.encId);
}

/**
 * VQA answers (training answers, or the whole candidate list for rank inference): padded to the
 * longest, never truncated, `[DEC]` at position 0.
 */
export function forAnswers(tokenizer: BlipTokenizer, texts: readonly string[]): TextBatch {
  return withFirstToken(tokenizer.encodeBatch(texts, { padding: 'longest' }), tokenizer.bosId);
}

/** Options of {@link forCaptionTraining}. */
export interface CaptionTextOptions {
  /** Prepended to every text (BLIP: 'a picture of ' + pre_caption(caption)). Default: none. */
  prompt?: string;
  /** Default 40. */
  maxLength?: number;
}

/** Caption training texts: padded to the longest, truncated to `maxLength` (40), `[DEC]` at position 0. */
export function forCaptionTraining(
  tokenizer: BlipTokenizer,
  texts: readonly string[],
  options: CaptionTextOptions = {}
): TextBatch {
  const prompt = options.prompt ?? '';
  if (typeof prompt !== 'string') throw new UniAdapterError('ERR_ARG', 'prompt must be a string');
  const full = prompt ? texts.map((t) => prompt + t) : texts;
  const batch = tokenizer.encodeBatch(full, { padding: 'longest', maxLength: options.maxLength ?? 40, truncation: true });
  return withFirstToken(batch, tokenizer.bosId);
}

/**
 * The start sequence of caption generation: the prompt's ids with `[DEC]` at position 0 and the final
 * `[SEP]` removed ('a picture of ' → `[DEC] a picture of`, 4 ids). Its length is BLIP's
 * `prompt_length`, the number of leading label positions ignored in caption training.
 */
export function captionPrompt(tokenizer: BlipTokenizer, prompt = 'a picture of '): number[] {
  const ids = tokenizer.encode(prompt);
  ids[0] = tokenizer.bosId;
  ids.pop();
  return ids;
}

/** {@link captionPrompt} repeated for a batch: int64 tensor [batchSize, P]. */
export function captionPromptTensor(tokenizer: BlipTokenizer, prompt: string, batchSize: number): HostTensor {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new UniAdapterError('ERR_ARG', `batchSize must be a positive integer, got ${String(batchSize)}`);
  }
  const ids = captionPrompt(tokenizer, prompt);
  const data: number[] = [];
  for (let b = 0; b < batchSize; b++) data.push(...ids);
  return int64(data, [batchSize, ids.length]);
}
