/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header giving each tensor's
 * dtype, shape and byte range, then the raw little-endian tensor data. Reading is lazy (only the header
 * on open, one tensor's bytes per read); writing is atomic.
 */
import { UniAdapterError } from '../errors';
import { type DType, type HostTensor, checkTensor, itemSize, numel, tensorBytes, viewBytes } from '../tensor';
import { writeFileAtomic } from './atomic';
import type { CheckpointReader, TensorInfo } from './checkpoint-reader';
import { RandomAccessFile } from './random-access-file';

/** The safetensors reference implementation refuses headers above 100 MB; so do we. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const METADATA_KEY = '__metadata__';

/** safetensors dtype names and the DType each one becomes. */
const DTYPE_FROM_FORMAT: Readonly<Record<string, DType>> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  U8: 'uint8',
  BOOL: 'bool',
};

const FORMAT_FROM_DTYPE: Readonly<Record<DType, string>> = {
  float32: 'F32',
  float64: 'F64',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  uint8: 'U8',
  bool: 'BOOL',
};

/** Where a tensor lies in a safetensors file. */
export interface SafetensorsEntry extends TensorInfo {
  /** Absolute byte offset of the first byte in the file. */
  begin: number;
  /** Absolute byte offset one past the last byte. */
  end: number;
}

/** A safetensors file opened for lazy reading. */
export class SafetensorsFile implements CheckpointReader {
  readonly format = 'safetensors' as const;

  private constructor(
    private readonly file: RandomAccessFile,
    private readonly entries: Map<string, SafetensorsEntry>,
    /** The `__metadata__` string map of the header (empty when the file has none). */
    readonly metadata: Record<string, string>
  ) {}

  /** The path the file was opened from. */
  get path(): string {
    return this.file.path;
  }

  /**
   * Opens `path`, reading and validating only the header: its length, the JSON, every tensor's dtype,
   * shape and byte range (inside the file, matching the shape, not overlapping another tensor).
   */
  static async open(path: string): Promise<SafetensorsFile> {
    const file = await RandomAccessFile.open(path);
    try {
      const { entries, metadata } = await readHeader(file);
      return new SafetensorsFile(file, entries, metadata);
    } catch (e) {
      await file.close();
      throw e;
    }
  }

  /** Tensor names in the order of their data in the file. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** dtype and shape of `name`. */
  info(name: string): TensorInfo {
    const e = this.entry(name);
    return { dtype: e.dtype, shape: [...e.shape] };
  }

  /** dtype, shape and absolute byte range of `name`. */
  entry(name: string): SafetensorsEntry {
    const e = this.entries.get(name);
    if (!e) {
      throw new UniAdapterError('ERR_WEIGHTS', `${this.path}: there is no tensor '${name}'`);
    }
    return e;
  }

  /** Reads the bytes of `name` alone from disk. */
  async read(name: string): Promise<HostTensor> {
    const e = this.entry(name);
    const bytes = await this.file.read(e.begin, e.end - e.begin, `tensor '${name}'`);
    return { dtype: e.dtype, shape: [...e.shape], data: viewBytes(e.dtype, bytes) };
  }

  /** Reads every tensor, in file order. Only for files known to be small. */
  async readAll(): Promise<Record<string, HostTensor>> {
    const out: Record<string, HostTensor> = {};
    for (const name of this.entries.keys()) {
      Object.defineProperty(out, name, { value: await this.read(name), enumerable: true, writable: true });
    }
    return out;
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.file.close();
  }

