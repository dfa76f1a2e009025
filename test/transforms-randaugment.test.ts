/**
 * BLIP's RandomAugment(2, 5): each operation against PIL (Equalize, AutoContrast) or OpenCV 4.6
 * (the warpAffine-based geometric operations) references, hand-checkable cases, and the sampling.
 */
import { Rng } from '../lib/data/rng';
import { autoContrast, brightness, equalize, sharpness } from '../lib/data/transforms/color-ops';
import { rotate, shearX, shearY, translateX, translateY } from '../lib/data/transforms/geometric-ops';
import {
  BLIP_AUGMENT_OPS,
  RandomAugment,
  applyAugmentStep,
  augmentMagnitude,
  type AugmentOp,
} from '../lib/data/transforms/random-augment';
import { invertAffine } from '../lib/data/transforms/warp-affine';
import type { RgbImage } from '../lib/data/media/rgb-image';
import { fromBase64, readFixtureJson } from './helpers/image-fixtures';

const lutCases = readFixtureJson('lut-ops.json').cases as any[];
const warpCases = readFixtureJson('warp-affine.json.gz').cases as any[];

function image(width: number, height: number, f: (x: number, y: number, c: number) => number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = f(x, y, c);
  return { data, width, height };
}
const px = (img: RgbImage, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

describe('Equalize and AutoContrast vs PIL ImageOps', () => {
  test.each(lutCases.map((c) => [c.name, c]))('%s', (_n, c) => {
    const img = { data: fromBase64(c.input), width: c.width, height: c.height };
    expect(same(equalize(img).data, fromBase64(c.equalize))).toBe(true);
    expect(same(autoContrast(img, 'stretch').data, fromBase64(c.autocontrast))).toBe(true);
    expect(same(autoContrast(img, 'blip-uint8-wrap').data, fromBase64(c.autocontrast_blip_uint8_wrap))).toBe(true);
  });

  test('AutoContrast stretches [min, max] to [0, 255] per channel', () => {
    const img = image(4, 1, (x, _y, c) => (c === 0 ? 50 + x * 10 : c === 1 ? 7 : x * 85)); // R 50..80, G const, B 0..255
    const out = autoContrast(img, 'stretch');
    expect([0, 1, 2, 3].map((x) => px(out, x, 0)[0])).toEqual([0, 85, 170, 255]);
    expect([0, 1, 2, 3].map((x) => px(out, x, 0)[1])).toEqual([7, 7, 7, 7]); // max ≤ min: unchanged
    expect([0, 1, 2, 3].map((x) => px(out, x, 0)[2])).toEqual([0, 85, 170, 255]);
  });

  test("the official code's uint8 wrap turns channels with min > 0 white", () => {
    const dark = lutCases.find((c) => c.name === 'dark-30x20');
    const out = fromBase64(dark.autocontrast_blip_uint8_wrap);
    expect(out.every((v) => v === 255)).toBe(true);
  });

  test('Equalize leaves a one-value channel and a step-0 channel unchanged', () => {
    const img = image(3, 1, (x, _y, c) => (c === 0 ? 77 : c === 1 ? [0, 5, 9][x] : 200));
    expect(Array.from(equalize(img).data)).toEqual(Array.from(img.data));
  });
});

describe('geometric operations vs OpenCV 4.6 warpAffine (bit-exact)', () => {
  const fns: Record<string, (img: RgbImage, arg: number) => RgbImage> = {
    ShearX: shearX,
    ShearY: shearY,
    TranslateX: translateX,
    TranslateY: translateY,
    Rotate: rotate,
  };
  const cases: [string, any, any][] = [];
  for (const c of warpCases) for (const o of c.ops) cases.push([`${c.name} ${o.op}(${o.arg})`, c, o]);
  test.each(cases)('%s', (_n, c, o) => {
    const img = { data: fromBase64(c.input), width: c.width, height: c.height };
    const out = fns[o.op](img, o.arg);
    const ref = fromBase64(o.output);
    let max = 0;
    for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(out.data[i] - ref[i]));
    expect(max).toBe(0);
  });
});

