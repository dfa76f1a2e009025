/**
 * Background painting: a base color with a texture (plain, luminance noise, diagonal stripes or a
 * linear gradient). Textures change brightness by at most ±16 levels, so the base color stays
 * recognisable and far from every object color. The texture depends only on the background's seed
 * and the image size, so every frame of a clip has the same background.
 */
import { Prng } from './prng';
import type { Background } from './scene';
import { BACKGROUND_RGB } from './vocab';

/** Largest brightness change a texture makes, in 8-bit levels. */
export const TEXTURE_AMPLITUDE = 16;

function clamp8(x: number): number {
  return x < 0 ? 0 : x > 255 ? 255 : x;
}

/** Per-pixel brightness offsets of the texture, row-major `size × size`. */
function textureOffsets(bg: Background, size: number): Int8Array {
  const off = new Int8Array(size * size);
  const rng = new Prng(bg.textureSeed);
  switch (bg.texture) {
    case 'plain':
      break;
    case 'noise':
      for (let i = 0; i < off.length; i++) off[i] = rng.intBetween(-12, 12);
      break;
    case 'stripes': {
      const period = Math.max(2, Math.round(size / rng.intBetween(5, 9)));
      const phase = rng.int(2 * period);
      const rising = rng.bernoulli(0.5);
      const amp = rng.intBetween(6, 10);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const d = (rising ? x + y : x - y + size) + phase;
          off[y * size + x] = Math.floor(d / period) % 2 === 0 ? amp : -amp;
        }
      }
      break;
    }
    case 'gradient': {
      const vertical = rng.bernoulli(0.5);
      const sign = rng.bernoulli(0.5) ? 1 : -1;
      const denom = Math.max(1, size - 1);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const p = (vertical ? y : x) / denom; // 0..1
          off[y * size + x] = Math.round(sign * (2 * p - 1) * TEXTURE_AMPLITUDE);
        }
      }
      break;
    }
  }
  return off;
}

/** Fills `rgb` (a `size × size × 3` buffer) with the background. */
export function paintBackground(rgb: Uint8Array, size: number, bg: Background): void {
  const [r, g, b] = BACKGROUND_RGB[bg.color];
  const off = textureOffsets(bg, size);
  for (let i = 0, j = 0; i < off.length; i++, j += 3) {
    const o = off[i];
    rgb[j] = clamp8(r + o);
    rgb[j + 1] = clamp8(g + o);
    rgb[j + 2] = clamp8(b + o);
  }
}
