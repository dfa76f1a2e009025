/**
 * Embedding media (ITC vectors, per-frame features and, unless the store recomputes them, the ITM
 * tokens) or texts (ITC vectors and BLIP's retrieval token ids) into a gallery store with a retrieval
 * model, in batches, each batch committed before the next is read.
 */
import { UniAdapterError } from '../errors';
import type { RetrievalModel } from '../model/retrieval-model';
import { pixelsOf, type ImageInput } from '../data/media/media-input';
import { rowFloat32, type HostTensor } from '../tensor';
import { forRetrieval, textBatchToTensors } from '../text/text-batches';
import { preCaption } from '../text/pre-text';
import type { BlipTokenizer } from '../text/tokenizer';
import { GalleryStore, type MetadataValue, type StoreItem } from './gallery-store';
import type { MetadataType } from './store-manifest';
import type { TokenStorage } from './token-codec';

export interface MediaItem {
  /** Default: the path (paths), required for buffers. */
  id?: string;
  media: ImageInput;
  metadata?: Record<string, MetadataValue>;
}

export interface IngestOptions {
  kind?: 'image' | 'video';
  frames?: number;
  frameSampling?: 'uniform' | 'blip-arange';
  /** Media embedded per native call and committed together (default 16). */
  batchSize?: number;
  /** Replace items whose id is stored (default: an existing id is an error). */
  upsert?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** The model state's fingerprint that a store embedded by it records. */
export async function storeFingerprint(model: RetrievalModel): Promise<string> {
  return (await model.fingerprint({ adapter: true })).fingerprint;
}

/** Creates an empty store shaped for `model`'s embeddings: of media (default images), or of texts. */
export async function createStoreFor(
  model: RetrievalModel,
  dir: string,
  options: { kind?: 'image' | 'video' | 'text'; frames?: number; tokens?: TokenStorage; textLength?: number; metadata?: Record<string, MetadataType> } = {}
): Promise<GalleryStore> {
  const v = model.config.vision;
  const kind = options.kind ?? 'image';
  if (kind === 'text') {
    return GalleryStore.create(dir, { kind, embedDim: model.config.embedDim, textLength: options.textLength ?? 35, fingerprint: await storeFingerprint(model), metadata: options.metadata });
  }
  return GalleryStore.create(dir, {
    kind,
    embedDim: model.config.embedDim,
    frames: kind === 'video' ? options.frames ?? 16 : 1,
    tokensPerFrame: (v.imageSize / v.patchSize) ** 2 + 1,
    width: v.width,
    tokens: options.tokens,
    fingerprint: await storeFingerprint(model),
    metadata: options.metadata,
  });
}

async function requireSameModel(model: RetrievalModel, store: GalleryStore): Promise<void> {
  if (store.manifest.fingerprint !== (await storeFingerprint(model))) {
    throw new UniAdapterError('ERR_STATE', `${store.path} was embedded with another model state (backbone or adapter); rebuild it with this model`);
  }
}

/** Embeds `items` and adds them to the store (opened for writing, embedded by this model state). */
export async function ingestMedia(model: RetrievalModel, store: GalleryStore, items: readonly MediaItem[], options: IngestOptions = {}): Promise<void> {
  const m = store.manifest;
  if (m.kind === 'text') throw new UniAdapterError('ERR_ARG', `${store.path} is a text store; add texts with ingestTexts`);
  await requireSameModel(model, store);
  const kind = options.kind ?? m.kind;
  if (kind !== m.kind) throw new UniAdapterError('ERR_ARG', `the store holds ${m.kind}s, got ${kind}s`);
  const batch = options.batchSize ?? 16;
  const withTokens = m.tokens !== 'recompute';
  for (let i = 0; i < items.length; i += batch) {
    const part = items.slice(i, i + batch);
    const px = await pixelsOf(part.map((p) => p.media), model.config.vision.imageSize, { kind, frames: m.frames, frameSampling: options.frameSampling });
    const e = await model.encodeImages(px, { tokens: withTokens });
    const rows: StoreItem[] = part.map((p, j) => {
      const id = p.id ?? (typeof p.media === 'string' ? p.media : undefined);
      if (!id) throw new UniAdapterError('ERR_ARG', `item ${i + j}: media given as bytes need an id`);
      return {
        id,
        features: rowFloat32(e.features, j),
        frameFeatures: rowFloat32(e.frameFeatures, j),
        tokens: withTokens ? rowFloat32(e.tokens as HostTensor, j) : undefined,
        source: typeof p.media === 'string' ? p.media : undefined,
        metadata: p.metadata,
      };
    });
    if (options.upsert) await store.upsert(rows);
    else await store.add(rows);
    options.onProgress?.(Math.min(i + batch, items.length), items.length);
  }
}

export interface TextItem {
  /** Default: the text's position in the list, as a string. */
  id?: string;
  text: string;
  metadata?: Record<string, MetadataValue>;
}

export interface TextIngestOptions {
  tokenizer: BlipTokenizer;
  /** Apply BLIP's caption normalisation (default true), as retrieval queries do. */
  normalize?: boolean;
  /** Texts embedded per native call and committed together (default 128). */
  batchSize?: number;
  upsert?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** Embeds texts (ITC vectors; token ids for the ITM re-rank) into a text store opened for writing. */
export async function ingestTexts(model: RetrievalModel, store: GalleryStore, items: readonly TextItem[], options: TextIngestOptions): Promise<void> {
  const m = store.manifest;
  if (m.kind !== 'text') throw new UniAdapterError('ERR_ARG', `${store.path} holds ${m.kind}s; texts go into a text store (createStoreFor(model, dir, { kind: 'text' }))`);
  await requireSameModel(model, store);
  const L = m.textLength as number;
  const batch = options.batchSize ?? 128;
  for (let i = 0; i < items.length; i += batch) {
    const part = items.slice(i, i + batch);
    part.forEach((p, j) => {
      if (typeof p.text !== 'string') throw new UniAdapterError('ERR_ARG', `text item ${i + j}: text must be a string`);
    });
    const texts = part.map((p) => (options.normalize === false ? p.text : preCaption(p.text, 30)));
    const t = textBatchToTensors(forRetrieval(options.tokenizer, texts, { maxLength: L, firstToken: 'cls' }));
    const e = await model.encodeTexts(t.inputIds, t.attentionMask);
    const rows: StoreItem[] = part.map((p, j) => ({
      id: p.id ?? String(i + j),
      features: rowFloat32(e.features, j),
      text: texts[j],
      inputIds: Int32Array.from(t.inputIds.data.subarray(j * L, (j + 1) * L) as ArrayLike<number | bigint>, Number),
      attentionMask: Int32Array.from(t.attentionMask.data.subarray(j * L, (j + 1) * L) as ArrayLike<number | bigint>, Number),
      metadata: p.metadata,
    }));
    if (options.upsert) await store.upsert(rows);
    else await store.add(rows);
    options.onProgress?.(Math.min(i + batch, items.length), items.length);
  }
}
