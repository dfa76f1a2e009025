import { Prng } from '../lib/tools/synthetic/prng';
import { renderFrame, renderFrames } from '../lib/tools/synthetic/raster';
import { encodePng } from '../lib/tools/synthetic/png';
import { sampleImageScene, type Scene, type SceneObject } from '../lib/tools/synthetic/scene';
import { TEXTURE_AMPLITUDE } from '../lib/tools/synthetic/background';
import { BACKGROUND_RGB, BACKGROUNDS, COLOR_RGB, COLORS, SHAPES, TEXTURES, type ShapeName } from '../lib/tools/synthetic/vocab';
import sharp from 'sharp';
import { colorDistance, colorMask, maskStats } from './helpers/synthetic-pixels';

function single(shape: ShapeName, opts: Partial<SceneObject> = {}, scene: Partial<Scene> = {}): Scene {
  const obj: SceneObject = {
    shape,
    color: 'red',
    size: 'large',
    row: 1,
    col: 1,
    cx: 0.5,
    cy: 0.5,
    half: 0.14,
    motion: 'still',
    dx: 0,
    dy: 0,
    dhalf: 0,
    ...opts,
  };
  return { background: { color: 'gray', texture: 'plain', textureSeed: 1 }, objects: [obj], frames: 1, ...scene };
}

