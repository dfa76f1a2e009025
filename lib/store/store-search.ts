/**
 * Search over a gallery store. Each query's ITC vector finds a shortlist in the store (ANN or exact,
 * filtered by `where`; one exact pass for all queries of an unindexed store), and the ITM head
 * re-scores the shortlists through the one re-rank engine in one pass over all queries: an item shortlisted by
 * several queries has its tokens read from disk (or re-embedded from its source in a 'recompute' store)
 * and its cross-attention keys and values computed once per native call.
 *
 * - text → items: a media store, queries are texts;
 * - image → texts: a text store, queries are images (ITM with the query image's tokens);
 * - image → items: a media store, queries are images (ITC only: the ITM head scores image-text pairs).
 */
import { UniAdapterError } from '../errors';
import { pixelsOf, type ImageInput } from '../data/media/media-input';
import type { RetrievalModel } from '../model/retrieval-model';
import { itmMatchLogits, mediaRowsOf, type MediaRows, type MediaTokens, type TextRows } from '../ranking/itm-rerank';
import { askedRankingSizes, betaOf } from '../ranking/ranking-options';
import { int64, rowFloat32, type HostTensor } from '../tensor';
import { encodeQueries, type QueryTextOptions } from '../ranking/query-texts';
import type { GalleryStore, MetadataValue, StoreHit } from './gallery-store';

/** What every store search takes: ranking sizes, the ITC weight, the filter and the index settings. */
export interface StoreQueryOptions {
  /** Results per query (default 10). */
  k?: number;
  /** Shortlist re-scored by ITM (default max(k, 16)); 0 returns the ITC ranking (image queries over a media store always do). */
  rerank?: number;
  beta?: number;
  /** LanceDB SQL filter on the metadata columns. */
  where?: string;
  /** Bypass the ANN index. */
  exact?: boolean;
  /** IVF partitions probed and refine factor (see VectorSearchOptions). */
  nprobes?: number;
  refineFactor?: number;
}

export interface StoreSearchOptions extends StoreQueryOptions, QueryTextOptions {
  pfa?: boolean;
}

export interface ImageStoreSearchOptions extends StoreQueryOptions {
  /** Queries are videos (paths or frame lists) instead of images. */
  kind?: 'image' | 'video';
  frames?: number;
  frameSampling?: 'uniform' | 'blip-arange';
  /** Frame-aware attention for video queries against a text store (default on when the model has PFA). */
  pfa?: boolean;
}

export interface StoreResult {
  id: string;
  /** ITM logit + beta × ITC, or the ITC similarity without re-ranking. */
  score: number;
  itc: number;
  itm?: number;
  /** The text of a text store's item. */
  text?: string;
  metadata: Record<string, MetadataValue>;
}

/** Pairs per native ITM call: bounds the tokens held at once to this many items. */
const PAIRS_PER_CALL = 64;

/** Equal-length rows one after another (the data of a [rows, …] tensor). */
function stacked<T extends Float32Array | Int32Array>(rows: readonly T[], Rows: new (n: number) => T): T {
  const per = rows.length ? rows[0].length : 0;
  const out = new Rows(rows.length * per);
  rows.forEach((r, i) => out.set(r, i * per));
  return out;
}

function resultOf(h: StoreHit, score: number, itm?: number): StoreResult {
  const r: StoreResult = { id: h.id, score, itc: h.itc, metadata: h.metadata };
  if (itm !== undefined) r.itm = itm;
  if (h.text !== undefined) r.text = h.text;
  return r;
}

/**
 * Each query's shortlist: one exact pass over an unindexed store for all queries (scored by the
 * model's native matmul), or one ANN look-up per query.
 */
function shortlists(model: RetrievalModel, store: GalleryStore, vectors: readonly Float32Array[], k: number, o: { where?: string; exact?: boolean; nprobes?: number; refineFactor?: number; withFrames?: boolean; withTokenIds?: boolean }): Promise<StoreHit[][]> {
  return store.searchVectors(vectors, { k, ...o, scorer: (queries, rows) => model.similarity(queries, rows) });
}

/** The distinct items of all shortlists (by id), and each query's hits as indices into them. */
function unionOf(lists: readonly StoreHit[][]): { items: StoreHit[]; index: number[][] } {
  const at = new Map<string, number>();
  const items: StoreHit[] = [];
  const index = lists.map((hits) =>
    hits.map((h) => {
      let i = at.get(h.id);
      if (i === undefined) {
        i = items.length;
        at.set(h.id, i);
        items.push(h);
      }
      return i;
    })
  );
  return { items, index };
}

/** Ranks each query's shortlist by ITM logit + beta × ITC (ties: ITC order), best k. */
function ranked(lists: readonly StoreHit[][], index: readonly number[][], logitOf: (q: number, item: number) => number, beta: number, k: number): StoreResult[][] {
  return lists.map((hits, q) =>
    hits
      .map((h, i) => {
        const itm = logitOf(q, index[q][i]);
        return { r: resultOf(h, itm + beta * h.itc, itm), order: i };
      })
      .sort((a, b) => b.r.score - a.r.score || a.order - b.order)
      .slice(0, k)
      .map((x) => x.r)
  );
}

function byItc(lists: readonly StoreHit[][], k: number): StoreResult[][] {
  return lists.map((hits) => hits.slice(0, k).map((h) => resultOf(h, h.itc)));
}

