/**
 * The per-pixel (look-up table) operations of BLIP's RandomAugment on uint8 RGB images:
 * AutoContrast, Equalize, Brightness, and Sharpness.
 */
import { checkRgbImage, type RgbImage } from '../media/rgb-image';

/**
 * How AutoContrast computes its offset.
 * - `'blip-uint8-wrap'` (default, the reference behaviour): what the official numpy code actually
 *   computes. It negates the channel minimum while it is still a numpy uint8 scalar, so `-low`
 *   wraps to `256 - low`; every channel whose minimum is above 0 then becomes entirely 255.
 * - `'stretch'` (the fix): per channel, map [min, max] linearly onto [0, 255] (PIL's
 *   `ImageOps.autocontrast` with no cut-off; what the spec and the official docstring intend).
 */
export type AutoContrastMode = 'stretch' | 'blip-uint8-wrap';

function applyChannelLuts(img: RgbImage, luts: (Uint8Array | null)[]): RgbImage {
  const src = img.data;
  const out = new Uint8Array(src.length);
  for (let c = 0; c < 3; c++) {
    const lut = luts[c];
    if (lut) for (let i = c; i < src.length; i += 3) out[i] = lut[src[i]];
    else for (let i = c; i < src.length; i += 3) out[i] = src[i];
  }
  return { data: out, width: img.width, height: img.height };
}

function channelHistogram(data: Uint8Array, c: number): Float64Array {
  const h = new Float64Array(256);
  for (let i = c; i < data.length; i += 3) h[data[i]]++;
  return h;
}

/**
 * AutoContrast without cut-off: per channel, `lut[v] = trunc(clip(v·s − lo·s, 0, 255))` with
 * `s = 255 / (hi − lo)` in double precision; a channel with `hi ≤ lo` is unchanged.
 */
export function autoContrast(img: RgbImage, mode: AutoContrastMode = 'blip-uint8-wrap'): RgbImage {
  checkRgbImage(img);
  const luts: (Uint8Array | null)[] = [];
  for (let c = 0; c < 3; c++) {
    let lo = 255;
    let hi = 0;
    for (let i = c; i < img.data.length; i += 3) {
      const v = img.data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi <= lo) {
      luts.push(null);
      continue;
    }
    const scale = 255 / (hi - lo);
    const negLo = mode === 'blip-uint8-wrap' ? (256 - lo) % 256 : -lo;
    const offset = negLo * scale;
    const lut = new Uint8Array(256);
    for (let v = 0; v < 256; v++) {
      let t = v * scale + offset;
      if (t < 0) t = 0;
      if (t > 255) t = 255;
      lut[v] = Math.trunc(t);
    }
    luts.push(lut);
  }
  return applyChannelLuts(img, luts);
}

/**
 * Histogram equalisation per channel, identical to PIL's `ImageOps.equalize`:
 * `step = (Σh − h[last non-zero bin]) // 255`; if there is at most one non-zero bin or step is 0
 * the channel is unchanged; else `lut[i] = min(255, (step // 2 + Σ_{k<i} h[k]) // step)`.
 */
export function equalize(img: RgbImage): RgbImage {
  checkRgbImage(img);
  const luts: (Uint8Array | null)[] = [];
  for (let c = 0; c < 3; c++) {
    const h = channelHistogram(img.data, c);
    let total = 0;
    let last = -1;
    for (let i = 0; i < 256; i++) {
      total += h[i];
      if (h[i] !== 0) last = i;
    }
    const step = last < 0 ? 0 : Math.floor((total - h[last]) / 255);
    if (step === 0) {
      luts.push(null);
      continue;
    }
    const lut = new Uint8Array(256);
    let n = Math.floor(step / 2);
    for (let i = 0; i < 256; i++) {
      lut[i] = Math.min(255, Math.floor(n / step));
      n += h[i];
    }
    luts.push(lut);
  }
  return applyChannelLuts(img, luts);
}

/**
 * Brightness as the official code does it: `lut[v] = uint8(clip(float32(v) · factor, 0, 255))`
 * (float32 product, truncation). At M = 5 the factor is 1.0 and this is the identity.
 */
export function brightness(img: RgbImage, factor: number): RgbImage {
  checkRgbImage(img);
  if (factor === 1) return { data: new Uint8Array(img.data), width: img.width, height: img.height };
  const f = Math.fround(factor);
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    const t = Math.fround(v * f);
    lut[v] = Math.trunc(Math.min(255, Math.max(0, t)));
  }
  return applyChannelLuts(img, [lut, lut, lut]);
}

/**
 * Sharpness as the official code does it: a smoothed image from the 3×3 kernel
 * [[1,1,1],[1,5,1],[1,1,1]] / 13 (float32, rounded to uint8 like OpenCV's `filter2D`, reflect-101
 * border), then for factor 0 the smoothed image, for factor 1 the input (the case at M = 5), and
 * otherwise `smooth + factor·(img − smooth)` on the interior pixels with the one-pixel border kept.
 * Out-of-range blends are clamped here (the official float → uint8 cast leaves them undefined).
 */
export function sharpness(img: RgbImage, factor: number): RgbImage {
  checkRgbImage(img);
  const { width: W, height: H, data } = img;
  if (factor === 1) return { data: new Uint8Array(data), width: W, height: H };
  const k = Math.fround(1 / 13);
  const kc = Math.fround(5 / 13);
  const reflect = (i: number, n: number): number => (n === 1 ? 0 : i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);
  const smooth = new Uint8Array(data.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = reflect(y + dy, H);
          for (let dx = -1; dx <= 1; dx++) {
            const xx = reflect(x + dx, W);
            const w = dx === 0 && dy === 0 ? kc : k;
            s = Math.fround(s + Math.fround(data[(yy * W + xx) * 3 + c] * w));
          }
        }
        const r = Math.round(s);
        smooth[(y * W + x) * 3 + c] = r < 0 ? 0 : r > 255 ? 255 : r;
      }
    }
  }
  if (factor === 0) return { data: smooth, width: W, height: H };
  const f = Math.fround(factor);
  const out = new Uint8Array(data);
  for (let y = 1; y < H - 1; y++) {
    for (let x = 1; x < W - 1; x++) {
      for (let c = 0; c < 3; c++) {
        const i = (y * W + x) * 3 + c;
        const d = smooth[i];
        const t = Math.fround(d + Math.fround(f * (data[i] - d)));
        out[i] = Math.trunc(Math.min(255, Math.max(0, t)));
      }
    }
  }
  return { data: out, width: W, height: H };
}
