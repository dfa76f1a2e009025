/** Cropping an RGB image to a rectangle (PIL's `Image.crop` for boxes inside the image). */
import { UniAdapterError } from '../../errors';
import { checkRgbImage, type RgbImage } from '../media/rgb-image';

/** A rectangle in pixel units: rows `top .. top+height-1`, columns `left .. left+width-1`. */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/**
 * Copies the pixels inside `box`, which must lie inside the image.
 *
 * @throws UniAdapterError ERR_ARG when the box is empty or leaves the image
 */
export function cropImage(img: RgbImage, box: CropBox): RgbImage {
  checkRgbImage(img);
  const { top, left, height, width } = box;
  const ok =
    [top, left, height, width].every(Number.isInteger) &&
    top >= 0 &&
    left >= 0 &&
    height > 0 &&
    width > 0 &&
    top + height <= img.height &&
    left + width <= img.width;
  if (!ok) {
    throw new UniAdapterError(
      'ERR_ARG',
      `crop box (top ${top}, left ${left}, ${width}×${height}) does not fit in a ${img.width}×${img.height} image`
    );
  }
  if (top === 0 && left === 0 && height === img.height && width === img.width) {
    return { data: new Uint8Array(img.data), width, height };
  }
  const out = new Uint8Array(width * height * 3);
  const rowBytes = width * 3;
  for (let y = 0; y < height; y++) {
    const start = ((top + y) * img.width + left) * 3;
    out.set(img.data.subarray(start, start + rowBytes), y * rowBytes);
  }
  return { data: out, width, height };
}
