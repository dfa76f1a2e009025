/**
 * The composed training transform (crop → flip → RandomAugment) and the per-clip video transform.
 */
import { Rng } from '../lib/data/rng';
import { ClipTransform, clipFrames } from '../lib/data/transforms/clip-transform';
import { resizedCrop } from '../lib/data/transforms/random-resized-crop';
import { flipHorizontal } from '../lib/data/transforms/flip';
import { TrainTransform } from '../lib/data/transforms/train-transform';
import { testTransform } from '../lib/data/transforms/test-transform';
import { decodeImage, type RgbImage } from '../lib/data/media/image';
import type { HostTensor } from '../lib/tensor';
import { fixturePath } from './helpers/image-fixtures';

function same(a: HostTensor['data'] | Uint8Array, b: HostTensor['data'] | Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

let photo: RgbImage;
beforeAll(async () => {
  photo = await decodeImage(fixturePath('src/motorcycle-280x189.webp'));
});

describe('TrainTransform', () => {
  test('uint8 [S, S, 3]; same seed → same pixels; other seeds differ', async () => {
    const t = new TrainTransform({ size: 96 });
    const a = await t.apply(photo, new Rng(5));
    const b = await t.apply(photo, new Rng(5));
    const c = await t.apply(photo, new Rng(6));
    expect(a.dtype).toBe('uint8');
    expect(a.shape).toEqual([96, 96, 3]);
    expect(same(a.data, b.data)).toBe(true);
    expect(same(a.data, c.data)).toBe(false);
  });

  test('apply = sample then applySample, and the draws come in the order crop, flip, augment', async () => {
    const t = new TrainTransform({ size: 64 });
    const rng = new Rng(11);
    const s = t.sample(photo.width, photo.height, rng.clone());
    const direct = await t.apply(photo, rng);
    const viaSample = await t.applySample(photo, s);
    expect(same(direct.data, viaSample.data)).toBe(true);
  });

  test('without RandomAugment it is crop + resize + flip', async () => {
    const t = new TrainTransform({ size: 64, randAugment: false, flipProb: 1 });
    const s = t.sample(photo.width, photo.height, new Rng(3));
    expect(s.flip).toBe(true);
    expect(s.augment).toEqual([]);
    const out = await t.applySample(photo, s);
    const expected = flipHorizontal(await resizedCrop(photo, s.box, 64, 64));
    expect(same(out.data, expected.data)).toBe(true);
  });

  test('invalid options are ERR_ARG', () => {
    expect(() => new TrainTransform({ size: 0 })).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
    expect(() => new TrainTransform({ size: 32, flipProb: -1 })).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
  });
});

function clipOf(frames: RgbImage[]): HostTensor {
  const n = frames[0].data.length;
  const data = new Uint8Array(frames.length * n);
  frames.forEach((f, i) => data.set(f.data, i * n));
  return { dtype: 'uint8', shape: [frames.length, frames[0].height, frames[0].width, 3], data };
}

describe('ClipTransform', () => {
  // three different "frames": the photo, its mirror and its inverse
  const frames = () => {
    const inverse = { ...photo, data: photo.data.map((v) => 255 - v) };
    return [photo, flipHorizontal(photo), inverse];
  };

  test('training: one crop/flip draw shared by every frame; RandomAugment off by default', async () => {
    const fs = frames();
    const ct = new ClipTransform({ size: 48 });
    expect(ct.train).toBe(true);
    const rng = new Rng(21);
    const sample = ct.sample(photo.width, photo.height, rng.clone());
    expect(sample.augment).toEqual([]);
    const out = await ct.apply(clipOf(fs), rng);
    expect(out.shape).toEqual([3, 48, 48, 3]);
    const inner = new TrainTransform({ size: 48, randAugment: false });
    const got = clipFrames(out);
    for (let i = 0; i < fs.length; i++) {
      const want = await inner.applySample(fs[i], sample);
      expect(same(got[i].data, want.data)).toBe(true);
    }
  });

  test('training with RandomAugment: the same plan for every frame', async () => {
    const ct = new ClipTransform({ size: 40, randAugment: { n: 2, m: 5, prob: 1 } });
    const clip = clipOf([photo, photo, photo, photo]);
    expect(ct.sample(photo.width, photo.height, new Rng(8)).augment).toHaveLength(2);
    const out = clipFrames(await ct.apply(clip, new Rng(8)));
    for (let i = 1; i < out.length; i++) expect(same(out[i].data, out[0].data)).toBe(true);
  });

  test('evaluation: the test transform on every frame, no random generator needed', async () => {
    const fs = frames();
    const out = await new ClipTransform({ size: 56, train: false }).apply(clipOf(fs));
    const got = clipFrames(out);
    for (let i = 0; i < fs.length; i++) expect(same(got[i].data, (await testTransform(fs[i], 56)).data)).toBe(true);
  });

  test('bad input is ERR_ARG', async () => {
    await expect(new ClipTransform({ size: 8 }).apply({ dtype: 'uint8', shape: [2, 4, 4], data: new Uint8Array(32) }, new Rng(1))).rejects.toMatchObject({ code: 'ERR_ARG' });
    await expect(new ClipTransform({ size: 8 }).apply(clipOf([photo]))).rejects.toMatchObject({ code: 'ERR_ARG' });
  });
});
