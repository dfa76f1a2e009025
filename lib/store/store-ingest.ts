/**
 * Embedding media into a gallery store with a retrieval model: ITC vectors, per-frame features and (unless
 * the store recomputes them) the ITM tokens, in batches, each batch committed before the next is read.
 */
import { UniAdapterError } from '../errors';
import type { RetrievalModel } from '../model/retrieval-model';
import { pixelsOf, type ImageInput } from '../data/media/media-input';
import { rowFloat32, type HostTensor } from '../tensor';
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

/** Creates an empty store shaped for `model`'s embeddings. */
export async function createStoreFor(
  model: RetrievalModel,
  dir: string,
  options: { kind?: 'image' | 'video'; frames?: number; tokens?: TokenStorage; metadata?: Record<string, MetadataType> } = {}
): Promise<GalleryStore> {
  const v = model.config.vision;
  const kind = options.kind ?? 'image';
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

/** Embeds `items` and adds them to the store (opened for writing, embedded by this model state). */
export async function ingestMedia(model: RetrievalModel, store: GalleryStore, items: readonly MediaItem[], options: IngestOptions = {}): Promise<void> {
  const m = store.manifest;
  if (m.fingerprint !== (await storeFingerprint(model))) {
    throw new UniAdapterError('ERR_STATE', `${store.path} was embedded with another model state (backbone or adapter); rebuild it with this model`);
  }
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
