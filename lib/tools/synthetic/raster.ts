/**
 * The rasteriser: draws a scene into a raw RGB buffer (`size × size × 3`, row-major, no padding) at
 * any resolution. Each object pixel is covered by 4×4 sub-samples and blended with the background
 * in integer arithmetic (anti-aliasing), so the output is exact and the same on every platform.
 */
import { UniAdapterError } from '../../errors';
import { paintBackground } from './background';
import { objectPose, type Pose, type Scene } from './scene';
import { shapeTest } from './shapes';
import { COLOR_RGB, type Rgb, type ShapeName } from './vocab';

/** Sub-samples per pixel along each axis. */
const SS = 4;
/** Smallest and largest image side the rasteriser accepts. */
export const MIN_IMAGE_SIZE = 16;
export const MAX_IMAGE_SIZE = 2048;

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < MIN_IMAGE_SIZE || size > MAX_IMAGE_SIZE) {
    throw new UniAdapterError(
      'ERR_ARG',
      `the image size must be an integer from ${MIN_IMAGE_SIZE} to ${MAX_IMAGE_SIZE} pixels, got ${size}`
    );
  }
}

/** Draws one anti-aliased shape over what `rgb` already holds. */
function paintShape(rgb: Uint8Array, size: number, shape: ShapeName, color: Rgb, pose: Pose): void {
  const { cx, cy, half } = pose;
  if (!(half > 0)) return;
  const x0 = Math.max(0, Math.floor((cx - half) * size));
  const x1 = Math.min(size - 1, Math.ceil((cx + half) * size));
  const y0 = Math.max(0, Math.floor((cy - half) * size));
  const y1 = Math.min(size - 1, Math.ceil((cy + half) * size));
  const full = SS * SS;
  const [cr, cg, cb] = color;
  const inside = shapeTest(shape);
  const inv = 1 / half;
  for (let py = y0; py <= y1; py++) {
    for (let px = x0; px <= x1; px++) {
      let k = 0;
      for (let sy = 0; sy < SS; sy++) {
        const v = ((py + (sy + 0.5) / SS) / size - cy) * inv;
        for (let sx = 0; sx < SS; sx++) {
          const u = ((px + (sx + 0.5) / SS) / size - cx) * inv;
          if (inside(u, v)) k++;
        }
      }
      if (k === 0) continue;
      const j = (py * size + px) * 3;
      const keep = full - k;
      rgb[j] = ((rgb[j] * keep + cr * k + (full >> 1)) / full) | 0;
      rgb[j + 1] = ((rgb[j + 1] * keep + cg * k + (full >> 1)) / full) | 0;
      rgb[j + 2] = ((rgb[j + 2] * keep + cb * k + (full >> 1)) / full) | 0;
    }
  }
}

function paintObjects(rgb: Uint8Array, size: number, scene: Scene, t: number): void {
  for (const obj of scene.objects) {
    paintShape(rgb, size, obj.shape, COLOR_RGB[obj.color], objectPose(obj, t, scene.frames));
  }
}

/**
 * Renders frame `t` (default 0) of `scene` at `size × size` pixels.
 *
 * @returns raw RGB bytes, `size * size * 3` long, row-major.
 */
export function renderFrame(scene: Scene, size: number, t = 0): Uint8Array {
  checkSize(size);
  if (!Number.isInteger(t) || t < 0 || t >= scene.frames) {
    throw new UniAdapterError('ERR_ARG', `frame ${t} is outside the scene's ${scene.frames} frame(s)`);
  }
  const rgb = new Uint8Array(size * size * 3);
  paintBackground(rgb, size, scene.background);
  paintObjects(rgb, size, scene, t);
  return rgb;
}

/** Renders every frame of a (video) scene; the background is painted once and shared. */
export function renderFrames(scene: Scene, size: number): Uint8Array[] {
  checkSize(size);
  const bg = new Uint8Array(size * size * 3);
  paintBackground(bg, size, scene.background);
  const frames: Uint8Array[] = [];
  for (let t = 0; t < scene.frames; t++) {
    const rgb = bg.slice();
    paintObjects(rgb, size, scene, t);
    frames.push(rgb);
  }
  return frames;
}
