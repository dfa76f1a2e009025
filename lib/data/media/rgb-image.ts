/**
 * An 8-bit RGB image held in memory as interleaved rows (height × width × 3, HWC), the form in
 * which decoded images move through the transforms and cross to the native core.
 */
import { UniAdapterError } from '../../errors';
import type { HostTensor } from '../../tensor';

export interface RgbImage {
  /** Pixel bytes, row-major, R G B per pixel: `data[(y * width + x) * 3 + c]`. */
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Checks that an image's sizes are positive integers and that its buffer holds exactly
 * `height × width × 3` bytes; throws ERR_ARG naming `what` otherwise.
 */
export function checkRgbImage(img: RgbImage, what = 'image'): void {
  const { width, height } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new UniAdapterError('ERR_ARG', `${what}: size ${width}×${height} is not a positive integer size`);
  }
  if (!(img.data instanceof Uint8Array) || img.data.length !== width * height * 3) {
    throw new UniAdapterError(
      'ERR_ARG',
      `${what}: a ${width}×${height} RGB image needs ${width * height * 3} bytes, got ${img.data?.length}`
    );
  }
}

/** The image as a uint8 HostTensor of shape [height, width, 3] (shares the buffer). */
export function rgbToTensor(img: RgbImage): HostTensor {
  return { dtype: 'uint8', shape: [img.height, img.width, 3], data: img.data };
}

/** A uint8 [H, W, 3] HostTensor viewed as an RgbImage (shares the buffer); ERR_ARG for anything else. */
export function tensorToRgb(t: HostTensor, what = 'image'): RgbImage {
  if (t.dtype !== 'uint8' || t.shape.length !== 3 || t.shape[2] !== 3) {
    throw new UniAdapterError('ERR_ARG', `${what}: expected a uint8 [H, W, 3] tensor, got ${t.dtype} [${t.shape.join(', ')}]`);
  }
  const img = { data: t.data as Uint8Array, width: t.shape[1], height: t.shape[0] };
  checkRgbImage(img, what);
  return img;
}
