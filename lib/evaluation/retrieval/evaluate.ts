/**
 * Retrieval evaluation on an evaluation set, exactly as the official protocol: every image (or video)
 * and text is embedded, ITC similarities shortlist k candidates per query in both directions, the ITM
 * head re-ranks them (score = ITM logit + beta x similarity, -100 elsewhere), then R@1/5/10, R@Mean,
 * MdR and MnR in both directions.
 */
import type { RetrievalEvalSet } from '../../data/datasets/retrieval-set';
import { itmEval, type RetrievalMetrics } from '../metrics/retrieval-metrics';
import type { RetrievalModel } from '../../model/retrieval-model';
import { concatRows, selectRows, type HostTensor } from '../../tensor';
import type { BlipTokenizer } from '../../text/tokenizer';
import { forRetrieval, textBatchToTensors, type TextPadding } from '../../text/text-batches';
import { MediaLoader } from '../../data/media/media-loader';
import { retrievalScoreMatrices, type ScoreMatrices } from './score-matrices';
import { stackPixels } from '../../data/batches';

export interface RetrievalEvalOptions {
  tokenizer: BlipTokenizer;
  /** Shortlist length (k_test). */
  k?: number;
  beta?: number;
  /** Frame-aware attention in video re-ranking (default: on for videos). */
  pfa?: boolean;
  /** Frames per video (16 at inference in the paper). */
  frames?: number;
  /** Text length (35 in the official code; longer for DiDeMo paragraphs). */
  maxLength?: number;
  /** 'max-length' (official) or 'longest': every text padded to the longest text of the set (same scores up to float rounding). */
  textPadding?: TextPadding;
  /** Frame choice of videos: 'uniform' (default) or BLIP's 'blip-arange'. */
  frameSampling?: 'uniform' | 'blip-arange';
  /** Media per embedding call. */
  batchSize?: number;
  onProgress?: (phase: 'media' | 'texts' | 'rerank', done: number, total: number) => void;
}

export interface RetrievalEvalResult {
  metrics: RetrievalMetrics;
  scores: ScoreMatrices;
  seconds: { embed: number; rerank: number; total: number };
}

export async function evaluateRetrieval(model: RetrievalModel, set: RetrievalEvalSet, options: RetrievalEvalOptions): Promise<RetrievalEvalResult> {
  const started = Date.now();
  const video = set.modality === 'video';
  const media = new MediaLoader({ size: model.config.vision.imageSize, frames: options.frames ?? 16, augment: false, frameSampling: options.frameSampling });
  const batchSize = options.batchSize ?? 16;
  const tokens: HostTensor[] = [];
  const features: HostTensor[] = [];
  const frameFeatures: HostTensor[] = [];
  for (let i = 0; i < set.media.length; i += batchSize) {
    const files = set.media.slice(i, i + batchSize);
    const pixels = stackPixels(await Promise.all(files.map((f) => (video ? media.video(f, 0) : media.image(f, 0)))));
    const e = await model.encodeImages(pixels, { tokens: true });
    tokens.push(e.tokens as HostTensor);
    features.push(e.features);
    frameFeatures.push(e.frameFeatures);
    options.onProgress?.('media', Math.min(i + batchSize, set.media.length), set.media.length);
  }
  // The whole set in one batch, so that 'longest' gives every text one width: the re-ranking stacks them.
  const text = textBatchToTensors(
    forRetrieval(options.tokenizer, set.texts, { maxLength: options.maxLength ?? 35, firstToken: 'cls', padding: options.textPadding ?? 'max-length' })
  );
  const textFeatures: HostTensor[] = [];
  const textBatch = 128;
  for (let j = 0; j < set.texts.length; j += textBatch) {
    const rows = Array.from({ length: Math.min(textBatch, set.texts.length - j) }, (_, i) => j + i);
    const e = await model.encodeTexts(selectRows(text.inputIds, rows), selectRows(text.attentionMask, rows));
    textFeatures.push(e.features);
    options.onProgress?.('texts', Math.min(j + textBatch, set.texts.length), set.texts.length);
  }
  const embedded = Date.now();
  const scores = await retrievalScoreMatrices(
    model,
    { tokens: concatRows(tokens), features: concatRows(features), frameFeatures: concatRows(frameFeatures) },
    { inputIds: text.inputIds, attentionMask: text.attentionMask, features: concatRows(textFeatures) },
    {
      k: options.k ?? 128,
      beta: options.beta ?? 0,
      pfa: options.pfa ?? (video && model.config.petl.pfa !== 'off'),
      onProgress: (d, t) => options.onProgress?.('rerank', d, t),
    }
  );
  const metrics = itmEval(
    { shape: [scores.numImages, scores.numTexts], data: scores.i2t },
    { shape: [scores.numTexts, scores.numImages], data: scores.t2i },
    set.txt2img,
    set.img2txt
  );
  const done = Date.now();
  return { metrics, scores, seconds: { embed: (embedded - started) / 1000, rerank: (done - embedded) / 1000, total: (done - started) / 1000 } };
}
