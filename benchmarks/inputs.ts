/**
 * Synthetic benchmark inputs: random uint8 pixels, random float image tokens, and token-id batches
 * given by a closed formula that benchmarks/reference/blip_reference.py reproduces, so that both
 * sides see the same sequence lengths and padding.
 */
import { Rng } from '../lib/data/rng';
import type { TokenIds } from '../lib/config/model-config';
import type { HostTensor } from '../lib/tensor';

/** Random uint8 pixels [B, S, S, 3] (or [B, T, S, S, 3] with frames). */
export function randomPixels(rng: Rng, batch: number, size: number, frames?: number): HostTensor {
  const shape = frames === undefined ? [batch, size, size, 3] : [batch, frames, size, size, 3];
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Uint8Array(n);
  const words = new Uint32Array(data.buffer, 0, Math.floor(n / 4));
  for (let i = 0; i < words.length; i++) words[i] = rng.nextUint32();
  for (let i = words.length * 4; i < n; i++) data[i] = rng.nextUint32() & 255;
  return { dtype: 'uint8', shape, data };
}

/** Random float32 values in [-2, 2) of a shape (stand-ins for ViT output tokens). */
export function randomFloats(rng: Rng, shape: number[]): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (rng.nextUint32() / 4294967296) * 4 - 2;
  return { dtype: 'float32', shape, data };
}

/**
 * Length of text `b` in a batch padded to `length`: between length/2 and length, varying by row.
 * Same formula as `text_length` in the reference.
 */
export function textLength(b: number, length: number): number {
  return length - ((b * 7) % Math.max(1, Math.floor(length / 2)));
}

/**
 * A batch of token ids [B, L] and its attention mask: [CLS], word pieces 1000..20999, [SEP], then
 * padding. Row b is text number `offset + b`. Same formula as `text_batch` in the reference.
 */
export function textBatch(batch: number, length: number, tokens: TokenIds, offset = 0): { inputIds: HostTensor; attentionMask: HostTensor } {
  const ids = new BigInt64Array(batch * length);
  const mask = new BigInt64Array(batch * length);
  for (let b = 0; b < batch; b++) {
    const n = offset + b;
    const len = textLength(n, length);
    for (let l = 0; l < length; l++) {
      let id = tokens.pad;
      if (l === 0) id = tokens.cls;
      else if (l === len - 1) id = tokens.sep;
      else if (l < len - 1) id = 1000 + ((n * 7919 + l * 104729) % 20000);
      ids[b * length + l] = BigInt(id);
      mask[b * length + l] = l < len ? 1n : 0n;
    }
  }
  return {
    inputIds: { dtype: 'int64', shape: [batch, length], data: ids },
    attentionMask: { dtype: 'int64', shape: [batch, length], data: mask },
  };
}

/** int64 [n] = 0, 1, ..., n-1 (distinct image ids of a training batch). */
export function arangeInt64(n: number): HostTensor {
  const data = new BigInt64Array(n);
  for (let i = 0; i < n; i++) data[i] = BigInt(i);
  return { dtype: 'int64', shape: [n], data };
}

/** int64 [n] filled with `value` (every pair pointing at one candidate). */
export function fillInt64(n: number, value: number): HostTensor {
  return { dtype: 'int64', shape: [n], data: new BigInt64Array(n).fill(BigInt(value)) };
}
