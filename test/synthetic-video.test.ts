import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodeMp4, encodeMp4Clips } from '../lib/tools/synthetic/mp4';
import { Prng } from '../lib/tools/synthetic/prng';
import { renderFrames } from '../lib/tools/synthetic/raster';
import { sampleVideoScene, type Scene } from '../lib/tools/synthetic/scene';
import { COLOR_RGB, MOTIONS } from '../lib/tools/synthetic/vocab';
import { colorMask, decodeVideo, maskStats } from './helpers/synthetic-pixels';

const maybe = describe; // ffmpeg is a required system package (the README's install, .ci/run)
const S = 64;
const T = 8;

/** Video scenes covering every motion, the mover's color unique in its scene. */
function scenesByMotion(): Scene[] {
  const out: Scene[] = [];
  for (let i = 0; out.length < MOTIONS.length * 2 && i < 2000; i++) {
    const s = sampleVideoScene(Prng.fromKey('video-test', i), { frames: T });
    const m = s.objects[0];
    if (s.objects.some((o, k) => k > 0 && o.color === m.color)) continue;
    if (out.filter((x) => x.objects[0].motion === m.motion).length < 2) out.push(s);
  }
  return out;
}

maybe('synthetic MP4 clips', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-synth-video-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('decoded clips have every frame, look like the rendered frames, and move as their motion says', async () => {
    const scenes = scenesByMotion();
    expect(scenes).toHaveLength(MOTIONS.length * 2);
    const rendered = scenes.map((s) => renderFrames(s, S));
    const files = await encodeMp4Clips(rendered, S, S, { fps: 8 });
    expect(files).toHaveLength(scenes.length);
    files.forEach((f, i) => {
      const file = path.join(dir, `clip${i}.mp4`);
      fs.writeFileSync(file, f);
      const frames = decodeVideo(file, S);
      expect(frames).toHaveLength(T);
      // Close to the rendered pixels (H.264 4:2:0 at high quality).
      let err = 0;
      for (let t = 0; t < T; t++) for (let k = 0; k < frames[t].length; k++) err += Math.abs(frames[t][k] - rendered[i][t][k]);
      expect(err / (T * S * S * 3)).toBeLessThan(4);

      const mover = scenes[i].objects[0];
      const stats = frames.map((fr) => maskStats(colorMask(fr, S, COLOR_RGB[mover.color], 60), S));
      const [a, b] = [stats[0], stats[T - 1]];
      expect(a.count).toBeGreaterThan(10);
      const dx = b.cx - a.cx;
      const dy = b.cy - a.cy;
      const label = `${mover.motion} dx=${dx.toFixed(1)} dy=${dy.toFixed(1)} area ${a.count}→${b.count}`;
      const ok = {
        right: dx > 0.5 * S && Math.abs(dy) < 3,
        left: dx < -0.5 * S && Math.abs(dy) < 3,
        down: dy > 0.5 * S && Math.abs(dx) < 3,
        up: dy < -0.5 * S && Math.abs(dx) < 3,
        growing: b.count > 3 * a.count && Math.hypot(dx, dy) < 2,
        shrinking: a.count > 3 * b.count && Math.hypot(dx, dy) < 2,
        still: Math.hypot(dx, dy) < 1 && Math.abs(b.count - a.count) < 0.1 * a.count,
      }[mover.motion];
      expect({ label, ok }).toEqual({ label, ok: true });
      // Translations are monotonic frame by frame.
      if (mover.motion === 'right') for (let t = 1; t < T; t++) expect(stats[t].cx).toBeGreaterThan(stats[t - 1].cx);
      if (mover.motion === 'up') for (let t = 1; t < T; t++) expect(stats[t].cy).toBeLessThan(stats[t - 1].cy);
    });
  });

  test('encoding is deterministic', async () => {
    const scene = sampleVideoScene(Prng.fromKey('video-det', 1), { frames: T });
    const frames = renderFrames(scene, S);
    const a = await encodeMp4(frames, S, S);
    const b = await encodeMp4(frames, S, S);
    expect(a.equals(b)).toBe(true);
    expect(a.subarray(4, 8).toString('latin1')).toBe('ftyp');
    const batchA = await encodeMp4Clips([frames, frames], S, S);
    const batchB = await encodeMp4Clips([frames, frames], S, S);
    expect(batchA.map((x) => x.toString('hex'))).toEqual(batchB.map((x) => x.toString('hex')));
  });

  test('bad input is refused with a clear error', async () => {
    const frames = renderFrames(sampleVideoScene(Prng.fromKey('video-bad', 1), { frames: 2 }), 32);
    await expect(encodeMp4(frames, 31, 32)).rejects.toMatchObject({ code: 'ERR_ARG' });
    await expect(encodeMp4([], 32, 32)).rejects.toMatchObject({ code: 'ERR_SHAPE' });
    await expect(encodeMp4(frames, 32, 32, { fps: 0 })).rejects.toMatchObject({ code: 'ERR_ARG' });
    await expect(encodeMp4Clips([frames, frames.slice(0, 1)], 32, 32)).rejects.toMatchObject({ code: 'ERR_SHAPE' });
    await expect(encodeMp4(frames, 32, 32, { ffmpeg: path.join(os.tmpdir(), 'no-such-ffmpeg') })).rejects.toMatchObject({
      code: 'ERR_VIDEO',
    });
  });
});
