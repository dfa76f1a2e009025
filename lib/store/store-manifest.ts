/** The store's manifest (store.json): its format version, shapes, token storage and model fingerprint. */
import { promises as fsp } from 'fs';
import * as path from 'path';
import { UniAdapterError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import type { TokenStorage } from './token-codec';

export const STORE_FORMAT = 'uniadapter-gallery-store/2';
/** Formats this version names when it refuses them (format 1 kept a frames column for images too). */
const EARLIER_FORMATS = new Set(['uniadapter-gallery-store/1']);
export const MANIFEST_FILE = 'store.json';

export type MetadataType = 'string' | 'number' | 'boolean';

export interface StoreManifest {
  format: typeof STORE_FORMAT;
  /** Media items (images, videos), or texts for image → text search. */
  kind: 'image' | 'video' | 'text';
  /** ITC embedding width. */
  embedDim: number;
  /**
   * Frames per item (1 for images), ViT tokens per frame, ViT width: each item's tokens are [T, N, W].
   * A text store holds no media tokens: 1, 1, 1.
   */
  frames: number;
  tokensPerFrame: number;
  width: number;
  /** How the media tokens are kept; 'none' in a text store, whose ITM inputs are the token ids in the table. */
  tokens: TokenStorage | 'none';
  /** A text store's padded token length (35 for BLIP's retrieval texts). */
  textLength?: number;
  /** Fingerprint of the backbone and adapter the items were embedded with. */
  fingerprint: string;
  /** User metadata columns (filterable with `where`). */
  metadata: Record<string, MetadataType>;
  createdAt: string;
}

export async function writeManifest(dir: string, m: StoreManifest): Promise<void> {
  await writeFileAtomic(path.join(dir, MANIFEST_FILE), new TextEncoder().encode(JSON.stringify(m, null, 1)));
}

/** @throws UniAdapterError ERR_FORMAT for a folder that is not a store, or a store of another version */
export async function readManifest(dir: string): Promise<StoreManifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let raw: string;
  try {
    raw = await fsp.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UniAdapterError(code === 'ENOENT' ? 'ERR_FORMAT' : 'ERR_IO', `${dir} is not a gallery store (${file}: ${code === 'ENOENT' ? 'missing' : (e as Error).message})`);
  }
  let m: StoreManifest;
  try {
    m = JSON.parse(raw) as StoreManifest;
  } catch {
    throw new UniAdapterError('ERR_FORMAT', `${file} is not valid JSON (the store's manifest is damaged)`);
  }
  if (m.format !== STORE_FORMAT) {
    const hint = EARLIER_FORMATS.has(String(m.format)) ? ' (made by an earlier uniadapter: rebuild it with `uniadapter gallery build`)' : '';
    throw new UniAdapterError('ERR_FORMAT', `${file}: store format '${String(m.format)}', this version reads ${STORE_FORMAT}${hint}`);
  }
  if (m.kind !== 'image' && m.kind !== 'video' && m.kind !== 'text') throw new UniAdapterError('ERR_FORMAT', `${file}: kind must be image, video or text`);
  if (m.kind === 'text' && (!Number.isInteger(m.textLength) || (m.textLength as number) < 1)) throw new UniAdapterError('ERR_FORMAT', `${file}: a text store needs a positive integer 'textLength'`);
  for (const k of ['embedDim', 'frames', 'tokensPerFrame', 'width'] as const) {
    if (!Number.isInteger(m[k]) || m[k] < 1) throw new UniAdapterError('ERR_FORMAT', `${file}: '${k}' must be a positive integer`);
  }
  return m;
}
