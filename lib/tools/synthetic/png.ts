/**
 * PNG encoding of raw RGB frames through sharp. No metadata is written and the compression settings
 * are fixed, so equal pixels give equal files (with the same sharp/libvips build).
 */
import sharp from 'sharp';
import { UniAdapterError } from '../../errors';

/**
 * Encodes `rgb` (`width × height × 3` bytes, row-major) as an 8-bit RGB PNG.
 *
 * @throws UniAdapterError `ERR_SHAPE` when the buffer length does not match the size.
 */
export async function encodePng(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new UniAdapterError('ERR_ARG', `PNG size must be positive integers, got ${width}×${height}`);
  }
  if (rgb.byteLength !== width * height * 3) {
    throw new UniAdapterError(
      'ERR_SHAPE',
      `an RGB image of ${width}×${height} needs ${width * height * 3} bytes, got ${rgb.byteLength}`
    );
  }
  const input = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  return sharp(input, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 6, adaptiveFiltering: false, palette: false, progressive: false })
    .toBuffer();
}
