/**
 * The official retrieval evaluation protocol (train_retrieval.evaluation): ITC similarities for every
 * (image, text) pair, then for each image the top-k texts and for each text the top-k images are
 * re-ranked by the ITM head; score = ITM match logit + beta x similarity, -100 outside the shortlist.
 * Pairs are grouped by candidate so that each candidate's cross-attention keys and values are
 * computed once per call, whatever the number of texts it is paired with.
 */
import { UniAdapterError } from '../../errors';
import { OUTSIDE_SHORTLIST_SCORE, topKIndices as topk } from '../metrics/retrieval-scores';
import type { RetrievalModel } from '../../model/retrieval-model';
import { int64, reshape, selectRows, toNumbers, type HostTensor } from '../../tensor';

export interface GalleryEmbeddings {
  /** ViT outputs [G, T, tokens, width]. */
  tokens: HostTensor;
  /** ITC features [G, E]. */
  features: HostTensor;
  /** Per-frame ITC features [G, T, E]. */
  frameFeatures: HostTensor;
}

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
  const ordered = [...pairs].sort((a, b) => a - b); // grouped by image
  const logits = new Map<number, number>();
  const perCall = options.pairsPerCall ?? 512;
  const tokenShape = gallery.tokens.shape;
  let start = 0;
  while (start < ordered.length) {
    // Close a call at an image boundary so that an image's pairs stay together when possible.
    let end = Math.min(start + perCall, ordered.length);
    const lastImage = Math.floor(ordered[end - 1] / Q);
    if (end < ordered.length && Math.floor(ordered[end] / Q) === lastImage) {
      let cut = end;
      while (cut > start && Math.floor(ordered[cut - 1] / Q) === lastImage) cut--;
      if (cut > start) end = cut;
    }
    const slice = ordered.slice(start, end);
    const images = [...new Set(slice.map((p) => Math.floor(p / Q)))];
    const local = new Map(images.map((img, i) => [img, i]));
    const texts = slice.map((p) => p % Q);
    const r = await model.itm({
      inputIds: selectRows(queries.inputIds, texts),
      attentionMask: selectRows(queries.attentionMask, texts),
      imageTokens: selectRows(gallery.tokens, images),
      pairImage: int64(slice.map((p) => local.get(Math.floor(p / Q)) as number), [slice.length]),
      textFeatures: options.pfa ? selectRows(queries.features, texts) : undefined,
      frameFeatures: options.pfa ? selectRows(gallery.frameFeatures, images) : undefined,
      pfa: options.pfa ?? false,
    });
    const l = toNumbers(r.logits);
    slice.forEach((p, i) => logits.set(p, l[i * 2 + 1]));
    start = end;
    options.onProgress?.(start, ordered.length);
  }
  if (tokenShape.length < 3) throw new UniAdapterError('ERR_SHAPE', 'gallery tokens must be [G, T, tokens, width]');

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
