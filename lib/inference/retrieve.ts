/**
 * Text-to-image/video search over a gallery: ITC similarities shortlist `rerank` candidates per
 * query, the ITM head re-scores them (score = ITM match logit + beta x similarity; beta 0 as
 * UniAdapter's configs), and the best `k` come back. Each candidate's cross-attention keys and values
 * are computed once per call for all the queries that shortlisted it.
 */
import { itmMatchLogits, mediaRowsOf } from '../ranking/itm-rerank';
import { topKIndices } from '../ranking/top-k';
import { betaOf, rankingSizes } from '../ranking/ranking-options';
import type { RetrievalModel } from '../model/retrieval-model';
import { toNumbers, type HostTensor } from '../tensor';
import { encodeQueries, type QueryTextOptions } from '../ranking/query-texts';
import type { Gallery } from './gallery';
import { pixelsOf, type ImageInput } from '../data/media/media-input';
import type { TextGallery } from './text-gallery';
import { GalleryStore } from '../store/gallery-store';
import { searchStoreByImage, searchStoreByText, type ImageStoreSearchOptions, type StoreResult, type StoreSearchOptions } from '../store/store-search';

export interface RetrieveOptions extends QueryTextOptions {
  /** Results per query (default 10). */
  k?: number;
  /** ITC shortlist re-ranked by ITM (default max(k, 16)); 0 returns the ITC ranking alone. */
  rerank?: number;
  beta?: number;
  /** Frame-aware attention for video galleries (default on). */
  pfa?: boolean;
}

export interface RetrievedItem {
  id: string;
  index: number;
  /** Ranking score: ITM logit + beta x ITC (or the ITC similarity when rerank is 0). */
  score: number;
  itc: number;
  itm?: number;
}

/**
 * Each query's top k of its shortlist re-scored: score = ITM logit + beta x ITC, ties broken by gallery
 * order. `sims` is the [queries, ids.length] ITC matrix; `logits` holds each pair's ITM match logit
 * under the engine's key (media item x number of texts + text).
 */
function rankedByItm(
  shortlists: readonly number[][],
  logitOf: (query: number, item: number) => number,
  sims: ArrayLike<number>,
  ids: readonly string[],
  o: { beta: number; k: number }
): RetrievedItem[][] {
  return shortlists.map((list, q) =>
    list
      .map((i) => {
        const itc = sims[q * ids.length + i];
        const itm = logitOf(q, i);
        return { id: ids[i], index: i, score: itm + o.beta * itc, itc, itm };
      })
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .slice(0, o.k)
  );
}

/** The ITC ranking alone (rerank 0). */
function rankedByItc(shortlists: readonly number[][], sims: ArrayLike<number>, ids: readonly string[]): RetrievedItem[][] {
  return shortlists.map((list, q) => list.map((i) => ({ id: ids[i], index: i, score: sims[q * ids.length + i], itc: sims[q * ids.length + i] })));
}

/**
 * Text → media over an in-memory `Gallery`, or over a `GalleryStore` (then with the store's options —
 * `where`, `exact`, … — and results carrying metadata).
 */
export async function retrieveByText(model: RetrievalModel, gallery: Gallery, queries: readonly string[], options: RetrieveOptions): Promise<RetrievedItem[][]>;
export async function retrieveByText(model: RetrievalModel, gallery: GalleryStore, queries: readonly string[], options: StoreSearchOptions): Promise<StoreResult[][]>;
export async function retrieveByText(model: RetrievalModel, gallery: Gallery | GalleryStore, queries: readonly string[], options: RetrieveOptions | StoreSearchOptions): Promise<RetrievedItem[][] | StoreResult[][]> {
  if (gallery instanceof GalleryStore) return searchStoreByText(model, gallery, queries, options);
  const encoded = await encodeQueries(model, queries, options);
  if (!encoded) return [];
  const { texts, rows } = encoded;
  const { k, rerank } = rankingSizes(options, gallery.size);
  const beta = betaOf(options);
  const sims = toNumbers(await model.similarity(rows.features, gallery.features)); // [Q, G]
  const G = gallery.size;
  const shortlists = texts.map((_, q) => topKIndices(sims.slice(q * G, (q + 1) * G), rerank > 0 ? rerank : k));
  if (rerank === 0) return rankedByItc(shortlists, sims, gallery.ids);
  const Q = texts.length;
  const pfa = gallery.kind === 'video' && (options.pfa ?? model.config.petl.pfa !== 'off');
  const keys = shortlists.flatMap((list, q) => list.map((i) => i * Q + q)); // media = gallery item, text = query
  const logits = await itmMatchLogits(model, mediaRowsOf(gallery), rows, keys, { pfa });
  return rankedByItm(shortlists, (q, i) => logits.get(i * Q + q) as number, sims, gallery.ids, { beta, k });
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
 * Image-to-text search over a text gallery (or a text `GalleryStore`): each query image's ITC
 * similarities shortlist texts, the ITM head re-scores them with the image's cross-attention keys and
 * values computed once per image.
 */
export async function retrieveByImage(model: RetrievalModel, gallery: TextGallery, images: readonly ImageInput[], options?: ImageQueryOptions): Promise<RetrievedItem[][]>;
export async function retrieveByImage(model: RetrievalModel, gallery: GalleryStore, images: readonly ImageInput[], options?: ImageStoreSearchOptions): Promise<StoreResult[][]>;
export async function retrieveByImage(
  model: RetrievalModel,
  gallery: TextGallery | GalleryStore,
  images: readonly ImageInput[],
  options: ImageQueryOptions | ImageStoreSearchOptions = {}
): Promise<RetrievedItem[][] | StoreResult[][]> {
  if (gallery instanceof GalleryStore) return searchStoreByImage(model, gallery, images, options);
  if (images.length === 0) return [];
  const { k, rerank } = rankingSizes(options, gallery.size);
  const beta = betaOf(options);
  const pixels = await pixelsOf(images, model.config.vision.imageSize, { kind: options.kind, frames: options.frames, frameSampling: options.frameSampling });
  const emb = await model.encodeImages(pixels, { tokens: rerank > 0 });
  const sims = toNumbers(await model.similarity(emb.features, gallery.features)); // [I, N]
  const N = gallery.size;
  const shortlists = images.map((_, q) => topKIndices(sims.slice(q * N, (q + 1) * N), rerank > 0 ? rerank : k));
  if (rerank === 0) return rankedByItc(shortlists, sims, gallery.ids);
  const pfa = options.kind === 'video' && (options.pfa ?? model.config.petl.pfa !== 'off');
  const keys = shortlists.flatMap((list, q) => list.map((j) => q * N + j)); // media = query image, text = gallery text
  const media = { tokens: emb.tokens as HostTensor, frameFeatures: emb.frameFeatures };
  const logits = await itmMatchLogits(model, mediaRowsOf(media), gallery, keys, { pfa });
  return rankedByItm(shortlists, (q, j) => logits.get(q * N + j) as number, sims, gallery.ids, { beta, k });
}
