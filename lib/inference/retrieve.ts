/**
 * Text-to-image/video search over a gallery: ITC similarities shortlist `rerank` candidates per
 * query, the ITM head re-scores them (score = ITM match logit + beta x similarity; beta 0 as
 * UniAdapter's configs), and the best `k` come back. Each candidate's cross-attention keys and values
 * are computed once per call for all the queries that shortlisted it.
 */
import { UniAdapterError } from '../errors';
import { topKIndices } from '../evaluation/metrics/retrieval-scores';
import type { RetrievalModel } from '../model/retrieval-model';
import { int64, selectRows, toNumbers, type HostTensor } from '../tensor';
import type { BlipTokenizer } from '../text/tokenizer';
import { forRetrieval, textBatchToTensors } from '../text/text-batches';
import { preCaption } from '../text/pre-text';
import type { Gallery } from './gallery';
import { pixelsOf, type ImageInput } from '../data/media/media-input';
import type { TextGallery } from './text-gallery';

export interface RetrieveOptions {
  tokenizer: BlipTokenizer;
  /** Results per query (default 10). */
  k?: number;
  /** ITC shortlist re-ranked by ITM (default max(k, 16)); 0 returns the ITC ranking alone. */
  rerank?: number;
  beta?: number;
  /** Frame-aware attention for video galleries (default on). */
  pfa?: boolean;
  /** Apply BLIP's caption normalisation to the queries (default true). */
  normalize?: boolean;
  maxLength?: number;
}

export interface RetrievedItem {
  id: string;
  index: number;
  /** Ranking score: ITM logit + beta x ITC (or the ITC similarity when rerank is 0). */
  score: number;
  itc: number;
  itm?: number;
}

/** Results per query and shortlist size, validated; a shortlist is never shorter than k. */
function rankingSizes(options: { k?: number; rerank?: number }, size: number): { k: number; rerank: number } {
  const wanted = options.k ?? 10;
  if (!Number.isInteger(wanted) || wanted < 1) throw new UniAdapterError('ERR_ARG', `k must be a positive integer, got ${options.k}`);
  const k = Math.min(wanted, size);
  const asked = options.rerank ?? Math.max(k, 16);
  if (!Number.isInteger(asked) || asked < 0) throw new UniAdapterError('ERR_ARG', `rerank must be 0 (ITC only) or a positive integer, got ${options.rerank}`);
  return { k, rerank: asked === 0 ? 0 : Math.min(Math.max(asked, k), size) };
}

/** The weight of the ITC similarity in the ranking score (default 0); NaN or ±∞ would make the order arbitrary. */
function betaOf(options: { beta?: number }): number {
  const beta = options.beta ?? 0;
  if (typeof beta !== 'number' || !Number.isFinite(beta)) {
    throw new UniAdapterError('ERR_ARG', `beta must be a finite number (0: ITM logit only, 1: BLIP's ITM + ITC), got ${String(beta)}`);
  }
  return beta;
}

/**
 * Each query's top k of its re-ranked (query, candidate) pairs: score = ITM logit + beta x ITC, ties
 * broken by gallery order. `sims` is the [queries, ids.length] ITC matrix, `logits` the [pairs, 2] ITM output.
 */
function rankedByItm(
  pairs: ReadonlyArray<readonly [number, number]>,
  logits: ArrayLike<number>,
  sims: ArrayLike<number>,
  ids: readonly string[],
  o: { queries: number; beta: number; k: number }
): RetrievedItem[][] {
  const results: RetrievedItem[][] = Array.from({ length: o.queries }, () => []);
  pairs.forEach(([q, i], p) => {
    const itc = sims[q * ids.length + i];
    const itm = logits[p * 2 + 1];
    results[q].push({ id: ids[i], index: i, score: itm + o.beta * itc, itc, itm });
  });
  return results.map((list) => list.sort((a, b) => b.score - a.score || a.index - b.index).slice(0, o.k));
}

