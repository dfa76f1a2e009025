/**
 * Writes a model's weights as a BLIP checkpoint in safetensors, under BLIP's own key names (tied
 * tensors under each of their names, as PyTorch's state_dict lists them, or once), so that
 * `loadWeights` reads it into any task model whose modules it covers: a pretraining model's file serves
 * retrieval, VQA and captioning as BLIP's model_base.pth does.
 */
import * as fs from 'fs';
import { UniAdapterError } from '../errors';
import { writeSafetensors } from '../io/safetensors';
import type { BlipModel } from '../model/blip-model';
import type { StateDictDType } from '../native/ops';
import type { HostTensor } from '../tensor';
import { createModel } from '../model/create-model';
import { BASE_METADATA_KEY, baseReferenceFor, TIED_METADATA_KEY } from './checkpoint-view';
import { loadWeights } from './load-weights';

export type WeightsDType = StateDictDType;

export interface SaveWeightsOptions {
  /** Floating tensors are written in this dtype (default float32); float16 halves the file. */
  dtype?: WeightsDType;
  /**
   * Whether the momentum encoders and the feature queues are written (default true, as BLIP's
   * pretrained checkpoints). Without them a retrieval model starts its momentum copies from the main
   * weights and its queues afresh.
   */
  momentum?: boolean;
  /**
   * Tensors tied under several names (the pretraining decoder's embeddings, cross-attention and FFN are
   * the text encoder's): 'duplicate' writes each name (default, what PyTorch's state_dict holds);
   * 'once' writes the first name only and records the others in the header's `${TIED_METADATA_KEY}`
   * entry (a JSON map of name to stored name), which `loadWeights` follows — about half the size of
   * a small model with BERT's vocabulary.
   */
  tied?: 'duplicate' | 'once';
  /**
   * A checkpoint this file is written as a difference from: only the tensors that differ (at `dtype`)
   * from what loading `base` into this model gives are written, or that `base` does not provide, and
   * the header names the base by relative path, size and SHA-256 (`${BASE_METADATA_KEY}`). loadWeights
   * reads the base under the file's tensors. For a model trained with most weights frozen (petl.freeze).
   */
  base?: string;
  /** String metadata stored in the file's header. */
  metadata?: Record<string, string>;
}

export interface SaveWeightsResult {
  path: string;
  bytes: number;
  tensors: number;
}

export const WEIGHTS_DTYPES: readonly WeightsDType[] = ['float32', 'float16', 'bfloat16'];
const MOMENTUM_MODULE = /^[a-z_]+_m\./;
const QUEUE_BUFFERS = new Set(['image_queue', 'text_queue', 'idx_queue', 'ptr_queue', 'queue_ptr']);

export async function saveWeights(model: BlipModel, path: string, options: SaveWeightsOptions = {}): Promise<SaveWeightsResult> {
  const dtype = options.dtype ?? 'float32';
  if (!WEIGHTS_DTYPES.includes(dtype)) throw new UniAdapterError('ERR_ARG', `dtype must be one of ${WEIGHTS_DTYPES.join(', ')}, got '${String(dtype)}'`);
  const keepMomentum = options.momentum ?? true;
  const tied = options.tied ?? 'duplicate';
  if (tied !== 'duplicate' && tied !== 'once') throw new UniAdapterError('ERR_ARG', `tied must be 'duplicate' or 'once', got '${String(tied)}'`);
  for (const key of [TIED_METADATA_KEY, BASE_METADATA_KEY]) {
    if (options.metadata && key in options.metadata) throw new UniAdapterError('ERR_ARG', `metadata key '${key}' is written by saveWeights itself`);
  }
  const baseRef = options.base === undefined ? undefined : await baseReferenceFor(path, options.base);
  const info = await model.parameterInfo();
  const momentum = new Set(info.entries.filter((e) => e.group === 'momentum').map((e) => e.name));
  const aliases = new Map<string, string>();
  if (tied === 'once') for (const e of info.entries) if (e.tiedTo) aliases.set(e.name, e.tiedTo);
  const tensors = await model.stateDict('all', undefined, { dtype });
  // Buffers of the momentum encoders (position ids) are no parameters: they go with their module's name.
  const kept = (n: string) => keepMomentum || (!momentum.has(n) && !QUEUE_BUFFERS.has(n) && !MOMENTUM_MODULE.test(n));
  const unchanged = options.base === undefined ? new Set<string>() : await sameAsBase(model, options.base, tensors, dtype);
  const list: Array<[string, HostTensor]> = Object.keys(tensors)
    .filter((n) => kept(n) && !aliases.has(n) && !unchanged.has(n))
    .sort()
    .map((n) => [n, tensors[n]]);
  if (list.length === 0) throw new UniAdapterError('ERR_STATE', `every tensor equals the base ${options.base}: there is no difference to write`);
  const written = new Set(list.map(([n]) => n));
  const tiedMap = Object.fromEntries([...aliases].filter(([n, stored]) => kept(n) && written.has(stored)).sort(([a], [b]) => (a < b ? -1 : 1)));
  const metadata = {
    ...(options.metadata ?? {}),
    ...(Object.keys(tiedMap).length ? { [TIED_METADATA_KEY]: JSON.stringify(tiedMap) } : {}),
    ...(baseRef ? { [BASE_METADATA_KEY]: JSON.stringify(baseRef) } : {}),
  };
  await writeSafetensors(path, list, Object.keys(metadata).length ? metadata : undefined);
  return { path, bytes: fs.statSync(path).size, tensors: list.length };
}

/** Names whose tensor (at `dtype`) is what loading `base` into a fresh model of the same configuration gives. */
async function sameAsBase(model: BlipModel, base: string, tensors: Record<string, HostTensor>, dtype: WeightsDType): Promise<Set<string>> {
  await using fresh = await createModel(model.config);
  const report = await loadWeights(fresh, base);
  const loaded = new Set(report.loaded);
  const before = await fresh.stateDict('all', undefined, { dtype });
  const same = new Set<string>();
  for (const [name, t] of Object.entries(tensors)) {
    const b = before[name];
    if (loaded.has(name) && b && sameBytes(t, b)) same.add(name);
  }
  return same;
}

function sameBytes(a: HostTensor, b: HostTensor): boolean {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  return Buffer.compare(x, y) === 0;
}
