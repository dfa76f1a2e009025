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
