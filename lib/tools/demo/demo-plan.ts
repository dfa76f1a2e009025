/**
 * The demo's embedded default: a small BLIP-architecture model and a synthetic dataset sized so that
 * the whole run (data, training, evaluation, examples) takes a few minutes on a 2-core CPU.
 */
import type { ModelConfig, Task } from '../../config/model-config';
import { presetConfig } from '../../config/presets';
import { UNIADAPTER_PETL } from './demo-methods';

export interface DemoPlan {
  imageSize: number;
  trainImages: number;
  testImages: number;
  retrievalSteps: number;
  qaSteps: number;
  captionSteps: number;
  /** Questions per synthetic image (VQA training and test). */
  questionsPerImage: number;
  /** Held-out questions the VQA accuracies are measured on. */
  qaEvalQuestions: number;
  batchSize: number;
  /** AdamW learning rate of each task's adapter (constant after a short warm-up). */
  lr: { retrieval: number; vqa: number; caption: number };
  evalEvery: number;
  /** Test items used by the periodic recall evaluations during training. */
  evalSubset: number;
  /** Held-out images captioned for the CIDEr-D scores. */
  captionEvalImages: number;
  seed: number;
}

/**
 * Chosen on validation runs of another seed (7), never on the reported split (seed 1), to fit the time
 * target of 10 minutes on a machine measuring 60 GFLOP/s. Retrieval texts are in the catalogue's words
 * (demo-setup.ts), which the frozen backbone does not know (R@1 8.0 on seed 7). After 200 steps R@1 is
 * 20.3 at 1e-3, 65.0 at 5e-3, 73.7 at 1e-2 and 71.7 at 2e-2 (5e-3 for 300 steps: 70.0; 3e-3 for 400:
 * 72.7; full fine-tuning at a tenth of 1e-2: 56.7), on a copy of the split renamed word by word; on
 * the generator's catalogue split, 72.7 at 1e-2. (With the captions' own words the backbone
 * scored 86.7 alone and no rate moved it by more than 2 points.) VQA, on the pretrained backbone: 64.8 % after 400 steps at 1e-2, 67.6 % after 800; at 5e-3, 69.9 %
 * after 600 steps and 69.2 % after 800. The same steps and rate on the embedded VQA backbone, which
 * the demo adapts now, give 77.1 % (not re-tuned). Captioning, on all 100 held-out images: after 200 steps CIDEr-D
 * 4.05 at 3e-3 and 4.23 at 6e-3 (on 60 images: 3.73 at 1e-3, 3.97 at 1e-2), against full fine-tuning's
 * 4.31 (0.1 × the lr, 3e-4 or 6e-4 alike); 300 steps widen the gap (4.56 at 3e-3 against 4.96).
 */
export const FULL_PLAN: DemoPlan = {
  // 3×3 patches of 16 pixels, one per cell of the scenes' grid (configs/pretrain-demo.yaml says why).
  imageSize: 48,
  trainImages: 800,
  testImages: 100,
  retrievalSteps: 200,
  qaSteps: 600,
  captionSteps: 200,
  questionsPerImage: 3,
  qaEvalQuestions: 300,
  batchSize: 32,
  lr: { retrieval: 1e-2, vqa: 5e-3, caption: 6e-3 },
  evalEvery: 100,
  evalSubset: 100,
  captionEvalImages: 100,
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
  questionsPerImage: 3,
  qaEvalQuestions: 60,
  batchSize: 8,
  lr: { retrieval: 2e-3, vqa: 2e-3, caption: 2e-3 },
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
    petl: { ...UNIADAPTER_PETL, bottleneck: 64, kvBottleneck: 16, init: task === 'vqa' ? 'code-vqa' : 'code-retrieval', trainableRule: 'official' },
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
