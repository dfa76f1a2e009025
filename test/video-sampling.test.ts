import * as fs from 'fs';
import * as path from 'path';
import { Rng } from '../lib/data/rng';
import { UniAdapterError } from '../lib/errors';
import { sampleFrameIndices } from '../lib/data/media/video';

describe('sampleFrameIndices', () => {
  test("blip-arange is BLIP video_dataset's np.arange(0, n, n/N, dtype=int), i.e. k·floor(n/N)", () => {
    expect(sampleFrameIndices(50, 8, 'blip-arange')).toEqual([0, 6, 12, 18, 24, 30, 36, 42]);
    // Values numpy 1.24 printed for each (n, N) (test/fixtures/numpy-arange-frames.json).
    const table = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'numpy-arange-frames.json'), 'utf8')) as Array<[number, number, number[]]>;
    expect(table.length).toBe(40);
    for (const [n, N, want] of table) expect(sampleFrameIndices(n, N, 'blip-arange')).toEqual(want);
  });

  test('uniform is floor(k·n/N): the first frame of each of N equal segments', () => {
    expect(sampleFrameIndices(50, 8)).toEqual([0, 6, 12, 18, 25, 31, 37, 43]);
    expect(sampleFrameIndices(100, 4, 'uniform')).toEqual([0, 25, 50, 75]);
    for (const [n, N] of [
      [300, 16],
      [17, 8],
      [1000, 7],
    ]) {
      const idx = sampleFrameIndices(n, N);
      expect(idx).toEqual(Array.from({ length: N }, (_, k) => Math.floor((k * n) / N)));
    }
  });

  test('clips shorter than N repeat frames, monotone and in range', () => {
    expect(sampleFrameIndices(5, 8)).toEqual([0, 0, 1, 1, 2, 3, 3, 4]);
    expect(sampleFrameIndices(1, 4)).toEqual([0, 0, 0, 0]);
    const r = sampleFrameIndices(3, 8, 'random', new Rng(1));
    expect(r).toEqual([...r].sort((a, b) => a - b));
    expect(Math.max(...r)).toBeLessThan(3);
  });

  test('random picks one frame inside each segment, reproducibly from the seed', () => {
    const n = 97;
    const N = 8;
    const seen = new Set<string>();
    for (let seed = 0; seed < 50; seed++) {
      const idx = sampleFrameIndices(n, N, 'random', new Rng(seed));
      seen.add(idx.join(','));
      for (let k = 0; k < N; k++) {
        expect(idx[k]).toBeGreaterThanOrEqual(Math.floor((k * n) / N));
        expect(idx[k]).toBeLessThan(Math.floor(((k + 1) * n) / N));
      }
      expect(sampleFrameIndices(n, N, 'random', new Rng(seed))).toEqual(idx);
    }
    expect(seen.size).toBeGreaterThan(40);
  });

  test('accepts any object with int(n)', () => {
    const fake = { int: (m: number) => m - 1 };
    expect(sampleFrameIndices(16, 4, 'random', fake)).toEqual([3, 7, 11, 15]);
  });

  test('rejects bad arguments with ERR_ARG', () => {
    const bad: Array<() => unknown> = [
      () => sampleFrameIndices(0, 8),
      () => sampleFrameIndices(10, 0),
      () => sampleFrameIndices(10.5, 8),
      () => sampleFrameIndices(10, 8, 'random'),
      () => sampleFrameIndices(10, 2, 'random', { int: () => 99 }),
      () => sampleFrameIndices(10, 2, 'middle' as never),
    ];
    for (const f of bad) {
      expect(f).toThrow(UniAdapterError);
      try {
        f();
      } catch (e) {
        expect((e as UniAdapterError).code).toBe('ERR_ARG');
      }
    }
  });
});
