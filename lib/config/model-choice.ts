/**
 * A run's choice of model (a preset adjusted by a few fields, or a complete configuration) and the one
 * place it is resolved into the ModelConfig that training and evaluation both build.
 */
import { UniAdapterError } from '../errors';
import type { Device, ModelConfig, PetlConfig, Precision } from './model-config';
import { presetConfig } from './presets';

export type TrainTask = 'retrieval' | 'video-retrieval' | 'vqa' | 'video-qa' | 'caption' | 'pretrain';

export interface ModelChoice {
  /** A preset backbone ('blip-base', 'blip-large'), adjusted by the fields below. */
  preset?: 'blip-base' | 'blip-large';
  /** Or a complete model configuration (takes precedence over the preset). */
  config?: ModelConfig;
  imageSize?: number;
  petl?: Partial<PetlConfig>;
  precision?: Precision;
  device?: Device;
  momentumSharesBackbone?: boolean;
  queueSize?: number;
  negativeAllRank?: boolean;
  /** Gradient checkpointing of the last N ViT blocks. */
  gradCheckpointLayers?: number;
}

const MODEL_CHOICE_KEYS = [
  'preset', 'config', 'imageSize', 'petl', 'precision', 'device', 'momentumSharesBackbone', 'queueSize', 'negativeAllRank', 'gradCheckpointLayers',
] as const satisfies ReadonlyArray<keyof ModelChoice>;
const everyKeyListed: [Exclude<keyof ModelChoice, (typeof MODEL_CHOICE_KEYS)[number]>] extends [never] ? true : never = true;
void everyKeyListed;

/**
 * Checks a run's `model` section: a mapping with a preset or a config and no key it does not read (a
 * misspelt key would otherwise be ignored). The values are checked where the model is built.
 *
 * @throws UniAdapterError ERR_CONFIG naming the wrong key and the keys the section takes
 */
export function validateModelChoice(m: ModelChoice): void {
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new UniAdapterError('ERR_CONFIG', "'model' must be a mapping with a 'preset' or a 'config'");
  for (const k of Object.keys(m)) {
    if (!(MODEL_CHOICE_KEYS as readonly string[]).includes(k)) {
      throw new UniAdapterError('ERR_CONFIG', `model: unknown key '${k}' (known: ${MODEL_CHOICE_KEYS.join(', ')})`);
    }
  }
  if (!m.preset && !m.config) throw new UniAdapterError('ERR_CONFIG', "model needs a 'preset' or a 'config'");
  // A complete config says these itself; beside it they would be ignored.
  for (const k of ['preset', 'imageSize'] as const) {
    if (m.config && m[k] !== undefined) throw new UniAdapterError('ERR_CONFIG', `model: '${k}' has no effect beside 'config' (a complete configuration); set it inside config, or drop config`);
  }
}

/** The model task that trains a training task. */
export function modelTask(task: TrainTask): ModelConfig['task'] {
  if (task === 'pretrain') return 'pretrain';
  return task === 'retrieval' || task === 'video-retrieval' ? 'retrieval' : task === 'caption' ? 'caption' : 'vqa';
}

/** The kind of data a training task reads: pretraining reads image–caption pairs as retrieval does. */
export function dataTask(task: TrainTask): Exclude<TrainTask, 'pretrain'> {
  return task === 'pretrain' ? 'retrieval' : task;
}

export function isVideoTask(task: TrainTask): boolean {
  return task === 'video-retrieval' || task === 'video-qa';
}

/** The model configuration of a run: the preset (video tasks at 224 px) or the given config, then the choice's fields. */
export function resolveModelConfig(task: TrainTask, m: ModelChoice): ModelConfig {
  validateModelChoice(m);
  const mt = modelTask(task);
  const base = m.config ? { ...m.config } : presetConfig(m.preset ?? 'blip-base', mt, { imageSize: m.imageSize ?? (isVideoTask(task) ? 224 : undefined) });
  const cfg: ModelConfig = { ...base, petl: { ...base.petl, ...(m.petl ?? {}) } };
  if (m.precision) cfg.precision = m.precision;
  if (m.device) cfg.device = m.device;
  if (m.momentumSharesBackbone !== undefined) cfg.momentumSharesBackbone = m.momentumSharesBackbone;
  if (m.queueSize !== undefined) cfg.queueSize = m.queueSize;
  if (m.negativeAllRank !== undefined) cfg.negativeAllRank = m.negativeAllRank;
  if (m.gradCheckpointLayers !== undefined) cfg.vision = { ...cfg.vision, gradCheckpointLayers: m.gradCheckpointLayers };
  if (cfg.task !== mt) throw new UniAdapterError('ERR_CONFIG', `task '${task}' needs a '${mt}' model, the config describes '${cfg.task}'`);
  return cfg;
}