describe('synthetic rasteriser', () => {
  test('no background pixel, whatever the texture, is close to an object color', () => {
    for (const bg of BACKGROUNDS) {
      for (const c of COLORS) {
        for (const o of [-TEXTURE_AMPLITUDE, 0, TEXTURE_AMPLITUDE]) {
          const b = BACKGROUND_RGB[bg].map((v) => Math.max(0, Math.min(255, v + o))) as [number, number, number];
          expect(colorDistance(b, COLOR_RGB[c])).toBeGreaterThan(70);
        }
      }
    }
    for (let i = 0; i < COLORS.length; i++) {
      for (let j = i + 1; j < COLORS.length; j++) expect(colorDistance(COLOR_RGB[COLORS[i]], COLOR_RGB[COLORS[j]])).toBeGreaterThan(75);
    }
    // Textures stay within the amplitude.
    for (const texture of TEXTURES) {
      const rgb = renderFrame({ background: { color: 'gray', texture, textureSeed: 5 }, objects: [], frames: 1 }, 64);
      let worst = 0;
      for (let i = 0; i < rgb.length; i++) worst = Math.max(worst, Math.abs(rgb[i] - 105));
      expect(worst).toBeLessThanOrEqual(TEXTURE_AMPLITUDE);
    }
  });

  test("each object's color appears in its grid cell, centred where the scene says, at several sizes", () => {
    let checked = 0;
    for (const size of [32, 64, 128, 384]) {
      const n = size === 384 ? 6 : 40;
      for (let i = 0; i < n; i++) {
        const scene = sampleImageScene(Prng.fromKey('raster-test', size, i), { maxObjects: 3 });
        const rgb = renderFrame(scene, size);
        expect(rgb.length).toBe(size * size * 3);
        for (const o of scene.objects) {
          const cell = {
            x0: Math.floor((o.col * size) / 3),
            x1: Math.ceil(((o.col + 1) * size) / 3),
            y0: Math.floor((o.row * size) / 3),
            y1: Math.ceil(((o.row + 1) * size) / 3),
          };
          const inCell = maskStats(colorMask(rgb, size, COLOR_RGB[o.color], 40, cell), size);
          expect(inCell.count).toBeGreaterThan(0);
          if (scene.objects.filter((p) => p.color === o.color).length > 1) continue;
          const all = maskStats(colorMask(rgb, size, COLOR_RGB[o.color], 40), size);
          // Nearly all of the color is in the object's own cell, and its centroid is the object's centre.
          expect(inCell.count / all.count).toBeGreaterThan(0.9);
          expect(Math.abs(all.cx - o.cx * size)).toBeLessThan(0.04 * size + 1);
          expect(Math.abs(all.cy - o.cy * size)).toBeLessThan(0.05 * size + 1);
          if (o.col === 0) expect(all.cx).toBeLessThan(size / 2);
          if (o.col === 2) expect(all.cx).toBeGreaterThan(size / 2);
          if (o.row === 0) expect(all.cy).toBeLessThan(size / 2);
          if (o.row === 2) expect(all.cy).toBeGreaterThan(size / 2);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  test("shapes are clearly distinguishable at the demo's 48×48 and at 64×64, large and small", () => {
    for (const size of [48, 64]) {
      for (const half of [0.14, 0.085]) {
        const masks = SHAPES.map((s) => colorMask(renderFrame(single(s, { half }), size), size, COLOR_RGB.red, 90));
        for (let i = 0; i < SHAPES.length; i++) {
          for (let j = i + 1; j < SHAPES.length; j++) {
            let union = 0;
            let diff = 0;
            for (let k = 0; k < masks[i].length; k++) {
              union += masks[i][k] | masks[j][k];
              diff += masks[i][k] ^ masks[j][k];
            }
            // At least a tenth of the union differs between any two silhouettes.
            expect({ pair: `${SHAPES[i]}/${SHAPES[j]}`, size, half, ok: diff / union > 0.1 }).toEqual({
              pair: `${SHAPES[i]}/${SHAPES[j]}`,
              size,
              half,
              ok: true,
            });
          }
        }
      }
    }
  });

  test('areas follow the geometry at any resolution (anti-aliased coverage)', () => {
    // Areas in the object's own coordinates (bounding box [-1, 1]², scaled by the half-size).
    const area: Record<ShapeName, number> = {
      circle: Math.PI,
      square: (2 * 0.86) ** 2,
      triangle: (2 * 1.75) / 2, // base 2, height 1.75
      star: 10 * 0.5 * 1 * 0.45 * Math.sin(Math.PI / 5), // ten triangles centre–outer–inner
      cross: 2 * (2 * 0.64) - 0.64 * 0.64, // two 2×0.64 bars minus their overlap
      diamond: 2,
    };
    for (const size of [48, 96, 256]) {
      for (const s of SHAPES) {
        const rgb = renderFrame(single(s, { color: 'white' }, { background: { color: 'black', texture: 'plain', textureSeed: 0 } }), size);
        // Sum the coverage: (pixel - background) / (object - background), on the red channel.
        let cov = 0;
        for (let i = 0; i < rgb.length; i += 3) cov += (rgb[i] - 30) / (245 - 30);
        const expected = area[s] * (0.14 * size) ** 2;
        expect(Math.abs(cov - expected) / expected).toBeLessThan(size >= 96 ? 0.02 : 0.05);
      }
    }
  });

  test('rendering and PNG encoding are deterministic; PNG decodes back to the same pixels', async () => {
    const scene = sampleImageScene(Prng.fromKey('png', 1), { maxObjects: 3 });
    const a = renderFrame(scene, 64);
    const b = renderFrame(scene, 64);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    const p1 = await encodePng(a, 64, 64);
    const p2 = await encodePng(b, 64, 64);
    expect(p1.equals(p2)).toBe(true);
    const { data, info } = await sharp(p1).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([64, 64, 3]);
    expect(Buffer.compare(data, Buffer.from(a))).toBe(0);
    await expect(encodePng(a, 63, 64)).rejects.toMatchObject({ code: 'ERR_SHAPE' });
  });

  test('video frames move the object and keep the background', () => {
    const scene = single('circle', { cx: 0.18, dx: 0.64 }, { frames: 8 });
    const frames = renderFrames(scene, 64);
    expect(frames).toHaveLength(8);
    const xs = frames.map((f) => maskStats(colorMask(f, 64, COLOR_RGB.red), 64).cx);
    for (let t = 1; t < xs.length; t++) expect(xs[t]).toBeGreaterThan(xs[t - 1]);
    expect(xs[0]).toBeCloseTo(0.18 * 64, 0);
    expect(xs[7]).toBeCloseTo(0.82 * 64, 0);
    expect(Buffer.compare(Buffer.from(frames[3]), Buffer.from(renderFrame(scene, 64, 3)))).toBe(0);
    expect(() => renderFrame(scene, 64, 8)).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
    expect(() => renderFrame(scene, 8)).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
  });
});
