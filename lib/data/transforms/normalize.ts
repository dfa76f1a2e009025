/**
 * torchvision's `ToTensor()` + `Normalize(mean, std)` on uint8 HWC pixels, in float32 arithmetic
 * that gives the same bits as torch: `x = float32(v) / 255`, then `(x − mean) / std`, each step
 * rounded to float32 (mean and std are float32 tensors in torchvision).
 */
import { UniAdapterError } from '../../errors';
import type { RgbImage } from '../media/rgb-image';
import type { HostTensor } from '../../tensor';

/** CLIP's normalisation constants, used by BLIP. */
export const CLIP_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/** The 3 × 256 look-up table of normalised values: `table[c * 256 + v]`. */
export function normalizeTable(
  mean: readonly number[] = CLIP_MEAN,
  std: readonly number[] = CLIP_STD
): Float32Array {
  if (mean.length !== 3 || std.length !== 3 || std.some((s) => !(s > 0)) || mean.some((m) => !Number.isFinite(m))) {
    throw new UniAdapterError('ERR_ARG', 'normalize: mean and std must be three finite numbers, std > 0');
  }
  const f = Math.fround;
  const table = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const m = f(mean[c]);
    const s = f(std[c]);
    for (let v = 0; v < 256; v++) table[c * 256 + v] = f(f(f(v / 255) - m) / s);
  }
  return table;
}

/**
 * Converts uint8 pixels `[..., H, W, 3]` (or an RgbImage) to normalised float32 `[..., 3, H, W]`.
 *
 * @param pixels uint8 HWC pixels; leading dimensions (frames, batch) are kept
 * @param mean per-channel mean, default CLIP's
 * @param std per-channel standard deviation, default CLIP's
 */
export function normalizeToFloat(
  pixels: HostTensor | RgbImage,
  mean: readonly number[] = CLIP_MEAN,
  std: readonly number[] = CLIP_STD
): HostTensor {
  const t: HostTensor =
    'dtype' in pixels ? pixels : { dtype: 'uint8', shape: [pixels.height, pixels.width, 3], data: pixels.data };
  const shape = t.shape;
  if (t.dtype !== 'uint8' || shape.length < 3 || shape[shape.length - 1] !== 3) {
    throw new UniAdapterError('ERR_ARG', `normalizeToFloat: expected uint8 [..., H, W, 3], got ${t.dtype} [${shape.join(', ')}]`);
  }
  const H = shape[shape.length - 3];
  const W = shape[shape.length - 2];
  const plane = H * W;
  const lead = shape.slice(0, -3);
  const count = lead.reduce((a, b) => a * b, 1);
  const src = t.data as Uint8Array;
  if (src.length !== count * plane * 3) {
    throw new UniAdapterError('ERR_ARG', `normalizeToFloat: [${shape.join(', ')}] needs ${count * plane * 3} bytes, got ${src.length}`);
  }
  const table = normalizeTable(mean, std);
  const out = new Float32Array(src.length);
  for (let b = 0; b < count; b++) {
    const base = b * plane * 3;
    for (let c = 0; c < 3; c++) {
      const lut = c * 256;
      const dst = base + c * plane;
      for (let i = 0, j = base + c; i < plane; i++, j += 3) out[dst + i] = table[lut + src[j]];
    }
  }
  return { dtype: 'float32', shape: [...lead, 3, H, W], data: out };
}
