/**
 * Sizes and iteration counts of every benchmark, per mode (quick / full), configuration
 * (tiny / blip-base) and device. Full BLIP-base sizes on the CPU are chosen so that one run of the
 * whole suite, PyTorch comparison included, takes a few minutes on 2 cores; on CUDA they are the
 * issue's GPU sizes (ViT-B/16 at 384 px, training batch 32, re-ranking k = 256, a 500 × 2,500
 * evaluation), sized for a few minutes on one H100/H200 with both precisions and the reference.
 */
import type { BenchOptions } from '../lib/cli/bench';
import type { TimingOptions } from './timing';

export interface SuitePlan {
  /** Matmul sizes of the practical-peak measurement. */
  gemmSizes: number[];
  /** Text length of every text input (BLIP pads retrieval texts to 35). */
  textLength: number;
  vit: TimingOptions & { sizes: Array<{ imageSize: number; batch: number }> };
  text: TimingOptions & { batch: number };
  itm: TimingOptions & { pairs: number };
  rerank: TimingOptions & { k: number };
  train: TimingOptions & { sizes: Array<{ imageSize?: number; batch: number }> };
  caption: TimingOptions & { batch: number; numBeams: number; maxLength: number; minLength: number };
  eval: TimingOptions & { config: 'tiny' | 'blip-base'; imageSize: number; images: number; textsPerImage: number; k: number; batch: number; extrapolateToImages: number };
  data: TimingOptions & { imageSize: number; images: number; workers: number[]; videoSize: number; clips: number; frames: number[]; videoWorkers: number[] };
}

/** The COCO Karpathy test split the evaluation time is extrapolated to: 5,000 images, 5 captions each. */
export const COCO_5K_IMAGES = 5000;

/** BLIP-base on one CUDA device: the sizes the GPU goals are stated at. */
function cudaBlipBasePlan(): SuitePlan {
  const caption = { numBeams: 3, maxLength: 20, minLength: 5, batch: 1 };
  return {
    gemmSizes: [2048, 4096, 8192],
    textLength: 35,
    vit: { warmup: 3, iterations: 10, sizes: [{ imageSize: 384, batch: 64 }] },
    text: { warmup: 3, iterations: 10, batch: 512 },
    itm: { warmup: 3, iterations: 10, pairs: 64 },
    rerank: { warmup: 3, iterations: 10, k: 256 },
    train: { warmup: 2, iterations: 5, sizes: [{ imageSize: 384, batch: 32 }] },
    caption: { ...caption, warmup: 2, iterations: 10 },
    eval: { config: 'blip-base', imageSize: 384, images: 500, textsPerImage: 5, k: 256, batch: 64, warmup: 0, iterations: 1, extrapolateToImages: COCO_5K_IMAGES },
    data: { imageSize: 384, images: 24, workers: [1, 2, 4], videoSize: 224, clips: 3, frames: [8, 16], videoWorkers: [1, 2], warmup: 1, iterations: 2 },
  };
}

/** The plan for a run. */
export function suitePlan(options: BenchOptions): SuitePlan {
  const quick = options.quick;
  if (options.device === 'cuda' && !quick && options.config === 'blip-base') return cudaBlipBasePlan();
  const base = options.config === 'blip-base';
  const caption = { numBeams: 3, maxLength: 20, minLength: 5, batch: 1 };
  if (!base) {
    const few = quick ? { warmup: 2, iterations: 10 } : { warmup: 3, iterations: 30 };
    return {
      gemmSizes: quick ? [256, 512] : [512, 1024, 2048],
      textLength: 35,
      vit: { ...few, sizes: [{ imageSize: 32, batch: 16 }] },
      text: { ...few, batch: 16 },
      itm: { ...few, pairs: 16 },
      rerank: { ...few, k: 16 },
      train: { ...few, sizes: [{ batch: 8 }] },
      caption: { ...caption, warmup: 1, iterations: quick ? 3 : 10 },
      eval: quick
        ? { config: 'tiny', imageSize: 32, images: 32, textsPerImage: 5, k: 16, batch: 16, warmup: 0, iterations: 2, extrapolateToImages: COCO_5K_IMAGES }
        : { config: 'tiny', imageSize: 32, images: 1000, textsPerImage: 5, k: 16, batch: 16, warmup: 1, iterations: 3, extrapolateToImages: COCO_5K_IMAGES },
      data: quick
        ? { imageSize: 384, images: 6, workers: [1, 2, 4], videoSize: 224, clips: 2, frames: [8, 16], videoWorkers: [1], warmup: 1, iterations: 2 }
        : { imageSize: 384, images: 24, workers: [1, 2, 4], videoSize: 224, clips: 4, frames: [8, 16], videoWorkers: [1, 2], warmup: 1, iterations: 3 },
    };
  }
  const it = (warmup: number, iterations: number): TimingOptions => (quick ? { warmup: Math.min(warmup, 1), iterations: 2 } : { warmup, iterations });
  return {
    gemmSizes: quick ? [512, 1024] : [512, 1024, 2048],
    textLength: 35,
    vit: { ...it(1, 4), sizes: [{ imageSize: 224, batch: 4 }, { imageSize: 384, batch: 2 }] },
    text: { ...it(1, 5), batch: 16 },
    itm: { ...it(1, 3), pairs: 8 },
    rerank: { ...it(1, 3), k: 16 },
    train: { ...it(1, 3), sizes: quick ? [{ imageSize: 384, batch: 2 }] : [{ imageSize: 224, batch: 4 }, { imageSize: 384, batch: 2 }] },
    caption: { ...caption, ...it(1, 2) },
    // 1000 images at 384 px through BLIP-base is far too slow on 2 cores: the 1k gallery uses the tiny configuration.
    eval: quick
      ? { config: 'tiny', imageSize: 32, images: 32, textsPerImage: 5, k: 16, batch: 16, warmup: 0, iterations: 2, extrapolateToImages: COCO_5K_IMAGES }
      : { config: 'tiny', imageSize: 32, images: 1000, textsPerImage: 5, k: 16, batch: 16, warmup: 0, iterations: 1, extrapolateToImages: COCO_5K_IMAGES },
    data: quick
      ? { imageSize: 384, images: 6, workers: [1, 2, 4], videoSize: 224, clips: 2, frames: [8, 16], videoWorkers: [1], warmup: 1, iterations: 2 }
      : { imageSize: 384, images: 24, workers: [1, 2, 4], videoSize: 224, clips: 3, frames: [8, 16], videoWorkers: [1, 2], warmup: 1, iterations: 2 },
  };
}
