/**
 * RandomResizedCrop (torchvision's parameter algorithm, PIL bicubic) and RandomHorizontalFlip.
 */
import { Rng } from '../lib/data/rng';
import { flipHorizontal, sampleFlip } from '../lib/data/transforms/flip';
import { cropImage } from '../lib/data/transforms/crop';
import { centralCropBox, resizedCrop, sampleResizedCropBox } from '../lib/data/transforms/random-resized-crop';
import { roundHalfEven } from '../lib/data/transforms/round-half-even';
import { decodeImage } from '../lib/data/media/image';
import { diffStats, fixturePath, readFixtureJson, readPixels } from './helpers/image-fixtures';

const tv = readFixtureJson('torchvision.json');

test('Python rounding: ties to even', () => {
  expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 4, -0, -2, -2, 2, 3]);
});

describe('crop box parameters', () => {
  test('boxes always lie inside the image, for many image shapes', () => {
    const rng = new Rng(1);
    for (const [W, H] of [
      [640, 480],
      [480, 640],
      [500, 500],
      [1000, 100],
      [100, 1000],
      [3, 2],
      [1, 1],
    ]) {
      for (let i = 0; i < 2000; i++) {
        const b = sampleResizedCropBox(W, H, rng);
        const ok = b.width > 0 && b.height > 0 && b.top >= 0 && b.left >= 0 && b.top + b.height <= H && b.left + b.width <= W;
        if (!ok) throw new Error(`${W}x${H}: bad box ${JSON.stringify(b)}`);
      }
    }
  });

  test('area and ratio statistics on a square image match the analytic values', () => {
    // For a square image a try is accepted iff s ≤ exp(−|log r|) with s ~ U(0.5, 1), log r ~ U(−L, L),
    // L = log(4/3). Then P(accept) = 2((1 − e^{−L})/L − 1/2) and
    // E[s | accepted] = ((1 − e^{−2L})/(2L) − 1/4) / P(accept) ≈ 0.6916; E[log r | accepted] = 0.
    const L = Math.log(4 / 3);
    const pAccept = 2 * ((1 - Math.exp(-L)) / L - 0.5);
    const meanArea = ((1 - Math.exp(-2 * L)) / (2 * L) - 0.25) / pAccept;
    const rng = new Rng(99);
    const n = 20000;
    const S = 500;
    let area = 0;
    let logRatio = 0;
    let pos = 0;
    let posN = 0;
    for (let i = 0; i < n; i++) {
      const b = sampleResizedCropBox(S, S, rng);
      const a = (b.width * b.height) / (S * S);
      const r = b.width / b.height;
      if (a < 0.49 || a > 1 || r < 0.74 || r > 1.345) throw new Error(`box out of range: ${JSON.stringify(b)}`);
      area += a;
      logRatio += Math.log(r);
      if (b.height < S) {
        pos += b.top / (S - b.height);
        posN++;
      }
    }
    expect(Math.abs(area / n - meanArea)).toBeLessThan(0.005);
    expect(Math.abs(logRatio / n)).toBeLessThan(0.005);
    expect(Math.abs(pos / posN - 0.5)).toBeLessThan(0.01);
  });

  test('the same seed gives the same boxes', () => {
    const a = new Rng(31337);
    const b = new Rng(31337);
    const boxesA = Array.from({ length: 50 }, () => sampleResizedCropBox(640, 427, a));
    const boxesB = Array.from({ length: 50 }, () => sampleResizedCropBox(640, 427, b));
    expect(boxesB).toEqual(boxesA);
    expect(new Set(boxesA.map((x) => JSON.stringify(x))).size).toBeGreaterThan(45);
  });

  test('fallback (central crop clamped to the ratio range) matches torchvision', () => {
    for (const f of tv.crop_fallback) {
      const want = { top: f.top, left: f.left, height: f.crop_height, width: f.crop_width };
      expect(centralCropBox(f.width, f.height)).toEqual(want);
      // a scale that never fits forces all ten tries to fail
      expect(sampleResizedCropBox(f.width, f.height, new Rng(3), { scale: [2, 3] })).toEqual(want);
    }
  });

  test('invalid ranges are ERR_ARG', () => {
    expect(() => sampleResizedCropBox(10, 10, new Rng(1), { scale: [1, 0.5] })).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
    expect(() => sampleResizedCropBox(10, 10, new Rng(1), { ratio: [0, 1] })).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
    expect(() => sampleResizedCropBox(0, 10, new Rng(1))).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
  });
});

describe('crop + resize', () => {
  test('equals torchvision resized_crop (PIL bicubic) exactly', async () => {
    const img = await decodeImage(fixturePath('src/astronaut-300x300.jpg'));
    for (const c of tv.resized_crop) {
      const out = await resizedCrop(img, c, c.size, c.size);
      expect(diffStats(out.data, readPixels(c.file)).max).toBe(0);
    }
  });

  test('cropImage copies the right pixels and rejects boxes outside the image', () => {
    const W = 5;
    const H = 4;
    const data = new Uint8Array(W * H * 3).map((_, i) => i);
    const img = { data, width: W, height: H };
    const c = cropImage(img, { top: 1, left: 2, height: 2, width: 3 });
    expect(c.width).toBe(3);
    expect(c.height).toBe(2);
    expect(Array.from(c.data.subarray(0, 3))).toEqual([21, 22, 23]); // pixel (y 1, x 2)
    expect(Array.from(c.data.subarray(9, 12))).toEqual([36, 37, 38]); // pixel (y 2, x 2)
    expect(() => cropImage(img, { top: 3, left: 0, height: 2, width: 1 })).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
  });
});

describe('horizontal flip', () => {
  test('mirrors each row', () => {
    const img = { data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]), width: 3, height: 2 };
    expect(Array.from(flipHorizontal(img).data)).toEqual([7, 8, 9, 4, 5, 6, 1, 2, 3, 16, 17, 18, 13, 14, 15, 10, 11, 12]);
    expect(Array.from(flipHorizontal(flipHorizontal(img)).data)).toEqual(Array.from(img.data));
  });

  test('flips about half of the time, deterministically per seed', () => {
    const rng = new Rng(77);
    const draws = Array.from({ length: 10000 }, () => sampleFlip(rng));
    const rate = draws.filter(Boolean).length / draws.length;
    expect(Math.abs(rate - 0.5)).toBeLessThan(0.02);
    const again = new Rng(77);
    expect(Array.from({ length: 10000 }, () => sampleFlip(again))).toEqual(draws);
    expect(sampleFlip(new Rng(1), 0)).toBe(false);
    expect(sampleFlip(new Rng(1), 1)).toBe(true);
  });
});