export async function retrieveByText(model: RetrievalModel, gallery: Gallery, queries: readonly string[], options: RetrieveOptions): Promise<RetrievedItem[][]> {
  if (queries.length === 0) return [];
  const { k, rerank } = rankingSizes(options, gallery.size);
  const beta = betaOf(options);
  const texts = options.normalize === false ? [...queries] : queries.map((q) => preCaption(q, 30));
  const t = textBatchToTensors(forRetrieval(options.tokenizer, texts, { maxLength: options.maxLength ?? 35, firstToken: 'cls' }));
  const emb = await model.encodeTexts(t.inputIds, t.attentionMask);
  const sims = toNumbers(await model.similarity(emb.features, gallery.features)); // [Q, G]
  const G = gallery.size;
  const shortlists = texts.map((_, q) => topKIndices(sims.slice(q * G, (q + 1) * G), rerank > 0 ? rerank : k));
  if (rerank === 0) {
    return shortlists.map((list, q) => list.map((i) => ({ id: gallery.ids[i], index: i, score: sims[q * G + i], itc: sims[q * G + i] })));
  }
  // All (query, candidate) pairs, grouped by candidate.
  const pairs: Array<[number, number]> = [];
  shortlists.forEach((list, q) => list.forEach((i) => pairs.push([q, i])));
  pairs.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  const candidates = [...new Set(pairs.map((p) => p[1]))];
  const local = new Map(candidates.map((c, i) => [c, i]));
  const video = gallery.kind === 'video';
  const pfa = video && (options.pfa ?? model.config.petl.pfa !== 'off');
  const r = await model.itm({
    inputIds: selectRows(t.inputIds, pairs.map((p) => p[0])),
    attentionMask: selectRows(t.attentionMask, pairs.map((p) => p[0])),
    imageTokens: selectRows(gallery.tokens, candidates),
    pairImage: int64(pairs.map((p) => local.get(p[1]) as number), [pairs.length]),
    textFeatures: pfa ? selectRows(emb.features, pairs.map((p) => p[0])) : undefined,
    frameFeatures: pfa ? selectRows(gallery.frameFeatures, candidates) : undefined,
    pfa,
  });
  return rankedByItm(pairs, toNumbers(r.logits), sims, gallery.ids, { queries: texts.length, beta, k });
}

export interface ImageQueryOptions {
  /** Results per query (default 10). */
  k?: number;
  /** ITC shortlist re-ranked by ITM (default max(k, 16)); 0 returns the ITC ranking alone. */
  rerank?: number;
  beta?: number;
  /** Treat the queries as videos (paths or frame lists) instead of images. */
  kind?: 'image' | 'video';
  frames?: number;
  /** Frame choice of videos: 'uniform' (default) or BLIP's 'blip-arange'. */
  frameSampling?: 'uniform' | 'blip-arange';
  /** Frame-aware attention for video queries (default on when the model has PFA). */
  pfa?: boolean;
}

/**
 * Image-to-text search over a text gallery: each query image's ITC similarities shortlist texts, the
 * ITM head re-scores them with the image's cross-attention keys and values computed once per image.
 */
export async function retrieveByImage(
  model: RetrievalModel,
  gallery: TextGallery,
  images: readonly ImageInput[],
  options: ImageQueryOptions = {}
): Promise<RetrievedItem[][]> {
  if (images.length === 0) return [];
  const { k, rerank } = rankingSizes(options, gallery.size);
  const beta = betaOf(options);
  const pixels = await pixelsOf(images, model.config.vision.imageSize, { kind: options.kind, frames: options.frames, frameSampling: options.frameSampling });
  const emb = await model.encodeImages(pixels, { tokens: rerank > 0 });
  const sims = toNumbers(await model.similarity(emb.features, gallery.features)); // [I, N]
  const N = gallery.size;
  const shortlists = images.map((_, q) => topKIndices(sims.slice(q * N, (q + 1) * N), rerank > 0 ? rerank : k));
  if (rerank === 0) {
    return shortlists.map((list, q) => list.map((j) => ({ id: gallery.ids[j], index: j, score: sims[q * N + j], itc: sims[q * N + j] })));
  }
  const pairs: Array<[number, number]> = []; // (image, text), grouped by image
  shortlists.forEach((list, q) => list.forEach((j) => pairs.push([q, j])));
  const video = options.kind === 'video';
  const pfa = video && (options.pfa ?? model.config.petl.pfa !== 'off');
  const r = await model.itm({
    inputIds: selectRows(gallery.inputIds, pairs.map((p) => p[1])),
    attentionMask: selectRows(gallery.attentionMask, pairs.map((p) => p[1])),
    imageTokens: emb.tokens as HostTensor,
    pairImage: int64(pairs.map((p) => p[0]), [pairs.length]),
    textFeatures: pfa ? selectRows(gallery.features, pairs.map((p) => p[1])) : undefined,
    frameFeatures: pfa ? emb.frameFeatures : undefined,
    pfa,
  });
  return rankedByItm(pairs, toNumbers(r.logits), sims, gallery.ids, { queries: images.length, beta, k });
}
