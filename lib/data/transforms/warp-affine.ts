/**
 * An affine warp of a uint8 RGB image that reproduces OpenCV's
 * `cv2.warpAffine(img, M, (W, H), flags=INTER_LINEAR, borderMode=BORDER_CONSTANT, borderValue=fill)`
 * (OpenCV ≤ 4.10's fixed-point path) as BLIP's RandomAugment calls it:
 *
 * - `M` is the forward map (source → destination); it is inverted in double precision exactly as
 *   OpenCV does, so that `dst(x, y) = src(M⁻¹·(x, y))`;
 * - source coordinates are quantised to 1/32 pixel (INTER_BITS = 5) through OpenCV's 10-bit
 *   fixed-point accumulation with round-half-even (`cvRound`);
 * - the four bilinear weights are 15-bit integers summing to 32768 and the result is rounded
 *   `(Σ w·p + 2^14) >> 15`;
 * - taps outside the image read the fill colour; a destination pixel whose 2×2 neighbourhood lies
 *   wholly outside gets the fill colour.
 *
 * Checked bit-exact against OpenCV 4.6 (see test/fixtures/images). OpenCV 4.11 and later may use a
 * different (floating-point) kernel by default and can differ from this in the last unit.
 */
import { UniAdapterError } from '../../errors';
import { checkRgbImage, type RgbImage } from '../media/rgb-image';
import { roundHalfEven } from './round-half-even';

/** A 2×3 affine matrix in row-major order: [a, b, c, d, e, f] maps (x, y) to (ax+by+c, dx+ey+f). */
export type Affine2x3 = readonly [number, number, number, number, number, number];

const INTER_BITS = 5;
const INTER_TAB_SIZE = 1 << INTER_BITS;
const AB_BITS = 10;
const AB_SCALE = 1 << AB_BITS;
const ROUND_DELTA = AB_SCALE / INTER_TAB_SIZE / 2;
const COEF_BITS = 15;

/** The 32×32 table of fixed-point bilinear weights [w00, w01, w10, w11], as OpenCV builds it. */
const WEIGHTS: Int32Array = (() => {
  const tab = new Int32Array(INTER_TAB_SIZE * INTER_TAB_SIZE * 4);
  for (let fy = 0; fy < INTER_TAB_SIZE; fy++) {
    for (let fx = 0; fx < INTER_TAB_SIZE; fx++) {
      const k = (fy * INTER_TAB_SIZE + fx) * 4;
      const sat = (v: number) => Math.min(32767, v); // saturate_cast<short>
      tab[k] = sat((INTER_TAB_SIZE - fy) * (INTER_TAB_SIZE - fx) * 32);
      tab[k + 1] = sat((INTER_TAB_SIZE - fy) * fx * 32);
      tab[k + 2] = sat(fy * (INTER_TAB_SIZE - fx) * 32);
      tab[k + 3] = sat(fy * fx * 32);
      const sum = tab[k] + tab[k + 1] + tab[k + 2] + tab[k + 3];
      // OpenCV's fix-up for the one entry (fx = fy = 0) whose 32768 does not fit in a short:
      // the missing unit goes to the last weight. It cannot change an 8-bit result.
      if (sum !== 1 << COEF_BITS) tab[k + 3] += (1 << COEF_BITS) - sum;
    }
  }
  return tab;
})();

/** The inverse of a forward affine map, computed in double precision the way OpenCV does. */
export function invertAffine(m: Affine2x3): Affine2x3 {
  let [a, b, c, d, e, f] = m;
  let D = a * e - b * d;
  D = D !== 0 ? 1 / D : 0;
  const a11 = e * D;
  const a22 = a * D;
  a = a11;
  b *= -D;
  d *= -D;
  e = a22;
  const b1 = -a * c - b * f;
  const b2 = -d * c - e * f;
  return [a, b, b1, d, e, b2];
}

function saturateShort(v: number): number {
  return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}

