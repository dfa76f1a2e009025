/** Horizontal flip (PIL's `FLIP_LEFT_RIGHT`) and torchvision's `RandomHorizontalFlip`. */
import { checkRgbImage, type RgbImage } from '../media/rgb-image';
import type { Rng } from '../rng';

/** Mirrors the image left to right (a new buffer). */
export function flipHorizontal(img: RgbImage): RgbImage {
  checkRgbImage(img);
  const { width, height, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      const s = row + x * 3;
      const d = row + (width - 1 - x) * 3;
      out[d] = data[s];
      out[d + 1] = data[s + 1];
      out[d + 2] = data[s + 2];
    }
  }
  return { data: out, width, height };
}

/** Decides whether to flip: true with probability `p` (torchvision draws `rand() < p`). */
export function sampleFlip(rng: Rng, p = 0.5): boolean {
  return rng.next() < p;
}
