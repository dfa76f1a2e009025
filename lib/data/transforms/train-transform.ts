/**
 * BLIP's training transform on one image: RandomResizedCrop(S, scale (0.5, 1), ratio (3/4, 4/3),
 * PIL bicubic) → RandomHorizontalFlip(0.5) → RandomAugment(2, 5). The result stays uint8 HWC
 * [S, S, 3]; normalisation happens on the device.
 *
 * The random parameters are drawn first ({@link TrainTransform.sample}) and applied second
 * ({@link TrainTransform.applySample}), so a video clip can share one draw across its frames.
 */
import { UniAdapterError } from '../../errors';
import type { ResizeFilter } from '../media/image';
import { checkRgbImage, rgbToTensor, type RgbImage } from '../media/rgb-image';
import type { HostTensor } from '../../tensor';
import type { Rng } from '../rng';
import type { CropBox } from './crop';
import { flipHorizontal, sampleFlip } from './flip';
import { RandomAugment, type AugmentStep, type RandomAugmentOptions } from './random-augment';
import { resizedCrop, sampleResizedCropBox } from './random-resized-crop';

export interface TrainTransformOptions {
  /** Output side S. */
  size: number;
  /** RandomResizedCrop area range (default [0.5, 1.0], BLIP's `min_scale` 0.5). */
  scale?: readonly [number, number];
  /** RandomResizedCrop aspect-ratio range (default [3/4, 4/3]). */
  ratio?: readonly [number, number];
  /** Probability of a horizontal flip (default 0.5). */
  flipProb?: number;
  /** RandomAugment settings (default N = 2, M = 5), or false to switch it off. */
  randAugment?: RandomAugmentOptions | false;
  /** Resampling filter of the crop resize (default 'bicubic'). */
  filter?: ResizeFilter;
}

/** The random choices for one image (or one clip). */
export interface TrainSample {
  box: CropBox;
  flip: boolean;
  augment: AugmentStep[];
}

/** BLIP's training transform for one image; see the file comment for the steps. */
export class TrainTransform {
  readonly size: number;
  readonly scale?: readonly [number, number];
  readonly ratio?: readonly [number, number];
  readonly flipProb: number;
  readonly filter: ResizeFilter;
  readonly randAugment: RandomAugment | null;

  constructor(options: TrainTransformOptions) {
    const { size } = options;
    if (!Number.isInteger(size) || size <= 0 || size > 8192) {
      throw new UniAdapterError('ERR_ARG', `train transform: size must be an integer in 1..8192, got ${size}`);
    }
    this.size = size;
    this.scale = options.scale;
    this.ratio = options.ratio;
    this.flipProb = options.flipProb ?? 0.5;
    if (!(this.flipProb >= 0 && this.flipProb <= 1)) {
      throw new UniAdapterError('ERR_ARG', `train transform: flipProb must be in [0, 1], got ${this.flipProb}`);
    }
    this.filter = options.filter ?? 'bicubic';
    this.randAugment = options.randAugment === false ? null : new RandomAugment(options.randAugment ?? {});
  }

  /** Draws crop box, flip and augmentation plan for an image of the given size (in that order). */
  sample(width: number, height: number, rng: Rng): TrainSample {
    const box = sampleResizedCropBox(width, height, rng, { scale: this.scale, ratio: this.ratio });
    const flip = sampleFlip(rng, this.flipProb);
    const augment = this.randAugment ? this.randAugment.sample(rng) : [];
    return { box, flip, augment };
  }

  /** Applies drawn parameters: crop + resize to S × S, flip, augmentation. */
  async applySample(img: RgbImage, sample: TrainSample): Promise<RgbImage> {
    checkRgbImage(img);
    let out = await resizedCrop(img, sample.box, this.size, this.size, this.filter);
    if (sample.flip) out = flipHorizontal(out);
    if (this.randAugment && sample.augment.length > 0) out = this.randAugment.apply(out, sample.augment);
    return out;
  }

  /**
   * Transforms one image with fresh random parameters.
   *
   * @returns uint8 HostTensor [S, S, 3]
   */
  async apply(img: RgbImage, rng: Rng): Promise<HostTensor> {
    checkRgbImage(img);
    return rgbToTensor(await this.applySample(img, this.sample(img.width, img.height, rng)));
  }
}
