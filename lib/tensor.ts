/**
 * Host tensors: typed arrays with a dtype and a shape, the form in which tensors cross between
 * TypeScript and the native core. bfloat16 and float16 travel as raw 16-bit words (Uint16Array).
 */
import { UniAdapterError } from './errors';

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool' | 'bfloat16' | 'float16';

export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;

export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: TensorData;
}

export type TensorMap = Record<string, HostTensor>;

/**
 * An empty tensor map without a prototype, so that every name is an ordinary own entry: on a `{}`,
 * assigning a tensor named `__proto__` would replace the object's prototype instead.
 */
export function emptyTensorMap(): TensorMap {
  return Object.create(null) as TensorMap;
}

/** The number of NaN and ±∞ elements of a floating-point tensor (0 for integer and bool tensors). */
export function countNonFinite(t: HostTensor): number {
  let bad = 0;
  if (t.dtype === 'float32' || t.dtype === 'float64') {
    const d = t.data as Float32Array | Float64Array;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) bad++;
  } else if (t.dtype === 'bfloat16' || t.dtype === 'float16') {
    // All exponent bits set is NaN or ∞ in both 16-bit formats.
    const mask = t.dtype === 'bfloat16' ? 0x7f80 : 0x7c00;
    const d = t.data as Uint16Array;
    for (let i = 0; i < d.length; i++) if ((d[i] & mask) === mask) bad++;
  }
  return bad;
}

const ITEM_SIZE: Record<DType, number> = {
  float32: 4,
  float64: 8,
  int64: 8,
  int32: 4,
  uint8: 1,
  bool: 1,
  bfloat16: 2,
  float16: 2,
};

export function itemSize(dtype: DType): number {
  return ITEM_SIZE[dtype];
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function isDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(ITEM_SIZE, s);
}

/** A typed-array view of the right kind over raw little-endian bytes (copied when misaligned). */
export function viewBytes(dtype: DType, bytes: Uint8Array): TensorData {
  const size = itemSize(dtype);
  if (bytes.byteLength % size !== 0) {
    throw new UniAdapterError('ERR_SHAPE', `${bytes.byteLength} bytes are not a whole number of ${dtype} elements`);
  }
  let b = bytes;
  if (b.byteOffset % size !== 0) b = new Uint8Array(b); // copy to an aligned buffer
  const n = b.byteLength / size;
  switch (dtype) {
    case 'float32':
      return new Float32Array(b.buffer, b.byteOffset, n);
    case 'float64':
      return new Float64Array(b.buffer, b.byteOffset, n);
    case 'int64':
      return new BigInt64Array(b.buffer, b.byteOffset, n);
    case 'int32':
      return new Int32Array(b.buffer, b.byteOffset, n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(b.buffer, b.byteOffset, n);
    case 'bfloat16':
    case 'float16':
      return new Uint16Array(b.buffer, b.byteOffset, n);
  }
}

export function tensorBytes(t: HostTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Checks that data length matches shape and dtype; throws ERR_SHAPE with the tensor's name. */
export function checkTensor(name: string, t: HostTensor): void {
  for (const d of t.shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new UniAdapterError('ERR_SHAPE', `tensor '${name}': shape [${t.shape.join(', ')}] has an invalid size`);
    }
  }
  const want = numel(t.shape) * itemSize(t.dtype);
  if (t.data.byteLength !== want) {
    throw new UniAdapterError(
      'ERR_SHAPE',
      `tensor '${name}': shape [${t.shape.join(', ')}] of ${t.dtype} needs ${want} bytes, the data has ${t.data.byteLength}`
    );
  }
}

export function float32(data: ArrayLike<number>, shape: number[]): HostTensor {
  return { dtype: 'float32', shape, data: Float32Array.from(data) };
}

export function int64(data: ArrayLike<number | bigint>, shape: number[]): HostTensor {
  const out = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = BigInt(data[i]);
  return { dtype: 'int64', shape, data: out };
}

export function uint8(data: Uint8Array, shape: number[]): HostTensor {
  return { dtype: 'uint8', shape, data };
}

/** Element values as JS numbers (int64 converted; bfloat16/float16 decoded). */
export function toNumbers(t: HostTensor): number[] {
  const out = new Array<number>(t.data.length);
  if (t.dtype === 'int64') {
    const d = t.data as BigInt64Array;
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  } else if (t.dtype === 'bfloat16') {
    const d = t.data as Uint16Array;
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < d.length; i++) {
      u[0] = d[i] << 16;
      out[i] = f[0];
    }
  } else if (t.dtype === 'float16') {
    const d = t.data as Uint16Array;
    for (let i = 0; i < d.length; i++) out[i] = halfToFloat(d[i]);
  } else {
    const d = t.data as ArrayLike<number>;
    for (let i = 0; i < d.length; i++) out[i] = d[i];
  }
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * Math.pow(2, -14) * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * Math.pow(2, e - 15) * (1 + f / 1024);
}

/** The same data with another shape (no copy); the element counts must agree. */
export function reshape(t: HostTensor, shape: number[]): HostTensor {
  if (numel(shape) !== numel(t.shape)) {
    throw new UniAdapterError('ERR_SHAPE', `cannot reshape [${t.shape.join(', ')}] to [${shape.join(', ')}]`);
  }
  return { dtype: t.dtype, shape, data: t.data };
}

function rowLength(t: HostTensor): number {
  return numel(t.shape.slice(1));
}

function emptyLike(dtype: DType, n: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
    case 'bfloat16':
    case 'float16':
      return new Uint16Array(n);
  }
}

/** Rows `indices` of t along its first dimension, copied into a new tensor. */
export function selectRows(t: HostTensor, indices: readonly number[]): HostTensor {
  const len = rowLength(t);
  const out = emptyLike(t.dtype, indices.length * len);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    if (!Number.isInteger(r) || r < 0 || r >= t.shape[0]) {
      throw new UniAdapterError('ERR_ARG', `row ${r} is outside a tensor of ${t.shape[0]} rows`);
    }
    (out as any).set((t.data as any).subarray(r * len, (r + 1) * len), i * len);
  }
  return { dtype: t.dtype, shape: [indices.length, ...t.shape.slice(1)], data: out };
}

/** Concatenates tensors of the same dtype and row shape along the first dimension. */
export function concatRows(parts: readonly HostTensor[]): HostTensor {
  if (parts.length === 0) throw new UniAdapterError('ERR_ARG', 'concatRows needs at least one tensor');
  const [first] = parts;
  const rowShape = first.shape.slice(1).join(',');
  let rows = 0;
  for (const p of parts) {
    if (p.dtype !== first.dtype || p.shape.slice(1).join(',') !== rowShape) {
      throw new UniAdapterError('ERR_SHAPE', 'concatRows: tensors differ in dtype or row shape');
    }
    rows += p.shape[0];
  }
  const out = emptyLike(first.dtype, rows * rowLength(first));
  let off = 0;
  for (const p of parts) {
    (out as any).set(p.data as any, off);
    off += p.data.length;
  }
  return { dtype: first.dtype, shape: [rows, ...first.shape.slice(1)], data: out };
}

/** A copy of row `i` of a float32 tensor (all its values past the first dimension). */
export function rowFloat32(t: HostTensor, i: number): Float32Array {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return (t.data as Float32Array).slice(i * per, (i + 1) * per);
}