describe('geometric operations, hand-checked', () => {
  const src = image(12, 8, (x, y, c) => (x * 20 + y * 3 + c) % 256);

  test('TranslateX(+5) moves content 5 px left, fills 128 on the right', () => {
    const out = translateX(src, 5);
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 12; x++) expect(px(out, x, y)).toEqual(x + 5 < 12 ? px(src, x + 5, y) : [128, 128, 128]);
    }
  });

  test('TranslateX(−5) moves content 5 px right; TranslateY(±5) moves it up/down', () => {
    const right = translateX(src, -5);
    expect(px(right, 7, 2)).toEqual(px(src, 2, 2));
    expect(px(right, 4, 2)).toEqual([128, 128, 128]);
    const up = translateY(src, 5);
    expect(px(up, 3, 0)).toEqual(px(src, 3, 5));
    expect(px(up, 3, 3)).toEqual([128, 128, 128]);
    const down = translateY(src, -5);
    expect(px(down, 3, 6)).toEqual(px(src, 3, 1));
    expect(px(down, 3, 4)).toEqual([128, 128, 128]);
  });

  test('ShearX(0.15): row y shifts right by 0.15·y (row 0 fixed, row 20 by exactly 3 px)', () => {
    const tall = image(40, 24, (x, y, c) => (x * 6 + y + c * 50) % 256);
    const out = shearX(tall, 0.15);
    for (let x = 0; x < 40; x++) expect(px(out, x, 0)).toEqual(px(tall, x, 0));
    for (let x = 0; x < 40; x++) expect(px(out, x, 20)).toEqual(x >= 3 ? px(tall, x - 3, 20) : [128, 128, 128]);
  });

  test('Rotate(180°) about (W/2, H/2) maps (x, y) to (W − x, H − y)', () => {
    const out = rotate(src, 180);
    for (let y = 1; y < 8; y++) for (let x = 1; x < 12; x++) expect(px(out, x, y)).toEqual(px(src, 12 - x, 8 - y));
  });

  test('positive rotation is counter-clockwise on screen (OpenCV convention)', () => {
    // centre (10, 10); a dot 5 px right of it moves 5 px up under +90°
    const dot = image(20, 20, (x, y) => (x === 15 && y === 10 ? 255 : 0));
    const out = rotate(dot, 90, [0, 0, 0]);
    expect(px(out, 10, 5)).toEqual([255, 255, 255]);
    expect(px(out, 15, 10)).toEqual([0, 0, 0]);
  });

  test('invertAffine inverts', () => {
    const m = [0.9, 0.2, 3, -0.1, 1.1, -2] as const;
    const inv = invertAffine(m);
    const [x, y] = [7, 5];
    const fx = m[0] * x + m[1] * y + m[2];
    const fy = m[3] * x + m[4] * y + m[5];
    expect(inv[0] * fx + inv[1] * fy + inv[2]).toBeCloseTo(x, 12);
    expect(inv[3] * fx + inv[4] * fy + inv[5]).toBeCloseTo(y, 12);
  });
});

describe('magnitudes at M = 5', () => {
  test('official level_to_args values', () => {
    expect(augmentMagnitude('ShearX', 5)).toBeCloseTo(0.15, 15);
    expect(augmentMagnitude('TranslateY', 5)).toBe(5);
    expect(augmentMagnitude('Rotate', 5)).toBe(15);
    expect(augmentMagnitude('Brightness', 5)).toBe(1); // exactly 1.0, as in Python
    expect(augmentMagnitude('Sharpness', 5)).toBe(1);
    expect(augmentMagnitude('Equalize', 5)).toBeUndefined();
  });

  test('Brightness and Sharpness are exact no-ops at M = 5; Identity copies', () => {
    const img = image(9, 7, (x, y, c) => (x * 31 + y * 17 + c * 5) % 256);
    for (const op of ['Brightness', 'Sharpness', 'Identity'] as AugmentOp[]) {
      const out = applyAugmentStep(img, { op, arg: augmentMagnitude(op, 5) });
      expect(out.data).not.toBe(img.data);
      expect(same(out.data, img.data)).toBe(true);
    }
  });

  test('Brightness and Sharpness at other factors (M ≠ 5)', () => {
    const img = image(5, 4, (x, y) => 40 + x * 10 + y);
    expect(px(brightness(img, 1.9), 0, 0)).toEqual([76, 76, 76]); // trunc(40·1.9)
    expect(px(brightness(image(1, 1, () => 200), 1.9), 0, 0)).toEqual([255, 255, 255]);
    const flat = image(6, 6, () => 90);
    expect(same(sharpness(flat, 0.3).data, flat.data)).toBe(true); // a flat image is its own blur
    const soft = sharpness(img, 0);
    expect(soft.data.length).toBe(img.data.length);
  });
});

describe('sampling', () => {
  test('ops drawn uniformly with replacement, each applied with p = 0.5, random signs', () => {
    const ra = new RandomAugment();
    const rng = new Rng(4242);
    const counts = new Map<string, number>();
    let steps = 0;
    const perImage = [0, 0, 0];
    let negative = 0;
    let signed = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const plan = ra.sample(rng);
      perImage[plan.length]++;
      for (const s of plan) {
        counts.set(s.op, (counts.get(s.op) ?? 0) + 1);
        steps++;
        if (s.arg !== undefined && s.op !== 'Brightness' && s.op !== 'Sharpness') {
          signed++;
          if (s.arg < 0) negative++;
          expect(Math.abs(s.arg)).toBe(augmentMagnitude(s.op, 5));
        }
      }
    }
    expect(steps / (2 * n)).toBeCloseTo(0.5, 1);
    expect(perImage[0] / n).toBeCloseTo(0.25, 1);
    expect(perImage[2] / n).toBeCloseTo(0.25, 1);
    for (const op of BLIP_AUGMENT_OPS) expect(Math.abs((counts.get(op) ?? 0) / steps - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(negative / signed - 0.5)).toBeLessThan(0.02);
  });

  test('the same seed gives the same plans and the same pixels', () => {
    const img = image(32, 24, (x, y, c) => (x * 7 + y * 11 + c * 60) % 256);
    const ra = new RandomAugment();
    const a = new Rng(9);
    const b = new Rng(9);
    for (let i = 0; i < 20; i++) expect(same(ra.run(img, a).data, ra.run(img, b).data)).toBe(true);
    const plansA = Array.from({ length: 30 }, (_, i) => ra.sample(new Rng(i)));
    const plansB = Array.from({ length: 30 }, (_, i) => ra.sample(new Rng(i)));
    expect(plansB).toEqual(plansA);
    expect(new Set(plansA.map((p) => JSON.stringify(p))).size).toBeGreaterThan(10);
  });

  test('options are validated', () => {
    expect(() => new RandomAugment({ m: 11 })).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
    expect(() => new RandomAugment({ ops: ['Solarize' as AugmentOp] })).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
    expect(() => new RandomAugment({ prob: 2 })).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
  });
});
