/**
 * BLIP's evaluation transform: resize to exactly S × S (aspect ratio not kept) with PIL bicubic.
 * The result stays uint8 HWC; the native model normalises it on the device. For a float tensor in
 * TypeScript use {@link normalizeToFloat}.
 */
import { UniAdapterError } from '../../errors';
import { resizeImage, type ResizeFilter } from '../media/image';
import { checkRgbImage, rgbToTensor, type RgbImage } from '../media/rgb-image';
import type { HostTensor } from '../../tensor';

export { normalizeToFloat, CLIP_MEAN, CLIP_STD } from './normalize';

/**
 * Resizes an image to `size × size` with PIL-exact bicubic resampling.
 *
 * @param img decoded RGB image
 * @param size output side S (224 retrieval, 384 captioning/VQA, 480 VQA)
 * @returns uint8 HostTensor [S, S, 3]
 */
export async function testTransform(img: RgbImage, size: number, filter: ResizeFilter = 'bicubic'): Promise<HostTensor> {
  checkRgbImage(img);
  if (!Number.isInteger(size) || size <= 0 || size > 8192) {
    throw new UniAdapterError('ERR_ARG', `image size must be an integer in 1..8192, got ${size}`);
  }
  return rgbToTensor(await resizeImage(img, size, size, filter));
}
