/**
 * How an item's ITM tokens (ViT outputs [T, N, W]) are stored: fp32 as computed, bf16 (half the bytes,
 * round to nearest even), or int8 with one fp32 scale per token (a quarter plus 4 bytes per token).
 * Decoding always gives fp32, which the ITM head takes.
 */
import { UniAdapterError } from '../errors';

export type TokenEncoding = 'fp32' | 'bf16' | 'int8';
export type TokenStorage = TokenEncoding | 'recompute';

export const TOKEN_STORAGES: readonly TokenStorage[] = ['bf16', 'fp32', 'int8', 'recompute'];

/** Bytes of one item's record: `values` = T·N·W numbers in `tokens` = T·N tokens. */
export function recordBytes(encoding: TokenEncoding, values: number, tokens: number): number {
  if (encoding === 'fp32') return values * 4;
  if (encoding === 'bf16') return values * 2;
  return values + tokens * 4;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function toBf16(x: number): number {
  f32[0] = x;
  const u = u32[0];
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x007fffff) !== 0) return 0x7fc0; // NaN stays NaN
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Encodes one item's tokens (fp32, `tokens` rows of `width`) into `out` at `offset`. */
export function encodeRecord(encoding: TokenEncoding, src: Float32Array, width: number, out: Uint8Array, offset: number): void {
  const n = src.length;
  if (encoding === 'fp32') {
    out.set(new Uint8Array(src.buffer, src.byteOffset, n * 4), offset);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (encoding === 'bf16') {
    for (let i = 0; i < n; i++) view.setUint16(offset + 2 * i, toBf16(src[i]), true);
    return;
  }
  const tokens = n / width;
  const scaleOffset = offset + n;
  for (let t = 0; t < tokens; t++) {
    let max = 0;
    for (let j = 0; j < width; j++) max = Math.max(max, Math.abs(src[t * width + j]));
    const scale = max > 0 ? max / 127 : 1;
    view.setFloat32(scaleOffset + 4 * t, scale, true);
    for (let j = 0; j < width; j++) {
      const q = Math.max(-127, Math.min(127, Math.round(src[t * width + j] / scale)));
      view.setInt8(offset + t * width + j, q);
    }
  }
}

/** Decodes a record of `values` numbers (rows of `width`) into `dst` (fp32) at `dstOffset`. */
export function decodeRecord(encoding: TokenEncoding, rec: Uint8Array, values: number, width: number, dst: Float32Array, dstOffset: number): void {
  const view = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  if (encoding === 'fp32') {
    for (let i = 0; i < values; i++) dst[dstOffset + i] = view.getFloat32(4 * i, true);
    return;
  }
  if (encoding === 'bf16') {
    for (let i = 0; i < values; i++) {
      u32[0] = view.getUint16(2 * i, true) << 16;
      dst[dstOffset + i] = f32[0];
    }
    return;
  }
  const tokens = values / width;
  for (let t = 0; t < tokens; t++) {
    const scale = view.getFloat32(values + 4 * t, true);
    for (let j = 0; j < width; j++) dst[dstOffset + t * width + j] = view.getInt8(t * width + j) * scale;
  }
}

export function checkTokenStorage(s: string): TokenStorage {
  if (!(TOKEN_STORAGES as readonly string[]).includes(s)) {
    throw new UniAdapterError('ERR_ARG', `tokens must be one of ${TOKEN_STORAGES.join(', ')}, got '${s}'`);
  }
  return s as TokenStorage;
}
