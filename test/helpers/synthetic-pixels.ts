/**
 * Pixel helpers for the synthetic data set tests: color masks, centroids, and decoding of the PNG and
 * MP4 files the generator writes (sharp for PNG, the ffmpeg command line for MP4).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';

export type Rgb = readonly [number, number, number];

/** Whether ffmpeg can be run. */
export function haveFfmpeg(): boolean {
  return spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
}

/** Euclidean distance between two RGB colors. */
export function colorDistance(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** A mask of the pixels of `rgb` (size × size) within `tolerance` of `color`, limited to a window. */
export function colorMask(
  rgb: Uint8Array,
  size: number,
  color: Rgb,
  tolerance = 40,
  window: { x0: number; y0: number; x1: number; y1: number } = { x0: 0, y0: 0, x1: size, y1: size }
): Uint8Array {
  const mask = new Uint8Array(size * size);
  const [r, g, b] = color;
  const t2 = tolerance * tolerance;
  for (let y = window.y0; y < window.y1; y++) {
    for (let x = window.x0; x < window.x1; x++) {
      const j = (y * size + x) * 3;
      const dr = rgb[j] - r;
      const dg = rgb[j + 1] - g;
      const db = rgb[j + 2] - b;
      if (dr * dr + dg * dg + db * db <= t2) mask[y * size + x] = 1;
    }
  }
  return mask;
}

/** Pixel count and centroid (pixel units, pixel centres at +0.5) of a mask. */
export function maskStats(mask: Uint8Array, size: number): { count: number; cx: number; cy: number } {
  let count = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    count++;
    sx += (i % size) + 0.5;
    sy += Math.floor(i / size) + 0.5;
  }
  return { count, cx: count ? sx / count : NaN, cy: count ? sy / count : NaN };
}

/** Decodes a PNG file to raw RGB. */
export async function decodePng(file: string): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Decodes every frame of a video file to raw RGB frames of `size × size`. */
export function decodeVideo(file: string, size: number): Uint8Array[] {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`ffmpeg could not decode ${file}: ${r.stderr?.toString()}`);
  const frame = size * size * 3;
  const out: Uint8Array[] = [];
  for (let o = 0; o + frame <= r.stdout.length; o += frame) out.push(new Uint8Array(r.stdout.subarray(o, o + frame)));
  return out;
}

/** Every file under `dir`, as sorted paths relative to it. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk('');
  return out.sort();
}
