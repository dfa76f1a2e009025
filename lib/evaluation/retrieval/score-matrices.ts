/**
 * The official retrieval evaluation protocol (train_retrieval.evaluation): ITC similarities for every
 * (image, text) pair, then for each image the top-k texts and for each text the top-k images are
 * re-ranked by the ITM head; score = ITM match logit + beta x similarity, -100 outside the shortlist.
 * The ITM passes are the re-rank engine's (lib/ranking/itm-rerank.ts).
 */
import { UniAdapterError } from '../../errors';
import type { GalleryEmbeddings } from '../../inference/gallery';
import type { RetrievalModel } from '../../model/retrieval-model';
import { itmMatchLogits, mediaRowsOf } from '../../ranking/itm-rerank';
import { topKIndices as topk } from '../../ranking/top-k';
import { reshape, type HostTensor } from '../../tensor';

/** The value of every entry outside a row's shortlist, as in the official code. */
export const OUTSIDE_SHORTLIST_SCORE = -100;

export interface QueryTexts {
  inputIds: HostTensor;
  attentionMask: HostTensor;
  /** ITC features [Q, E]. */
  features: HostTensor;
}

export interface ScoreMatrixOptions {
  /** Shortlist length (k_test: 256 COCO, 128 Flickr/MSR-VTT). */
  k: number;
  /** Weight of the ITC similarity added to the ITM logit (0 in UniAdapter's configs). */
  beta?: number;
  /** Frame-aware attention in the video ITM passes. */
  pfa?: boolean;
  /** Upper bound on pairs per native call. */
  pairsPerCall?: number;
  /** Which matrices to fill. */
  directions?: Array<'i2t' | 't2i'>;
  onProgress?: (pairsDone: number, pairsTotal: number) => void;
}

export interface ScoreMatrices {
  /** [G, Q] cosine similarities. */
  sims: Float32Array;
  /** [G, Q] image-to-text scores (-100 outside each row's shortlist). */
  i2t: Float32Array;
  /** [Q, G] text-to-image scores. */
  t2i: Float32Array;
  numImages: number;
  numTexts: number;
}

export async function retrievalScoreMatrices(
  model: RetrievalModel,
  gallery: GalleryEmbeddings,
  queries: QueryTexts,
  options: ScoreMatrixOptions
): Promise<ScoreMatrices> {
  const G = gallery.features.shape[0];
  const Q = queries.features.shape[0];
  const { k } = options;
  if (!Number.isInteger(k) || k < 1) throw new UniAdapterError('ERR_ARG', `k must be a positive integer, got ${k}`);
  const beta = options.beta ?? 0;
  if (typeof beta !== 'number' || !Number.isFinite(beta)) throw new UniAdapterError('ERR_ARG', `beta must be a finite number, got ${String(beta)}`);
  const directions = new Set(options.directions ?? ['i2t', 't2i']);
  const sims = new Float32Array((await model.similarity(gallery.features, queries.features)).data as Float32Array);

  // pair key = image * Q + text; both directions share the ITM computation of a pair.
  const pairs = new Set<number>();
  const i2tLists: number[][] = [];
  const t2iLists: number[][] = [];
  if (directions.has('i2t')) {
    for (let i = 0; i < G; i++) {
      const row = sims.subarray(i * Q, (i + 1) * Q);
      const top = topk(row, k);
      i2tLists.push(top);
      for (const j of top) pairs.add(i * Q + j);
    }
  }
  if (directions.has('t2i')) {
    const col = new Float32Array(G);
    for (let j = 0; j < Q; j++) {
      for (let i = 0; i < G; i++) col[i] = sims[i * Q + j];
      const top = topk(col, k);
      t2iLists.push(top);
      for (const i of top) pairs.add(i * Q + j);
    }
  }
  if (gallery.tokens.shape.length < 3) throw new UniAdapterError('ERR_SHAPE', 'gallery tokens must be [G, T, tokens, width]');
  const logits = await itmMatchLogits(model, mediaRowsOf(gallery), queries, pairs, {
    pfa: options.pfa ?? false,
    pairsPerCall: options.pairsPerCall ?? 512,
    onProgress: options.onProgress,
  });

  const i2t = new Float32Array(G * Q).fill(OUTSIDE_SHORTLIST_SCORE);
  const t2i = new Float32Array(Q * G).fill(OUTSIDE_SHORTLIST_SCORE);
  i2tLists.forEach((top, i) => {
    for (const j of top) i2t[i * Q + j] = (logits.get(i * Q + j) as number) + beta * sims[i * Q + j];
  });
  t2iLists.forEach((top, j) => {
    for (const i of top) t2i[j * G + i] = (logits.get(i * Q + j) as number) + beta * sims[i * Q + j];
  });
  return { sims, i2t, t2i, numImages: G, numTexts: Q };
}

/** The gallery tokens of images as [G, 1, tokens, width]. */
export function asFrames(tokens: HostTensor): HostTensor {
  return tokens.shape.length === 3 ? reshape(tokens, [tokens.shape[0], 1, tokens.shape[1], tokens.shape[2]]) : tokens;
}