/**
 * Warps `img` by the forward affine map `m` into an image of the same size (OpenCV semantics).
 *
 * @param img source image
 * @param m forward 2×3 matrix (pass values rounded to float32 where the caller built them in float32)
 * @param fill the border colour, default (128, 128, 128) as in BLIP
 */
export function warpAffine(img: RgbImage, m: Affine2x3, fill: readonly [number, number, number] = [128, 128, 128]): RgbImage {
  checkRgbImage(img);
  if (!Array.isArray(m) || m.length !== 6 || !m.every(Number.isFinite)) {
    throw new UniAdapterError('ERR_ARG', 'warpAffine: the matrix must be six finite numbers');
  }
  const { width: W, height: H, data: src } = img;
  const [i0, i1, i2, i3, i4, i5] = invertAffine(m);
  const out = new Uint8Array(src.length);
  const fr = fill[0] & 255;
  const fg = fill[1] & 255;
  const fb = fill[2] & 255;

  const adelta = new Int32Array(W);
  const bdelta = new Int32Array(W);
  for (let x = 0; x < W; x++) {
    adelta[x] = roundHalfEven(i0 * x * AB_SCALE);
    bdelta[x] = roundHalfEven(i3 * x * AB_SCALE);
  }
  const rowStride = W * 3;
  for (let y = 0; y < H; y++) {
    const X0 = roundHalfEven((i1 * y + i2) * AB_SCALE) + ROUND_DELTA;
    const Y0 = roundHalfEven((i4 * y + i5) * AB_SCALE) + ROUND_DELTA;
    for (let x = 0; x < W; x++) {
      const X = (X0 + adelta[x]) >> (AB_BITS - INTER_BITS);
      const Y = (Y0 + bdelta[x]) >> (AB_BITS - INTER_BITS);
      const sx = saturateShort(X >> INTER_BITS);
      const sy = saturateShort(Y >> INTER_BITS);
      const o = (y * W + x) * 3;
      if (sx >= W || sx + 1 < 0 || sy >= H || sy + 1 < 0) {
        out[o] = fr;
        out[o + 1] = fg;
        out[o + 2] = fb;
        continue;
      }
      const k = ((Y & (INTER_TAB_SIZE - 1)) * INTER_TAB_SIZE + (X & (INTER_TAB_SIZE - 1))) * 4;
      const w0 = WEIGHTS[k];
      const w1 = WEIGHTS[k + 1];
      const w2 = WEIGHTS[k + 2];
      const w3 = WEIGHTS[k + 3];
      const x0in = sx >= 0 && sx < W;
      const x1in = sx + 1 >= 0 && sx + 1 < W;
      const y0in = sy >= 0 && sy < H;
      const y1in = sy + 1 >= 0 && sy + 1 < H;
      const p00 = x0in && y0in ? sy * rowStride + sx * 3 : -1;
      const p01 = x1in && y0in ? sy * rowStride + (sx + 1) * 3 : -1;
      const p10 = x0in && y1in ? (sy + 1) * rowStride + sx * 3 : -1;
      const p11 = x1in && y1in ? (sy + 1) * rowStride + (sx + 1) * 3 : -1;
      for (let c = 0; c < 3; c++) {
        const fc = c === 0 ? fr : c === 1 ? fg : fb;
        const v00 = p00 >= 0 ? src[p00 + c] : fc;
        const v01 = p01 >= 0 ? src[p01 + c] : fc;
        const v10 = p10 >= 0 ? src[p10 + c] : fc;
        const v11 = p11 >= 0 ? src[p11 + c] : fc;
        const t = (v00 * w0 + v01 * w1 + v10 * w2 + v11 * w3 + (1 << (COEF_BITS - 1))) >> COEF_BITS;
        out[o + c] = t < 0 ? 0 : t > 255 ? 255 : t;
      }
    }
  }
  return { data: out, width: W, height: H };
}
