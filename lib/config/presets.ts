/** Named configurations: BLIP-base and BLIP-large backbones with the official UniAdapter settings. */
import { UniAdapterError } from '../errors';
import type { ModelConfig, PetlConfig, Task, VisionConfig } from './model-config';

export type PresetName = 'blip-base' | 'blip-large';

/**
 * The ViT of each preset where it differs from the core's defaults (which are BLIP-base: ViT-B/16 and
 * BERT-base, with the official UniAdapter settings).
 */
const VIT: Record<PresetName, Partial<VisionConfig>> = {
  'blip-base': {},
  'blip-large': { width: 1024, depth: 24, heads: 16, mlpHidden: 4096 },
};

/** Token length of retrieval captions and queries, in training and evaluation (the official 35). */
export const RETRIEVAL_TEXT_LENGTH = 35;

/** Image size of each task in the official configs (video retrieval uses 224). */
export const DEFAULT_IMAGE_SIZE: Record<Task, number> = { retrieval: 384, vqa: 480, caption: 384, pretrain: 224 };

export interface PresetOptions {
  imageSize?: number;
  petl?: Partial<PetlConfig>;
}

export function presetConfig(name: string, task: Task, options: PresetOptions = {}): ModelConfig {
  if (name !== 'blip-base' && name !== 'blip-large') {
    throw new UniAdapterError('ERR_CONFIG', `unknown preset '${name}' (blip-base, blip-large)`);
  }
  const imageSize = options.imageSize ?? DEFAULT_IMAGE_SIZE[task];
  // BLIP-large's ViT is always built with drop-path 0.1 (the official branch ignores the argument).
  const dropPath = name === 'blip-large' ? 0.1 : task === 'vqa' ? 0.1 : 0;
  // Everything not named here takes the core's defaults: the official UniAdapter settings
  // (r = 512, scale 0.1, shared down-projection, kv adapters r = 64), the separate momentum backbone
  // of the official model, BLIP's tokens (see resolveConfig for the whole configuration).
  return {
    task,
    vision: { ...VIT[name], imageSize, dropPath },
    petl: { method: 'uniadapter', ...options.petl },
  };
}
