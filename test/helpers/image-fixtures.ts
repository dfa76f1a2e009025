/**
 * Readers for test/fixtures/images (made by scripts/make-image-fixtures.py): the manifest, pixel
 * files (gzip of a "Sub"-filtered byte stream, stride 3), float32 files and base64 cases.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

export const IMAGE_FIXTURES = path.join(__dirname, '..', 'fixtures', 'images');

export interface FixtureImage {
  file: string;
  format: string;
  pil_mode: string;
  width: number;
  height: number;
  note: string;
  decoded: string;
  refs: { size: number; file: string }[];
}

export function fixturePath(rel: string): string {
  return path.join(IMAGE_FIXTURES, rel);
}

export function readFixtureJson<T = any>(rel: string): T {
  let bytes = fs.readFileSync(fixturePath(rel));
  if (rel.endsWith('.gz')) bytes = zlib.gunzipSync(bytes);
  return JSON.parse(bytes.toString('utf8')) as T;
}

export function manifest(): { versions: Record<string, string>; images: FixtureImage[] } {
  return readFixtureJson('manifest.json');
}

/** Pixels of a `*.rgb.gz` file (undoes the Sub filter). */
export function readPixels(rel: string): Uint8Array {
  const d = new Uint8Array(zlib.gunzipSync(fs.readFileSync(fixturePath(rel))));
  for (let i = 3; i < d.length; i++) d[i] = (d[i] + d[i - 3]) & 255;
  return d;
}

export function readFloat32(rel: string): Float32Array {
  const b = zlib.gunzipSync(fs.readFileSync(fixturePath(rel)));
  const copy = new Uint8Array(b); // aligned
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

export function fromBase64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'));
}

export interface DiffStats {
  max: number;
  mean: number;
  p99: number;
  /** Fraction of values that differ at all. */
  changed: number;
}

/** Absolute-difference statistics of two equally long uint8 arrays. */
export function diffStats(a: Uint8Array, b: Uint8Array): DiffStats {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  const hist = new Float64Array(256);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    hist[d]++;
    sum += d;
    if (d > max) max = d;
  }
  const target = 0.99 * a.length;
  let acc = 0;
  let p99 = 0;
  for (let d = 0; d < 256; d++) {
    acc += hist[d];
    if (acc >= target) {
      p99 = d;
      break;
    }
  }
  return { max, mean: sum / a.length, p99, changed: (a.length - hist[0]) / a.length };
}
