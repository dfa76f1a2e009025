/**
 * The model configurations the suite measures: BLIP-base with the official UniAdapter settings
 * (r = 512, kv adapters r = 64; random weights), and a tiny configuration with the same structure
 * (ViT width 64, depth 2, 32 px; BERT hidden 64, 2 layers, the real 30,524-entry vocabulary) for
 * quick runs and CI.
 */
import type { Device, ModelConfig, Precision, ResolvedModelConfig, Task } from '../lib/config/model-config';
import { presetConfig } from '../lib/config/presets';
import type { BenchConfigName } from '../lib/cli/bench';

/** Queue length of the tiny configuration (a multiple of every tiny training batch). */
export const TINY_QUEUE = 64;

function tinyConfig(task: Task, imageSize: number | undefined): ModelConfig {
  const base = presetConfig('blip-base', task);
  const text = { ...base.text, hidden: 64, layers: 2, heads: 4, intermediate: 256, maxPosition: 64, encoderWidth: 64 };
  return {
    ...base,
    vision: { ...base.vision, imageSize: imageSize ?? 32, width: 64, depth: 2, heads: 4, mlpHidden: 256 },
    text,
    decoder: { ...text },
    petl: { ...base.petl, bottleneck: 16, kvBottleneck: 8 },
    embedDim: 32,
    queueSize: TINY_QUEUE,
  };
}

/**
 * The model configuration of a benchmark.
 *
 * @param name 'blip-base' (ViT-B/16 + BERT-base) or 'tiny'
 * @param task the task model to build
 * @param options image size (default: the task's, 32 for tiny), device and precision (default fp32;
 *   bf16 is autocast, with the frozen backbone stored in bf16 on CUDA)
 */
export function benchModelConfig(name: BenchConfigName, task: Task, options: { imageSize?: number; device?: Device; precision?: Precision } = {}): ModelConfig {
  const config = name === 'tiny' ? tinyConfig(task, options.imageSize) : presetConfig('blip-base', task, { imageSize: options.imageSize });
  return { ...config, device: options.device ?? 'cpu', precision: options.precision ?? 'fp32' };
}

/**
 * Id and title suffixes of a precision: none when the run measures one precision only (the ids of
 * earlier reports stay valid), else `-bf16` / ` (bf16)`.
 */
export function precisionTag(precisions: readonly Precision[], precision: Precision): { id: string; title: string } {
  return precisions.length > 1 ? { id: `-${precision}`, title: ` (${precision})` } : { id: '', title: '' };
}

/** A short description of a configuration for the report. */
export function describeConfig(name: BenchConfigName, config: ResolvedModelConfig): Record<string, unknown> {
  return {
    preset: name,
    task: config.task,
    imageSize: config.vision.imageSize,
    vit: `width ${config.vision.width}, depth ${config.vision.depth}, heads ${config.vision.heads}, patch ${config.vision.patchSize}`,
    text: `hidden ${config.text.hidden}, layers ${config.text.layers}, heads ${config.text.heads}, vocab ${config.text.vocabSize}`,
    petl: `${config.petl.method} r=${config.petl.bottleneck}, kv r=${config.petl.kvAdapter ? config.petl.kvBottleneck : 'off'}`,
    precision: config.precision ?? 'fp32',
    weights: 'random',
  };
}
