/**
 * Image decoding (sharp) to the RGB pixels that PIL's `Image.open(f).convert('RGB')` gives, and
 * PIL-exact resizing through the native core.
 *
 * What "as PIL would" means here, measured against Pillow 9.4:
 * - no EXIF auto-rotation (PIL's `Image.open` does not rotate), no ICC colour management;
 * - alpha is dropped without compositing (RGBA, LA, palette images with transparency);
 * - greyscale and 1-bit images are replicated into R = G = B;
 * - CMYK JPEGs use PIL's own CMYK → RGB formula, not a colour-managed conversion;
 * - the first frame of an animated GIF or WebP;
 * - 16-bit PNGs keep their high byte (PIL does the same for RGB; for 16-bit *greyscale* PIL clips
 *   every value above 255 to white, which is not reproduced).
 * Known difference: in a GIF with a transparent colour index, PIL returns the palette colour under
 * transparent pixels while sharp's GIF decoder returns black.
 */
import type { Sharp, SharpOptions } from 'sharp';
import { UniAdapterError } from '../../errors';
import { RandomAccessFile } from '../../io/random-access-file';
import { utility } from '../../native/dispatch';
import { checkRgbImage, type RgbImage } from './rgb-image';

export type { RgbImage } from './rgb-image';

/** Resampling filters of the native PIL-compatible resize. */
export type ResizeFilter = 'bicubic' | 'bilinear';

export interface DecodeOptions {
  /** Name used in error messages when decoding a buffer (default `<buffer>`). */
  name?: string;
  /** Largest accepted width × height (default sharp's 268,402,689). */
  maxPixels?: number;
}

/**
 * Formats accepted: those PIL reads out of the box that sharp decodes the same way. Vector and
 * document formats (SVG, PDF) and HEIF/AVIF, which PIL cannot open, are refused.
 */
const SUPPORTED_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff']);

/** @throws UniAdapterError ERR_IMAGE for a format outside SUPPORTED_FORMATS */
function checkFormat(format: string | undefined, name: string): asserts format is string {
  if (!format || !SUPPORTED_FORMATS.has(format)) {
    throw new UniAdapterError('ERR_IMAGE', `cannot decode image '${name}': ${format ?? 'unknown'} is not supported (use JPEG, PNG, WebP, GIF or TIFF)`);
  }
}

type SharpFactory = (input: Buffer, options: SharpOptions) => Sharp;
let sharpFactory: SharpFactory | undefined;

function loadSharp(): SharpFactory {
  // Loaded on first use so that commands which never touch images do not pay for libvips.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  if (!sharpFactory) sharpFactory = require('sharp') as SharpFactory;
  return sharpFactory;
}

/**
 * Decodes a JPEG, PNG, WebP, GIF (first frame) or TIFF file or buffer into 8-bit RGB, HWC.
 *
 * @param input a file path or the encoded bytes
 * @param options error-message name and pixel limit
 * @returns the pixels (`height × width × 3` bytes) and the size
 * @throws UniAdapterError ERR_IO when the file cannot be read, ERR_IMAGE (with the file name) when
 *   the bytes are not a decodable image
 */
export async function decodeImage(input: string | Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  let bytes: Buffer;
  let name: string;
  if (typeof input === 'string') {
    name = input;
    bytes = await readImageFile(input);
  } else if (input instanceof Uint8Array) {
    name = options.name ?? '<buffer>';
    bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  } else {
    throw new UniAdapterError('ERR_ARG', 'decodeImage: expected a file path or a Uint8Array/Buffer');
  }
  if (bytes.length === 0) throw new UniAdapterError('ERR_IMAGE', `cannot decode image '${name}': the file is empty`);

  const sharp = loadSharp();
  const inputOptions: SharpOptions = {
    failOn: 'error', // truncated or corrupt data is an error (as in PIL); harmless warnings are not
    ignoreIcc: true, // PIL applies no colour management
    autoOrient: false, // PIL's Image.open ignores the EXIF orientation
    pages: 1,
    page: 0,
    limitInputPixels: options.maxPixels ?? true,
  };
  try {
    const meta = await sharp(bytes, inputOptions).metadata();
    checkFormat(meta.format, name);
    if (meta.space === 'cmyk') return await decodeCmyk(sharp(bytes, inputOptions));
    const { data, info } = await sharp(bytes, inputOptions)
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return toRgb(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, info.channels);
  } catch (e) {
    if (e instanceof UniAdapterError) throw e;
    const detail = String((e as Error)?.message ?? e)
      .split('\n')[0]
      .trim();
    throw new UniAdapterError('ERR_IMAGE', `cannot decode image '${name}': ${detail}`, { cause: e });
  }
}

