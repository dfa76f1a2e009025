/**
 * Media for the data-path benchmark, written to a scratch folder: JPEG photos-like images (smooth
 * colour fields with fine noise, 640×480, quality 90, about COCO's size) and short H.264 clips made
 * by ffmpeg's test source.
 */
import * as path from 'path';
import type { Sharp, SharpOptions } from 'sharp';
import { Rng } from '../lib/data/rng';
import { findTool, ffmpegReason, runTool } from '../lib/data/media/ffmpeg';

/**
 * Writes `count` JPEG files.
 *
 * @returns their paths
 */
export async function writeJpegs(dir: string, count: number, width = 640, height = 480): Promise<string[]> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const sharp = require('sharp') as (input: Buffer, options: SharpOptions) => Sharp;
  const files: string[] = [];
  for (let n = 0; n < count; n++) {
    const rng = new Rng(7000 + n);
    const px = new Uint8Array(width * height * 3);
    const fx = 0.01 + 0.02 * rng.next();
    const fy = 0.01 + 0.02 * rng.next();
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 3;
        const noise = (rng.nextUint32() & 31) - 16;
        px[i] = Math.max(0, Math.min(255, 128 + 100 * Math.sin(x * fx + n) + noise));
        px[i + 1] = Math.max(0, Math.min(255, 128 + 100 * Math.cos(y * fy + n) + noise));
        px[i + 2] = Math.max(0, Math.min(255, 128 + 80 * Math.sin((x + y) * 0.5 * (fx + fy)) + noise));
      }
    }
    const file = path.join(dir, `image-${n}.jpg`);
    await sharp(Buffer.from(px.buffer), { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toFile(file);
    files.push(file);
  }
  return files;
}

/**
 * Writes `count` H.264 MP4 clips (yuv420p, 25 fps) of ffmpeg's testsrc2 pattern.
 *
 * @returns their paths
 * @throws UniAdapterError ERR_VIDEO when ffmpeg is missing or fails
 */
export async function writeClips(dir: string, count: number, seconds: number, width = 640, height = 360): Promise<string[]> {
  const ffmpeg = await findTool('ffmpeg');
  const files: string[] = [];
  for (let n = 0; n < count; n++) {
    const file = path.join(dir, `clip-${n}.mp4`);
    const r = await runTool(ffmpeg, [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25`, '-t', String(seconds),
      '-vf', `hue=h=${n * 40}`, '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', file,
    ], { timeoutMs: 120000 });
    if (r.code !== 0) throw new Error(`ffmpeg could not write a test clip: ${ffmpegReason(r.stderr)}`);
    files.push(file);
  }
  return files;
}
