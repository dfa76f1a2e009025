/**
 * Test clips whose frames encode their own index: frame n is a flat grey of value n·STEP, encoded
 * losslessly (ffv1, libx264rgb -qp 0, lossless VP9), so a decoded pixel tells which frame it is.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const W = 32;
export const H = 24;
export const STEP = 5;

/** Whether ffmpeg and ffprobe can be run. */
export function haveFfmpeg(): boolean {
  const a = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  const b = spawnSync('ffprobe', ['-version'], { stdio: 'ignore' });
  return a.status === 0 && b.status === 0;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Raw rgb24 frames 0..count−1, frame n filled with n·STEP. */
export function counterFrames(count: number): Buffer {
  const frame = W * H * 3;
  const buf = Buffer.alloc(frame * count);
  for (let n = 0; n < count; n++) buf.fill((n * STEP) & 255, n * frame, (n + 1) * frame);
  return buf;
}

/** Runs ffmpeg synchronously (test setup only); throws with its stderr on failure. */
export function ffmpeg(args: string[], input?: Buffer): void {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], { input, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr?.toString()}`);
}

/** Encodes `count` counter frames at 25 fps into `file` with the given output arguments. */
export function counterClip(file: string, count: number, outArgs: string[]): string {
  ffmpeg(['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${W}x${H}`, '-r', '25', '-i', 'pipe:0', ...outArgs, file], counterFrames(count));
  return file;
}

/** The frame number encoded in frame k of decoded `[T, H, W, 3]` data (centre pixel, rounded). */
export function frameNumber(data: Uint8Array, k: number, width = W, height = H): number {
  const px = data[k * width * height * 3 + (Math.floor(height / 2) * width + Math.floor(width / 2)) * 3];
  return Math.round(px / STEP);
}
