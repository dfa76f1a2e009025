/**
 * Writes a model's weights as a BLIP checkpoint in safetensors, under BLIP's own key names (tied
 * tensors under each of their names, as PyTorch's state_dict lists them), so that `loadWeights` reads
 * it into any task model whose modules it covers: a pretraining model's file serves retrieval, VQA and
 * captioning as BLIP's model_base.pth does.
 */
import * as fs from 'fs';
import { UniAdapterError } from '../errors';
import { writeSafetensors } from '../io/safetensors';
import type { BlipModel } from '../model/blip-model';
import type { HostTensor } from '../tensor';

export type WeightsDType = 'float32' | 'float16' | 'bfloat16';

export interface SaveWeightsOptions {
  /** Floating tensors are written in this dtype (default float32); float16 halves the file. */
  dtype?: WeightsDType;
  /**
   * Whether the momentum encoders and the feature queues are written (default true, as BLIP's
   * pretrained checkpoints). Without them a retrieval model starts its momentum copies from the main
   * weights and its queues afresh.
   */
  momentum?: boolean;
  /** String metadata stored in the file's header. */
  metadata?: Record<string, string>;
}

export interface SaveWeightsResult {
  path: string;
  bytes: number;
  tensors: number;
}

const DTYPES: readonly WeightsDType[] = ['float32', 'float16', 'bfloat16'];
const QUEUE_BUFFERS = new Set(['image_queue', 'text_queue', 'idx_queue', 'ptr_queue', 'queue_ptr']);

export async function saveWeights(model: BlipModel, path: string, options: SaveWeightsOptions = {}): Promise<SaveWeightsResult> {
  const dtype = options.dtype ?? 'float32';
  if (!DTYPES.includes(dtype)) throw new UniAdapterError('ERR_ARG', `dtype must be one of ${DTYPES.join(', ')}, got '${String(dtype)}'`);
  const keepMomentum = options.momentum ?? true;
  const info = await model.parameterInfo();
  const momentum = new Set(info.entries.filter((e) => e.group === 'momentum').map((e) => e.name));
  const tensors = await model.stateDict('all', undefined, { dtype });
  const list: Array<[string, HostTensor]> = Object.keys(tensors)
    .filter((n) => keepMomentum || (!momentum.has(n) && !QUEUE_BUFFERS.has(n)))
    .sort()
    .map((n) => [n, tensors[n]]);
  await writeSafetensors(path, list, options.metadata);
  return { path, bytes: fs.statSync(path).size, tensors: list.length };
}
