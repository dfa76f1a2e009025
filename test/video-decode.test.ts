import * as fs from 'fs';
import * as path from 'path';
import { Rng } from '../lib/data/rng';
import { probeVideo, readVideoFrames, sampleFrameIndices, videoFramesTensor } from '../lib/data/media/video';
import { checkTensor } from '../lib/tensor';
import { MediaLoader } from '../lib/data/media/media-loader';
import { counterClip, frameNumber, H, STEP, tempDir, W } from './helpers/video-clips';

const suite = describe; // ffmpeg is a required system package (the README's install, .ci/run)

suite('video decoding with ffmpeg', () => {
  let dir: string;
  let mp4: string; // libx264rgb lossless, container has nb_frames
  let mkv: string; // ffv1, no nb_frames
  let webm: string; // lossless VP9, no nb_frames
  let vfr: string; // variable frame rate, duration × fps overestimates the frame count
  let short: string; // 5 frames

  beforeAll(() => {
    dir = tempDir('ua-video-');
    mp4 = counterClip(path.join(dir, 'c.mp4'), 50, ['-c:v', 'libx264rgb', '-qp', '0']);
    mkv = counterClip(path.join(dir, 'c.mkv'), 50, ['-c:v', 'ffv1']);
    webm = counterClip(path.join(dir, 'c.webm'), 50, ['-c:v', 'libvpx-vp9', '-lossless', '1', '-pix_fmt', 'yuv444p']);
    vfr = counterClip(path.join(dir, 'vfr.mkv'), 50, [
      '-vf', "settb=1/1000,setpts='if(lt(N,10),N*0.02,0.2+(N-10)*0.1)/TB'",
      '-fps_mode', 'vfr', '-enc_time_base:v', '1:1000', '-c:v', 'ffv1',
    ]);
    short = counterClip(path.join(dir, 'short.mkv'), 5, ['-c:v', 'ffv1']);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('probe reads nb_frames from mp4', async () => {
    const info = await probeVideo(mp4);
    expect(info).toMatchObject({ frames: 50, fps: 25, width: W, height: H, frameCountSource: 'nb_frames' });
    expect(info.duration).toBeCloseTo(2, 2);
  });

  test('probe falls back to duration × fps for mkv/webm, or counts packets', async () => {
    for (const f of [mkv, webm]) {
      const info = await probeVideo(f);
      expect(info).toMatchObject({ frames: 50, fps: 25, frameCountSource: 'duration' });
      expect(await probeVideo(f, { exactFrameCount: true })).toMatchObject({ frames: 50, frameCountSource: 'packets' });
    }
  });

  test('uniform sampling decodes the right frames (16 by default)', async () => {
    for (const f of [mp4, mkv, webm]) {
      const r = await readVideoFrames(f);
      expect(r.frames).toBe(16);
      expect(r.width).toBe(W);
      expect(r.height).toBe(H);
      expect(r.data.length).toBe(16 * W * H * 3);
      expect(r.indices).toEqual(sampleFrameIndices(50, 16));
      expect(r.padded).toBe(0);
      for (let k = 0; k < 16; k++) expect(frameNumber(r.data, k)).toBe(r.indices[k]);
      const t = videoFramesTensor(r);
      expect(t.shape).toEqual([16, H, W, 3]);
      expect(() => checkTensor('frames', t)).not.toThrow();
    }
  });

  test("blip-arange decodes BLIP's frames k·floor(n/N), through readVideoFrames and the media loader", async () => {
    const r = await readVideoFrames(mkv, { frames: 8, mode: 'blip-arange' });
    expect(r.indices).toEqual([0, 6, 12, 18, 24, 30, 36, 42]);
    for (let k = 0; k < 8; k++) expect(frameNumber(r.data, k)).toBe(r.indices[k]);
    const S = 16;
    for (const [frameSampling, want] of [
      ['blip-arange', [0, 6, 12, 18, 24, 30, 36, 42]],
      ['uniform', [0, 6, 12, 18, 25, 31, 37, 43]],
    ] as const) {
      const t = await new MediaLoader({ size: S, frames: 8, augment: false, frameSampling }).video(mkv, 0);
      expect(t.shape).toEqual([8, S, S, 3]);
      // The counter frames are flat (value = index * STEP), which a resize keeps.
      for (let k = 0; k < 8; k++) expect(t.data[k * S * S * 3]).toBe(want[k] * STEP);
    }
  });

  test('lossless clips decode to the exact pixel values', async () => {
    const r = await readVideoFrames(mkv, { frames: 8 });
    expect(r.indices).toEqual([0, 6, 12, 18, 25, 31, 37, 43]);
    for (let k = 0; k < 8; k++) {
      const frame = r.data.subarray(k * W * H * 3, (k + 1) * W * H * 3);
      expect(frame.every((v) => v === r.indices[k] * STEP)).toBe(true);
    }
  });

  test('random sampling (8 by default) takes one frame per segment, reproducibly', async () => {
    const a = await readVideoFrames(mp4, { mode: 'random', rng: new Rng(7) });
    const b = await readVideoFrames(mp4, { mode: 'random', rng: new Rng(7) });
    expect(a.frames).toBe(8);
    expect(a.indices).toEqual(b.indices);
    expect(a.indices).toEqual(sampleFrameIndices(50, 8, 'random', new Rng(7)));
    for (let k = 0; k < 8; k++) {
      expect(a.indices[k]).toBeGreaterThanOrEqual(Math.floor((k * 50) / 8));
      expect(a.indices[k]).toBeLessThan(Math.floor(((k + 1) * 50) / 8));
      expect(frameNumber(a.data, k)).toBe(a.indices[k]);
    }
  });

  test('variable frame rate: frames are counted, not timed; an overestimated count is corrected', async () => {
    const info = await probeVideo(vfr);
    expect(info.frameCountSource).toBe('duration');
    expect(info.frames).toBeGreaterThan(50); // 4.14 s × 25 fps: the estimate is wrong
    const r = await readVideoFrames(vfr, { frames: 8 });
    expect(r.info.frames).toBe(50);
    expect(r.info.frameCountSource).toBe('packets');
    expect(r.indices).toEqual(sampleFrameIndices(50, 8));
    for (let k = 0; k < 8; k++) expect(frameNumber(r.data, k)).toBe(r.indices[k]);
  });

  test('a clip shorter than N repeats frames', async () => {
    const r = await readVideoFrames(short, { frames: 8 });
    expect(r.indices).toEqual([0, 0, 1, 1, 2, 3, 3, 4]);
    for (let k = 0; k < 8; k++) expect(frameNumber(r.data, k)).toBe(r.indices[k]);
    const rr = await readVideoFrames(short, { frames: 8, mode: 'random', rng: new Rng(3) });
    for (let k = 0; k < 8; k++) expect(frameNumber(rr.data, k)).toBe(rr.indices[k]);
  });

  test('a frame count that cannot be corrected is padded with the last decoded frame', async () => {
    const info = await probeVideo(mkv, { exactFrameCount: true });
    const r = await readVideoFrames(mkv, { frames: 4, info: { ...info, frames: 100 } });
    // indices 0, 25, 50, 75 of a claimed 100: frames 50 and 75 do not exist
    expect(r.padded).toBe(2);
    expect(r.indices).toEqual([0, 25, 25, 25]);
    for (let k = 0; k < 4; k++) expect(frameNumber(r.data, k)).toBe(r.indices[k]);
  });

  test('a wrong nb_frames is recounted and the read repeated', async () => {
    const info = await probeVideo(mp4);
    const r = await readVideoFrames(mp4, { frames: 4, info: { ...info, frames: 100 } });
    expect(r.info.frames).toBe(50);
    expect(r.padded).toBe(0);
    expect(r.indices).toEqual([0, 12, 25, 37]);
    for (let k = 0; k < 4; k++) expect(frameNumber(r.data, k)).toBe(r.indices[k]);
  });

  test('size resizes every frame', async () => {
    const r = await readVideoFrames(mkv, { frames: 4, size: 16 });
    expect([r.width, r.height]).toEqual([16, 16]);
    expect(r.data.length).toBe(4 * 16 * 16 * 3);
    for (let k = 0; k < 4; k++) expect(frameNumber(r.data, k, 16, 16)).toBe(r.indices[k]);
    const r2 = await readVideoFrames(mkv, { frames: 2, size: { width: 8, height: 6 } });
    expect(r2.data.length).toBe(2 * 8 * 6 * 3);
  });

  test('reads run concurrently without blocking the event loop', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const all = await Promise.all([mp4, mkv, webm, short, mp4, mkv].map((f) => readVideoFrames(f, { frames: 8 })));
    clearInterval(timer);
    expect(all).toHaveLength(6);
    expect(ticks).toBeGreaterThan(0);
  });
});
