/**
 * A retrieval gallery: images or videos embedded once (ITC features, per-frame features, and the ViT
 * tokens the ITM re-ranking cross-attends to), kept in memory and saveable to disk.
 */
import * as fs from 'fs';
import { UniAdapterError } from '../errors';
import { SafetensorsFile, writeSafetensors } from '../io/safetensors';
import type { RetrievalModel } from '../model/retrieval-model';
import { concatRows, type HostTensor } from '../tensor';
import { pixelsOf, type ImageInput } from '../data/media/media-input';

export const GALLERY_FORMAT = 'uniadapter-gallery/1';

export interface GalleryBuildOptions {
  kind?: 'image' | 'video';
  frames?: number;
  /** Frame choice of videos: 'uniform' (default) or BLIP's 'blip-arange'. */
  frameSampling?: 'uniform' | 'blip-arange';
  /** Media embedded per native call. */
  batchSize?: number;
  /** Item ids (default: the paths, or '0', '1', ... for buffers). */
  ids?: string[];
  onProgress?: (done: number, total: number) => void;
}

/** What a gallery holds for each item: the ITC features and what the ITM re-rank cross-attends to. */
export interface GalleryEmbeddings {
  /** ITC features [G, E]. */
  features: HostTensor;
  /** Per-frame ITC features [G, T, E]. */
  frameFeatures: HostTensor;
  /** ViT outputs [G, T, tokens, width]. */
  tokens: HostTensor;
}

export class Gallery implements GalleryEmbeddings {
  private constructor(
    readonly ids: string[],
    readonly kind: 'image' | 'video',
    /** ITC features [G, E]. */
    readonly features: HostTensor,
    /** Per-frame ITC features [G, T, E]. */
    readonly frameFeatures: HostTensor,
    /** ViT outputs [G, T, tokens, width], for the ITM re-ranking. */
    readonly tokens: HostTensor,
    /** The model state the embeddings came from. */
    readonly fingerprint: string
  ) {}

  get size(): number {
    return this.ids.length;
  }

  /** Embeds media with the model (its adapters included) in batches. */
  static async build(model: RetrievalModel, items: readonly ImageInput[], options: GalleryBuildOptions = {}): Promise<Gallery> {
    if (items.length === 0) throw new UniAdapterError('ERR_ARG', 'a gallery needs at least one item');
    const ids = options.ids ?? items.map((it, i) => (typeof it === 'string' ? it : String(i)));
    if (ids.length !== items.length) throw new UniAdapterError('ERR_ARG', `got ${ids.length} ids for ${items.length} items`);
    const kind = options.kind ?? 'image';
    if (kind !== 'image' && kind !== 'video') {
      throw new UniAdapterError('ERR_ARG', `kind must be 'image' or 'video', got '${String(kind)}'`);
    }
    const batch = options.batchSize ?? 16;
    const feats: HostTensor[] = [];
    const frames: HostTensor[] = [];
    const tokens: HostTensor[] = [];
    for (let i = 0; i < items.length; i += batch) {
      const px = await pixelsOf(items.slice(i, i + batch), model.config.vision.imageSize, { kind, frames: options.frames, frameSampling: options.frameSampling });
      const e = await model.encodeImages(px, { tokens: true });
      feats.push(e.features);
      frames.push(e.frameFeatures);
      tokens.push(e.tokens as HostTensor);
      options.onProgress?.(Math.min(i + batch, items.length), items.length);
    }
    return new Gallery(ids, kind, concatRows(feats), concatRows(frames), concatRows(tokens), await stateFingerprint(model));
  }

  async save(path: string): Promise<number> {
    await writeSafetensors(
      path,
      [
        ['features', this.features],
        ['frame_features', this.frameFeatures],
        ['tokens', this.tokens],
      ],
      { [GALLERY_FORMAT]: JSON.stringify({ ids: this.ids, kind: this.kind, fingerprint: this.fingerprint }) }
    );
    return fs.statSync(path).size;
  }

  /** Loads a saved gallery; it must come from the same model state (backbone and adapter). */
  static async load(model: RetrievalModel, path: string): Promise<Gallery> {
    const f = await SafetensorsFile.open(path);
    try {
      const raw = f.metadata[GALLERY_FORMAT];
      if (!raw) throw new UniAdapterError('ERR_FORMAT', `${path} is not a uniadapter gallery file`);
      const meta = JSON.parse(raw) as { ids: string[]; kind: 'image' | 'video'; fingerprint: string };
      const now = await stateFingerprint(model);
      if (meta.fingerprint !== now) {
        throw new UniAdapterError('ERR_STATE', `${path} was embedded with another model state (backbone or adapter); rebuild the gallery`);
      }
      return new Gallery(meta.ids, meta.kind, await f.read('features'), await f.read('frame_features'), await f.read('tokens'), meta.fingerprint);
    } finally {
      await f.close();
    }
  }
}

/** A fingerprint of the backbone and the exact adapter values: embeddings depend on both. */
async function stateFingerprint(model: RetrievalModel): Promise<string> {
  return (await model.fingerprint({ adapter: true })).fingerprint;
}