/**
 * The format and size of an encoded image, read from its header without decoding the pixels (so a
 * service can refuse a decompression bomb before it costs memory).
 *
 * @throws UniAdapterError ERR_IMAGE when the bytes are not an image of a supported format
 */
export async function imageHeader(bytes: Uint8Array, name = '<buffer>'): Promise<{ format: string; width: number; height: number }> {
  if (bytes.length === 0) throw new UniAdapterError('ERR_IMAGE', `cannot decode image '${name}': it is empty`);
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let meta: { format?: string; width?: number; height?: number };
  try {
    meta = await loadSharp()(buf, { limitInputPixels: false, pages: 1 }).metadata();
  } catch (e) {
    throw new UniAdapterError('ERR_IMAGE', `cannot decode image '${name}': ${String((e as Error)?.message ?? e).split('\n')[0]}`, { cause: e });
  }
  checkFormat(meta.format, name);
  if (!meta.width || !meta.height) throw new UniAdapterError('ERR_IMAGE', `cannot decode image '${name}': its header gives no size`);
  return { format: meta.format, width: meta.width, height: meta.height };
}

/** The bytes of an image file; anything but a regular file (a pipe, a folder, a device) is ERR_IO. */
async function readImageFile(path: string): Promise<Buffer> {
  const file = await RandomAccessFile.open(path, 'image');
  try {
    const bytes = await file.readAll('the image');
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } finally {
    await file.close();
  }
}

/** Interleaved 1–4 channel pixels to RGB: grey is replicated, alpha dropped (no compositing). */
function toRgb(data: Uint8Array, width: number, height: number, channels: number): RgbImage {
  const n = width * height;
  if (data.length !== n * channels) {
    throw new UniAdapterError('ERR_IMAGE', `decoder returned ${data.length} bytes for ${width}×${height}×${channels}`);
  }
  if (channels === 3) return { data, width, height };
  const out = new Uint8Array(n * 3);
  if (channels === 1 || channels === 2) {
    for (let i = 0, j = 0; i < n; i++, j += channels) {
      const v = data[j];
      out[i * 3] = v;
      out[i * 3 + 1] = v;
      out[i * 3 + 2] = v;
    }
  } else if (channels === 4) {
    for (let i = 0, j = 0; i < n; i++, j += 4) {
      out[i * 3] = data[j];
      out[i * 3 + 1] = data[j + 1];
      out[i * 3 + 2] = data[j + 2];
    }
  } else {
    throw new UniAdapterError('ERR_IMAGE', `unsupported number of channels: ${channels}`);
  }
  return { data: out, width, height };
}

/**
 * CMYK JPEG: take the raw (already un-inverted) CMYK samples and apply PIL's `cmyk2rgb`:
 * `nk = 255 − K; R = nk − round(C·nk / 255)` with PIL's integer rounding of the product.
 */
async function decodeCmyk(pipeline: Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline
    .pipelineColourspace('cmyk')
    .toColourspace('cmyk')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const ch = info.channels;
  if (ch < 4) throw new UniAdapterError('ERR_IMAGE', `CMYK image decoded to ${ch} channels`);
  const n = info.width * info.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const nk = 255 - data[i * ch + 3];
    for (let c = 0; c < 3; c++) {
      const t = data[i * ch + c] * nk + 128;
      const v = nk - (((t >> 8) + t) >> 8);
      out[i * 3 + c] = v < 0 ? 0 : v;
    }
  }
  return { data: out, width: info.width, height: info.height };
}

/**
 * Resizes to `height × width` exactly as PIL's `Image.resize((width, height), filter)` does
 * (bit-identical), on the libuv thread pool.
 *
 * @param img an RGB image
 * @param height output height in pixels
 * @param width output width in pixels
 * @param filter 'bicubic' (BLIP's choice, default) or 'bilinear'
 */
export async function resizeImage(
  img: RgbImage,
  height: number,
  width: number,
  filter: ResizeFilter = 'bicubic'
): Promise<RgbImage> {
  checkRgbImage(img);
  for (const [k, v] of [
    ['height', height],
    ['width', width],
  ] as const) {
    if (!Number.isInteger(v) || v <= 0 || v > 65535) {
      throw new UniAdapterError('ERR_ARG', `resizeImage: ${k} must be an integer in 1..65535, got ${v}`);
    }
  }
  if (filter !== 'bicubic' && filter !== 'bilinear') {
    throw new UniAdapterError('ERR_ARG', `resizeImage: filter must be 'bicubic' or 'bilinear', got '${String(filter)}'`);
  }
  if (height === img.height && width === img.width) return { data: new Uint8Array(img.data), width, height };
  const r = await utility.resize({ image: { dtype: 'uint8', shape: [img.height, img.width, 3], data: img.data } },
    { height, width, filter }
  );
  const t = r.tensors.image;
  return { data: t.data as Uint8Array, width: t.shape[1], height: t.shape[0] };
}
