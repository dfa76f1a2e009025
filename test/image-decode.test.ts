/**
 * decodeImage (sharp) against PIL's `Image.open(f).convert('RGB')` on re-encoded photographs in
 * JPEG, PNG, WebP and GIF, and its errors on bad input.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeImage } from '../lib/data/media/image';
import { isUniAdapterError } from '../lib/errors';
import { diffStats, fixturePath, manifest, readPixels } from './helpers/image-fixtures';

const images = manifest().images;
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-image-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function expectCode(p: Promise<unknown>, code: string, messagePart?: string): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(isUniAdapterError(caught)).toBe(true);
  const err = caught as { code: string; message: string };
  expect(err.code).toBe(code);
  if (messagePart) expect(err.message).toContain(messagePart);
}

describe('decodeImage matches PIL convert("RGB")', () => {
  test('the fixtures cover every format and PIL mode we claim', () => {
    const formats = new Set(images.map((i) => i.format));
    expect([...formats].sort()).toEqual(['GIF', 'JPEG', 'PNG', 'WEBP']);
    const modes = new Set(images.map((i) => i.pil_mode));
    for (const m of ['RGB', 'L', 'LA', '1', 'RGBA', 'P', 'CMYK']) expect(modes.has(m)).toBe(true);
  });

  test.each(images.map((i) => [i.file, i] as const))('%s', async (_name, img) => {
    const decoded = await decodeImage(fixturePath(img.file));
    expect([decoded.width, decoded.height]).toEqual([img.width, img.height]);
    expect(decoded.data.length).toBe(img.width * img.height * 3);
    const stats = diffStats(decoded.data, readPixels(img.decoded));
    // Measured with sharp 0.35.5 (libvips 8.18, mozjpeg, libwebp 1.6) against Pillow 9.4
    // (libjpeg-turbo 2.1): every fixture decodes bit-identically, JPEG and lossy WebP included.
    expect(stats.max).toBe(0);
  });

  test('a buffer decodes like the file', async () => {
    const file = fixturePath('src/coffee-240x160.png');
    const a = await decodeImage(file);
    const b = await decodeImage(new Uint8Array(fs.readFileSync(file)));
    expect(Buffer.compare(Buffer.from(a.data), Buffer.from(b.data))).toBe(0);
  });

  test('EXIF orientation is not applied (PIL does not rotate on open)', async () => {
    const img = await decodeImage(fixturePath('src/astronaut-160x120-exif6.jpg'));
    expect([img.width, img.height]).toEqual([160, 120]);
  });

  test('alpha is dropped, not composited: RGB under transparent pixels is kept', async () => {
    const entry = images.find((i) => i.pil_mode === 'RGBA')!;
    const img = await decodeImage(fixturePath(entry.file));
    // column 0 has alpha 0; PIL keeps its colour, compositing on black or white would not
    const ref = readPixels(entry.decoded);
    expect(Array.from(img.data.subarray(0, 3))).toEqual(Array.from(ref.subarray(0, 3)));
    expect(img.data[0] + img.data[1] + img.data[2]).toBeGreaterThan(0);
  });

  test('greyscale is replicated to R = G = B', async () => {
    const img = await decodeImage(fixturePath('src/camera-120x120-grey.png'));
    for (let i = 0; i < img.data.length; i += 3) {
      if (img.data[i] !== img.data[i + 1] || img.data[i] !== img.data[i + 2]) throw new Error(`pixel ${i / 3} not grey`);
    }
  });
});

describe('decodeImage errors', () => {
  test('a truncated JPEG is ERR_IMAGE naming the file', async () => {
    const bytes = fs.readFileSync(fixturePath('src/astronaut-300x300.jpg'));
    const file = path.join(tmp, 'truncated.jpg');
    fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectCode(decodeImage(file), 'ERR_IMAGE', 'truncated.jpg');
  });

  test('a PNG with a corrupt body is ERR_IMAGE', async () => {
    const bytes = Buffer.from(fs.readFileSync(fixturePath('src/coffee-240x160.png')));
    for (let i = 200; i < bytes.length - 100; i += 7) bytes[i] ^= 0x5a;
    const file = path.join(tmp, 'corrupt.png');
    fs.writeFileSync(file, bytes);
    await expectCode(decodeImage(file), 'ERR_IMAGE', 'corrupt.png');
  });

  test('random bytes are ERR_IMAGE', async () => {
    const file = path.join(tmp, 'noise.jpg');
    fs.writeFileSync(file, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
    await expectCode(decodeImage(file), 'ERR_IMAGE', 'noise.jpg');
  });

  test('an empty file is ERR_IMAGE', async () => {
    const file = path.join(tmp, 'empty.png');
    fs.writeFileSync(file, '');
    await expectCode(decodeImage(file), 'ERR_IMAGE', 'empty.png');
  });

  test('a text file is ERR_IMAGE', async () => {
    await expectCode(decodeImage(fixturePath('manifest.json')), 'ERR_IMAGE', 'manifest.json');
  });

  test('an SVG is refused (PIL cannot open it)', async () => {
    const file = path.join(tmp, 'drawing.svg');
    fs.writeFileSync(file, '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>');
    await expectCode(decodeImage(file), 'ERR_IMAGE', 'not supported');
  });

  test('a corrupt buffer is ERR_IMAGE with the given name', async () => {
    await expectCode(decodeImage(new Uint8Array([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]), { name: 'upload-17' }), 'ERR_IMAGE', 'upload-17');
  });

  test('a missing file is ERR_IO', async () => {
    await expectCode(decodeImage(path.join(tmp, 'nope.jpg')), 'ERR_IO', 'nope.jpg');
  });
});