  /** Closes the file at the end of an `await using` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Opens `path`, reads every tensor and closes it again. Only for files known to be small. */
export async function readSafetensors(path: string): Promise<Record<string, HostTensor>> {
  const file = await SafetensorsFile.open(path);
  try {
    return await file.readAll();
  } finally {
    await file.close();
  }
}

async function readHeader(
  file: RandomAccessFile
): Promise<{ entries: Map<string, SafetensorsEntry>; metadata: Record<string, string> }> {
  const path = file.path;
  const bad = (why: string) => new UniAdapterError('ERR_FORMAT', `${path}: ${why}`);
  if (file.size < 8) {
    throw bad(`${file.size} bytes is too short for a safetensors file (it starts with an 8-byte header length)`);
  }
  const lengthBytes = await file.read(0, 8, 'the header length');
  const headerLength = new DataView(lengthBytes.buffer).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw bad(
      `the header length is ${headerLength} bytes, more than the ${MAX_HEADER_BYTES} allowed: not a safetensors file, or corrupt`
    );
  }
  const n = Number(headerLength);
  if (8 + n > file.size) {
    throw bad(`the header needs bytes 8..${8 + n} but the file has ${file.size} bytes (truncated?)`);
  }
  const headerBytes = await file.read(8, n, 'the header');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new UniAdapterError('ERR_FORMAT', `${path}: the header is not valid JSON: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw bad('the header is not a JSON object');
  }
  checkHeaderBounds(headerBytes, bad);
  const dataStart = 8 + n;
  const dataSize = file.size - dataStart;
  let metadata: Record<string, string> = {};
  const entries: Array<[string, SafetensorsEntry]> = [];
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      metadata = parseMetadata(value, bad);
      continue;
    }
    entries.push([name, parseEntry(path, name, value, dataStart, dataSize)]);
  }
  entries.sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  for (let i = 1; i < entries.length; i++) {
    const [prevName, prev] = entries[i - 1];
    const [name, cur] = entries[i];
    if (cur.begin < prev.end) {
      throw bad(
        `tensors '${prevName}' (bytes ${prev.begin}..${prev.end}) and '${name}' (bytes ${cur.begin}..${cur.end}) overlap`
      );
    }
  }
  // The data section must end where the last tensor ends, as the reference implementation requires: a
  // header length that is off by a few bytes shifts every tensor and leaves exactly such a remainder.
  const dataEnd = entries.length > 0 ? entries[entries.length - 1][1].end : dataStart;
  if (dataEnd !== file.size) {
    throw bad(
      `${file.size - dataEnd} bytes follow the last tensor (which ends at byte ${dataEnd} of ${file.size}): the header length field is wrong, or bytes were appended to the file`
    );
  }
  return { entries: new Map(entries), metadata };
}

/**
 * ERR_FORMAT unless the header (already parsed as a JSON object) starts at its first byte and ends
 * exactly at its stated length, padded only with spaces. A length field that is one byte short still leaves valid
 * JSON when the header was padded; it is caught here or by the end-of-data check.
 */
function checkHeaderBounds(header: Uint8Array, bad: (why: string) => UniAdapterError): void {
  const SPACE = 0x20;
  let last = header.byteLength - 1;
  while (last >= 0 && header[last] === SPACE) last--;
  if (header[0] !== 0x7b || last < 0 || header[last] !== 0x7d) {
    throw bad(
      `the header of ${header.byteLength} bytes is not a JSON object that ends at its stated length, followed only by spaces: the header length field is wrong, or the file is corrupt`
    );
  }
}

function parseMetadata(value: unknown, bad: (why: string) => UniAdapterError): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad(`'${METADATA_KEY}' must be a map of strings to strings`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') {
      throw bad(`'${METADATA_KEY}' entry '${k}' is not a string`);
    }
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true });
  }
  return out;
}

function parseEntry(path: string, name: string, value: unknown, dataStart: number, dataSize: number): SafetensorsEntry {
  const bad = (why: string) => new UniAdapterError('ERR_FORMAT', `${path}: tensor '${name}' ${why}`);
  if (typeof value !== 'object' || value === null) throw bad('has no dtype/shape/data_offsets entry');
  const { dtype: formatDType, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof formatDType !== 'string') throw bad('has no dtype');
  const dtype = DTYPE_FROM_FORMAT[formatDType];
  if (dtype === undefined) {
    throw new UniAdapterError(
      'ERR_DTYPE',
      `${path}: tensor '${name}' has dtype ${formatDType}, which is not supported (supported: ${Object.keys(
        DTYPE_FROM_FORMAT
      ).join(', ')})`
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw bad(`has an invalid shape ${JSON.stringify(shape)}`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw bad(`has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [relBegin, relEnd] = offsets as number[];
  const want = numel(shape) * itemSize(dtype);
  if (relEnd - relBegin !== want) {
    throw bad(
      `has shape [${shape.join(', ')}] of ${formatDType} (${want} bytes) but data_offsets [${relBegin}, ${relEnd}] span ${
        relEnd - relBegin
      } bytes`
    );
  }
  const begin = dataStart + relBegin;
  const end = dataStart + relEnd;
  if (relEnd > dataSize) {
    throw bad(`needs bytes ${begin}..${end} but the file has ${dataStart + dataSize} bytes (truncated?)`);
  }
  return { dtype, shape: shape as number[], begin, end };
}

/**
 * Writes `tensors` to a safetensors file at `path`, atomically, in the given order, with optional
 * string `metadata`. The header is padded with spaces to a multiple of 8 bytes so that the data starts
 * aligned.
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, HostTensor> | Array<[string, HostTensor]>,
  metadata?: Record<string, string>
): Promise<void> {
  const list = Array.isArray(tensors) ? tensors : Object.entries(tensors);
  await writeFileAtomic(path, [encodeHeader(path, list, metadata), ...list.map(([, t]) => tensorBytes(t))]);
}

/** The 8-byte length and the padded JSON header for `list`, validating names and tensors. */
function encodeHeader(
  path: string,
  list: Array<[string, HostTensor]>,
  metadata: Record<string, string> | undefined
): Uint8Array {
  const bad = (why: string) => new UniAdapterError('ERR_ARG', `${path}: ${why}`);
  // Built as text rather than through an object so that the order is exactly the given one
  // (JavaScript objects put integer-like keys first).
  const parts: string[] = [];
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw bad(`metadata '${k}' must be a string, got ${typeof v}`);
    }
    parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }
  const seen = new Set<string>();
  let offset = 0;
  for (const [name, t] of list) {
    if (name === METADATA_KEY) throw bad(`'${METADATA_KEY}' cannot be a tensor name`);
    if (seen.has(name)) throw bad(`tensor '${name}' is given twice`);
    seen.add(name);
    if (!Object.prototype.hasOwnProperty.call(FORMAT_FROM_DTYPE, t.dtype)) {
      throw new UniAdapterError('ERR_DTYPE', `${path}: tensor '${name}' has unknown dtype ${String(t.dtype)}`);
    }
    checkTensor(name, t);
    const size = t.data.byteLength;
    parts.push(
      `${JSON.stringify(name)}:${JSON.stringify({
        dtype: FORMAT_FROM_DTYPE[t.dtype],
        shape: t.shape,
        data_offsets: [offset, offset + size],
      })}`
    );
    offset += size;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const out = Buffer.alloc(8 + padded, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  return out;
}
