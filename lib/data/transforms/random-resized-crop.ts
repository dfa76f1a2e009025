/**
 * torchvision's `RandomResizedCrop`: choose a crop box with torchvision's parameter algorithm, then
 * crop and resize it with PIL-exact resampling (BLIP: scale (0.5, 1), ratio (3/4, 4/3), bicubic).
 */
import { UniAdapterError } from '../../errors';
import { resizeImage, type ResizeFilter } from '../media/image';
import type { RgbImage } from '../media/rgb-image';
import type { Rng } from '../rng';
import { cropImage, type CropBox } from './crop';
import { roundHalfEven } from './round-half-even';

export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image area (BLIP: [0.5, 1.0]). */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio width / height, sampled log-uniformly (default [3/4, 4/3]). */
  ratio?: readonly [number, number];
}

export const DEFAULT_CROP_SCALE: readonly [number, number] = [0.5, 1.0];
export const DEFAULT_CROP_RATIO: readonly [number, number] = [3 / 4, 4 / 3];

function checkRange(name: string, r: readonly [number, number], positive: boolean): void {
  if (!Array.isArray(r) || r.length !== 2 || !r.every(Number.isFinite) || r[0] > r[1] || (positive && r[0] <= 0)) {
    throw new UniAdapterError('ERR_ARG', `RandomResizedCrop: ${name} must be [min, max] with 0 < min <= max`);
  }
}

/**
 * Samples a crop box the way torchvision's `RandomResizedCrop.get_params` does: up to 10 tries of
 * area `A·U(scale)` and ratio `exp(U(log ratio))`, `w = round(√(a·r))`, `h = round(√(a/r))` (Python
 * rounding), accepted when `0 < w ≤ W` and `0 < h ≤ H`, at a uniform position; otherwise a central
 * crop whose ratio is clamped to the range (or the whole image).
 *
 * @param width image width
 * @param height image height
 * @param rng the random source (advanced)
 */
export function sampleResizedCropBox(
  width: number,
  height: number,
  rng: Rng,
  options: RandomResizedCropOptions = {}
): CropBox {
  const scale = options.scale ?? DEFAULT_CROP_SCALE;
  const ratio = options.ratio ?? DEFAULT_CROP_RATIO;
  checkRange('scale', scale, true);
  checkRange('ratio', ratio, true);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new UniAdapterError('ERR_ARG', `RandomResizedCrop: invalid image size ${width}×${height}`);
  }
  const area = width * height;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(height - h + 1);
      const left = rng.int(width - w + 1);
      return { top, left, height: h, width: w };
    }
  }
  return centralCropBox(width, height, ratio);
}

/** torchvision's fallback: the largest central crop whose aspect ratio lies in `ratio`. */
export function centralCropBox(width: number, height: number, ratio: readonly [number, number] = DEFAULT_CROP_RATIO): CropBox {
  const inRatio = width / height;
  const lo = Math.min(ratio[0], ratio[1]);
  const hi = Math.max(ratio[0], ratio[1]);
  let w: number;
  let h: number;
  if (inRatio < lo) {
    w = width;
    h = roundHalfEven(w / lo);
  } else if (inRatio > hi) {
    h = height;
    w = roundHalfEven(h * hi);
  } else {
    w = width;
    h = height;
  }
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

/**
 * Crops `box` and resizes it to `outHeight × outWidth` (torchvision's `resized_crop` on a PIL image:
 * `img.crop(box).resize(size, filter)`), bit-identical to PIL.
 */
export async function resizedCrop(
  img: RgbImage,
  box: CropBox,
  outHeight: number,
  outWidth: number,
  filter: ResizeFilter = 'bicubic'
): Promise<RgbImage> {
  return resizeImage(cropImage(img, box), outHeight, outWidth, filter);
}
