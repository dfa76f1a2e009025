/**
 * normalizeToFloat against torchvision's ToTensor() + Normalize(CLIP mean, std) (torch 1.13,
 * float32): every uint8 value of every channel, and the CHW layout on a real image.
 */
import { CLIP_MEAN, CLIP_STD, normalizeTable, normalizeToFloat } from '../lib/data/transforms/normalize';
import { fromBase64, readFixtureJson, readFloat32, readPixels } from './helpers/image-fixtures';

const tv = readFixtureJson('torchvision.json');
const TOLERANCE = 1e-6; // measured: 0 (bit-identical)

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('constants are CLIP\'s', () => {
  expect(CLIP_MEAN).toEqual([0.48145466, 0.4578275, 0.40821073]);
  expect(CLIP_STD).toEqual([0.26862954, 0.26130258, 0.27577711]);
  expect(tv.normalize.mean).toEqual([...CLIP_MEAN]);
  expect(tv.normalize.std).toEqual([...CLIP_STD]);
});

test('all 3 × 256 values match torch', () => {
  const ref = new Float32Array(fromBase64(tv.normalize.table_f32).buffer);
  const diff = maxAbsDiff(normalizeTable(), ref);
  expect(diff).toBeLessThanOrEqual(TOLERANCE);
  expect(diff).toBe(0);
});

test('a real 96×96 image: shape [3, H, W] and values match torch', () => {
  const pixels = readPixels(tv.normalize.image_input);
  const out = normalizeToFloat({ dtype: 'uint8', shape: [96, 96, 3], data: pixels });
  expect(out.dtype).toBe('float32');
  expect(out.shape).toEqual(tv.normalize.image_shape);
  expect(maxAbsDiff(out.data as Float32Array, readFloat32(tv.normalize.image_f32))).toBeLessThanOrEqual(TOLERANCE);
});

test('leading dimensions are kept: [T, H, W, 3] → [T, 3, H, W]', () => {
  const T = 2;
  const H = 2;
  const W = 3;
  const data = new Uint8Array(T * H * W * 3).map((_, i) => (i * 37) % 256);
  const out = normalizeToFloat({ dtype: 'uint8', shape: [T, H, W, 3], data });
  expect(out.shape).toEqual([T, 3, H, W]);
  const table = normalizeTable();
  const o = out.data as Float32Array;
  for (let t = 0; t < T; t++)
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const v = data[((t * H + y) * W + x) * 3 + c];
          expect(o[((t * 3 + c) * H + y) * W + x]).toBe(table[c * 256 + v]);
        }
});

test('bad input is ERR_ARG', () => {
  expect(() => normalizeToFloat({ dtype: 'float32', shape: [2, 2, 3], data: new Float32Array(12) })).toThrow(
    expect.objectContaining({ code: 'ERR_ARG' })
  );
  expect(() => normalizeToFloat({ dtype: 'uint8', shape: [2, 2, 4], data: new Uint8Array(16) })).toThrow(
    expect.objectContaining({ code: 'ERR_ARG' })
  );
  expect(() => normalizeToFloat({ dtype: 'uint8', shape: [2, 2, 3], data: new Uint8Array(11) })).toThrow(
    expect.objectContaining({ code: 'ERR_ARG' })
  );
});