/** The ITM media rows of stored items: tokens from the store, or re-embedded from their sources. */
function storedMediaRows(model: RetrievalModel, store: GalleryStore, items: readonly StoreHit[], pfa: boolean): MediaRows {
  const m = store.manifest;
  return async (indices) => {
    const hits = indices.map((i) => items[i]);
    let tokens: HostTensor;
    if (m.tokens === 'recompute') {
      const px = await pixelsOf(hits.map((h) => h.source), model.config.vision.imageSize, { kind: m.kind as 'image' | 'video', frames: m.frames });
      tokens = (await model.encodeImages(px, { tokens: true })).tokens as HostTensor;
      if (tokens.shape.length === 3) tokens = { ...tokens, shape: [tokens.shape[0], 1, ...tokens.shape.slice(1)] };
    } else {
      tokens = await store.tokens(hits.map((h) => h.row));
    }
    const out: MediaTokens = { tokens };
    if (pfa) {
      out.frameFeatures = { dtype: 'float32', shape: [hits.length, m.frames, m.embedDim], data: stacked(hits.map((h) => h.frameFeatures as Float32Array), Float32Array) };
    }
    return out;
  };
}

function requireKind(store: GalleryStore, kinds: ReadonlyArray<'image' | 'video' | 'text'>, what: string): void {
  if (!kinds.includes(store.manifest.kind)) throw new UniAdapterError('ERR_ARG', `${store.path} holds ${store.manifest.kind}s; ${what} needs a store of ${kinds.join(' or ')}s`);
}

/**
 * Text → items: each query's top k items of a media store.
 *
 * @throws UniAdapterError ERR_ARG for bad k / rerank / beta / where, or a text store
 */
export async function searchStoreByText(model: RetrievalModel, store: GalleryStore, queries: readonly string[], options: StoreSearchOptions): Promise<StoreResult[][]> {
  requireKind(store, ['image', 'video'], 'text → items search');
  const { k, rerank } = askedRankingSizes(options);
  const beta = betaOf(options);
  const encoded = await encodeQueries(model, queries, options);
  if (!encoded) return [];
  const { texts, rows } = encoded;
  const pfa = store.manifest.kind === 'video' && (options.pfa ?? model.config.petl.pfa !== 'off');
  const lists = await shortlists(model, store, texts.map((_, q) => rowFloat32(rows.features, q)), rerank > 0 ? rerank : k, {
    where: options.where,
    exact: options.exact,
    nprobes: options.nprobes,
    refineFactor: options.refineFactor,
    withFrames: pfa,
  });
  if (rerank === 0) return byItc(lists, k);
  const { items, index } = unionOf(lists);
  const Q = texts.length;
  const keys = index.flatMap((list, q) => list.map((i) => i * Q + q)); // media = stored item, text = query
  const logits = await itmMatchLogits(model, storedMediaRows(model, store, items, pfa), rows, keys, { pfa, pairsPerCall: PAIRS_PER_CALL });
  return ranked(lists, index, (q, i) => logits.get(i * Q + q) as number, beta, k);
}

/**
 * Image → texts (a text store: ITC shortlist, ITM re-rank with each query image's tokens) or image →
 * items (a media store: ITC similarity).
 *
 * @throws UniAdapterError ERR_ARG for bad k / rerank / beta / where
 */
export async function searchStoreByImage(model: RetrievalModel, store: GalleryStore, images: readonly ImageInput[], options: ImageStoreSearchOptions = {}): Promise<StoreResult[][]> {
  const text = store.manifest.kind === 'text';
  const asked = askedRankingSizes(options);
  const k = asked.k;
  const rerank = text ? asked.rerank : 0;
  const beta = betaOf(options);
  if (images.length === 0) return [];
  const kind = options.kind ?? (text ? 'image' : (store.manifest.kind as 'image' | 'video'));
  if (!text && kind !== store.manifest.kind) throw new UniAdapterError('ERR_ARG', `${store.path} holds ${store.manifest.kind}s; the queries are ${kind}s`);
  const frames = options.frames ?? (text ? undefined : store.manifest.frames);
  const px = await pixelsOf(images, model.config.vision.imageSize, { kind, frames, frameSampling: options.frameSampling });
  const e = await model.encodeImages(px, { tokens: rerank > 0 });
  const lists = await shortlists(model, store, images.map((_, q) => rowFloat32(e.features, q)), rerank > 0 ? rerank : k, {
    where: options.where,
    exact: options.exact,
    nprobes: options.nprobes,
    refineFactor: options.refineFactor,
    withTokenIds: rerank > 0,
  });
  if (rerank === 0) return byItc(lists, k);
  const { items, index } = unionOf(lists);
  const L = store.manifest.textLength as number;
  const N = items.length;
  const ids = stacked(items.map((h) => h.inputIds as Int32Array), Int32Array);
  const mask = stacked(items.map((h) => h.attentionMask as Int32Array), Int32Array);
  const textRows: TextRows = { inputIds: int64(ids, [N, L]), attentionMask: int64(mask, [N, L]) };
  const pfa = kind === 'video' && (options.pfa ?? model.config.petl.pfa !== 'off');
  if (pfa) {
    textRows.features = { dtype: 'float32', shape: [N, store.manifest.embedDim], data: stacked(items.map((h) => h.features as Float32Array), Float32Array) };
  }
  let tokens = e.tokens as HostTensor;
  if (tokens.shape.length === 3) tokens = { ...tokens, shape: [tokens.shape[0], 1, ...tokens.shape.slice(1)] };
  const keys = index.flatMap((list, q) => list.map((j) => q * N + j)); // media = query image, text = stored text
  const logits = await itmMatchLogits(model, mediaRowsOf({ tokens, frameFeatures: e.frameFeatures }), textRows, keys, { pfa, pairsPerCall: PAIRS_PER_CALL });
  return ranked(lists, index, (q, j) => logits.get(q * N + j) as number, beta, k);
}
