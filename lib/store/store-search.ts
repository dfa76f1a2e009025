/**
 * Search over a gallery store: the query's ITC vector finds a shortlist in the store (ANN or exact,
 * filtered by `where`), whose ITM tokens alone are read from disk (or re-embedded from their sources in
 * a 'recompute' store) and re-scored by the ITM head through the one re-rank engine.
 */
import { UniAdapterError } from '../errors';
import { pixelsOf } from '../data/media/media-input';
import type { RetrievalModel } from '../model/retrieval-model';
import { betaOf } from '../inference/retrieve';
import { itmMatchLogits, type MediaTokens } from '../ranking/itm-rerank';
import { rowFloat32, selectRows, type HostTensor } from '../tensor';
import { forRetrieval, textBatchToTensors } from '../text/text-batches';
import { preCaption } from '../text/pre-text';
import type { BlipTokenizer } from '../text/tokenizer';
import type { GalleryStore, MetadataValue, StoreHit } from './gallery-store';
import type { ImageInput } from '../data/media/media-input';

export interface StoreSearchOptions {
  tokenizer: BlipTokenizer;
  /** Results per query (default 10). */
  k?: number;
  /** Shortlist re-scored by ITM (default max(k, 16)); 0 returns the ITC ranking. */
  rerank?: number;
  beta?: number;
  /** LanceDB SQL filter on the metadata columns. */
  where?: string;
  /** Bypass the ANN index. */
  exact?: boolean;
  pfa?: boolean;
  normalize?: boolean;
  maxLength?: number;
}

export interface StoreResult {
  id: string;
  /** ITM logit + beta × ITC, or the ITC similarity without re-ranking. */
  score: number;
  itc: number;
  itm?: number;
  metadata: Record<string, MetadataValue>;
}

/** The ITM inputs of the shortlisted items: tokens from the store, or re-embedded from their sources. */
async function mediaOf(model: RetrievalModel, store: GalleryStore, hits: readonly StoreHit[], pfa: boolean): Promise<MediaTokens> {
  const m = store.manifest;
  let tokens: HostTensor;
  if (m.tokens === 'recompute') {
    const px = await pixelsOf(hits.map((h) => h.source), model.config.vision.imageSize, { kind: m.kind, frames: m.frames });
    const e = await model.encodeImages(px, { tokens: true });
    tokens = e.tokens as HostTensor;
    if (tokens.shape.length === 3) tokens = { ...tokens, shape: [tokens.shape[0], 1, ...tokens.shape.slice(1)] };
  } else {
    tokens = await store.tokens(hits.map((h) => h.row));
  }
  if (!pfa) return { tokens };
  const frames = new Float32Array(hits.length * m.frames * m.embedDim);
  hits.forEach((h, i) => frames.set(h.frameFeatures as Float32Array, i * m.frames * m.embedDim));
  return { tokens, frameFeatures: { dtype: 'float32', shape: [hits.length, m.frames, m.embedDim], data: frames } };
}

/**
 * Text → items: each query's top k items of the store.
 *
 * @throws UniAdapterError ERR_ARG for bad k / rerank / beta / where
 */
export async function searchStoreByText(model: RetrievalModel, store: GalleryStore, queries: readonly string[], options: StoreSearchOptions): Promise<StoreResult[][]> {
  if (queries.length === 0) return [];
  const k = options.k ?? 10;
  if (!Number.isInteger(k) || k < 1) throw new UniAdapterError('ERR_ARG', `k must be a positive integer, got ${options.k}`);
  const rerank = options.rerank ?? Math.max(k, 16);
  if (!Number.isInteger(rerank) || rerank < 0) throw new UniAdapterError('ERR_ARG', `rerank must be 0 (ITC only) or a positive integer, got ${options.rerank}`);
  const beta = betaOf(options);
  const texts = options.normalize === false ? [...queries] : queries.map((q) => preCaption(q, 30));
  const t = textBatchToTensors(forRetrieval(options.tokenizer, texts, { maxLength: options.maxLength ?? 35, firstToken: 'cls' }));
  const emb = await model.encodeTexts(t.inputIds, t.attentionMask);
  const pfa = store.manifest.kind === 'video' && (options.pfa ?? model.config.petl.pfa !== 'off');
  const out: StoreResult[][] = [];
  for (let q = 0; q < texts.length; q++) {
    const hits = await store.searchVector(rowFloat32(emb.features, q), {
      k: rerank > 0 ? Math.max(rerank, k) : k,
      where: options.where,
      exact: options.exact,
      withFrames: pfa,
    });
    if (rerank === 0 || hits.length === 0) {
      out.push(hits.slice(0, k).map((h) => ({ id: h.id, score: h.itc, itc: h.itc, metadata: h.metadata })));
      continue;
    }
    const single = { inputIds: selectRows(t.inputIds, [q]), attentionMask: selectRows(t.attentionMask, [q]), features: selectRows(emb.features, [q]) };
    const media = await mediaOf(model, store, hits, pfa);
    const logits = await itmMatchLogits(model, async () => media, single, hits.map((_, i) => i), { pfa });
    out.push(
      hits
        .map((h, i) => {
          const itm = logits.get(i) as number;
          return { id: h.id, score: itm + beta * h.itc, itc: h.itc, itm, metadata: h.metadata, order: i };
        })
        .sort((a, b) => b.score - a.score || a.order - b.order)
        .slice(0, k)
        .map(({ order: _order, ...r }) => r)
    );
  }
  return out;
}

/** Image → items by ITC similarity (images of the same kind as the store's). */
export async function searchStoreByImage(
  model: RetrievalModel,
  store: GalleryStore,
  images: readonly ImageInput[],
  options: { k?: number; where?: string; exact?: boolean; frameSampling?: 'uniform' | 'blip-arange' } = {}
): Promise<StoreResult[][]> {
  if (images.length === 0) return [];
  const k = options.k ?? 10;
  const px = await pixelsOf(images, model.config.vision.imageSize, { kind: store.manifest.kind, frames: store.manifest.frames, frameSampling: options.frameSampling });
  const e = await model.encodeImages(px, { tokens: false });
  const out: StoreResult[][] = [];
  for (let q = 0; q < images.length; q++) {
    const hits = await store.searchVector(rowFloat32(e.features, q), { k, where: options.where, exact: options.exact });
    out.push(hits.map((h) => ({ id: h.id, score: h.itc, itc: h.itc, metadata: h.metadata })));
  }
  return out;
}
