/** Named configurations: BLIP-base and BLIP-large backbones with the official UniAdapter settings. */
import { UniAdapterError } from '../errors';
import { BLIP_TOKENS, type ModelConfig, type PetlConfig, type Task, type TextConfig, type VisionConfig } from './model-config';

export type PresetName = 'blip-base' | 'blip-large';

const BERT_BASE: TextConfig = {
  vocabSize: 30524,
  hidden: 768,
  layers: 12,
  heads: 12,
  intermediate: 3072,
  maxPosition: 512,
  lnEps: 1e-12,
  hiddenDropout: 0.1,
  attentionDropout: 0.1,
};

const VIT: Record<PresetName, Omit<VisionConfig, 'imageSize'>> = {
  'blip-base': { patchSize: 16, width: 768, depth: 12, heads: 12, mlpHidden: 3072, lnEps: 1e-6 },
  'blip-large': { patchSize: 16, width: 1024, depth: 24, heads: 16, mlpHidden: 4096, lnEps: 1e-6 },
};

/** Token length of retrieval captions and queries, in training and evaluation (the official 35). */
export const RETRIEVAL_TEXT_LENGTH = 35;

/** Image size of each task in the official configs (video retrieval uses 224). */
export const DEFAULT_IMAGE_SIZE: Record<Task, number> = { retrieval: 384, vqa: 480, caption: 384 };

/** The official UniAdapter settings (r = 512, scale 0.1, kv adapters r = 64). */
export function officialPetl(task: Task): PetlConfig {
  return {
    method: 'uniadapter',
    bottleneck: 512,
    scale: 0.1,
    share: 'down',
    queryResidual: true,
    modalities: ['visual', 'textual', 'multimodal'],
    init: task === 'vqa' ? 'code-vqa' : 'code-retrieval',
    kvAdapter: true,
    kvBottleneck: 64,
    pfa: 'code',
    trainableRule: 'official',
  };
}

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
  const petl = { ...officialPetl(task), ...options.petl } as PetlConfig;
  return {
    task,
    vision: { ...VIT[name], imageSize, dropPath },
    text: { ...BERT_BASE, encoderWidth: VIT[name].width },
    decoder: { ...BERT_BASE, encoderWidth: task === 'vqa' ? BERT_BASE.hidden : VIT[name].width },
    petl,
    embedDim: 256,
    queueSize: 57600,
    momentum: 0.995,
    momentumUpdate: 'official',
    // The official model: momentum encoders with their own backbone, loaded from the checkpoint.
    momentumSharesBackbone: false,
    negativeAllRank: false,
    tokens: { ...BLIP_TOKENS },
    labelSmoothing: 0.1,
    seed: 42,
    device: 'cpu',
    precision: 'fp32',
  };
}
