/**
 * The demo's embedded default: a small BLIP-architecture model and a synthetic dataset sized so that
 * the whole run (data, training, evaluation, examples) takes a few minutes on a 2-core CPU.
 */
import type { ModelConfig, Task } from '../../config/model-config';
import { presetConfig } from '../../config/presets';

export interface DemoPlan {
  imageSize: number;
  trainImages: number;
  testImages: number;
  retrievalSteps: number;
  qaSteps: number;
  captionSteps: number;
  batchSize: number;
  lr: number;
  evalEvery: number;
  /** Test items used by the periodic recall evaluations during training. */
  evalSubset: number;
  /** Held-out images captioned for the CIDEr-D scores. */
  captionEvalImages: number;
  seed: number;
}

export const FULL_PLAN: DemoPlan = {
  imageSize: 64,
  trainImages: 800,
  testImages: 100,
  retrievalSteps: 700,
  qaSteps: 150,
  captionSteps: 250,
  batchSize: 32,
  lr: 3e-3,
  evalEvery: 140,
  evalSubset: 100,
  captionEvalImages: 60,
  seed: 1,
};

/** A scaled-down plan that exercises every stage in about a minute (tests, CI). */
export const QUICK_PLAN: DemoPlan = {
  imageSize: 32,
  trainImages: 64,
  testImages: 24,
  retrievalSteps: 20,
  qaSteps: 6,
  captionSteps: 6,
  batchSize: 8,
  lr: 2e-3,
  evalEvery: 10,
  evalSubset: 24,
  captionEvalImages: 8,
  seed: 1,
};

/**
 * The small model: ViT (16-pixel patches) and text transformers of width 128 and depth 4 with BERT's
 * real vocabulary, the architecture of the embedded pretrained checkpoint (configs/pretrain-demo.yaml;
 * its backbone is loaded and frozen), UniAdapter r = 64 with key/value adapters r = 16. The positional
 * embeddings are interpolated to the plan's image size, as BLIP's loader does.
 */
export function demoModelConfig(task: Task, plan: DemoPlan): ModelConfig {
  const width = 128;
  return {
    task,
    vision: { imageSize: plan.imageSize, patchSize: 16, width, depth: 4, heads: 4, mlpHidden: 4 * width },
    text: { vocabSize: 30524, hidden: width, layers: 4, heads: 4, intermediate: 4 * width, maxPosition: 64 },
    decoder: { vocabSize: 30524, hidden: width, layers: 4, heads: 4, intermediate: 4 * width, maxPosition: 64, encoderWidth: width },
    petl: {
      method: 'uniadapter',
      bottleneck: 64,
      kvBottleneck: 16,
      init: task === 'vqa' ? 'code-vqa' : 'code-retrieval',
      trainableRule: 'official',
    },
    embedDim: 64,
    queueSize: plan.batchSize * 2,
    momentum: 0.9,
    momentumSharesBackbone: true,
    backboneInit: 'variance-preserving',
    seed: plan.seed,
  };
}

/** A real BLIP-base backbone instead (`--checkpoint`), at the given image size. */
export function checkpointModelConfig(task: Task, plan: DemoPlan): ModelConfig {
  const c = presetConfig('blip-base', task, { imageSize: plan.imageSize < 224 ? 224 : plan.imageSize });
  return { ...c, queueSize: plan.batchSize * 8 };
}
