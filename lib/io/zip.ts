/**
 * A minimal read-only ZIP reader over a file handle, enough for the archives `torch.save` writes:
 * the central directory (ZIP64 included) is read on open, and entries are read by offset without
 * loading the archive. Stored entries can be read in ranges; deflated ones only whole, and only
 * when small.
 */
import { inflateRawSync } from 'zlib';
import { UniAdapterError } from '../errors';
import { RandomAccessFile } from './random-access-file';

/** Deflated entries are inflated in memory, so only small ones (pickles, version files) are accepted. */
export const MAX_INFLATED_BYTES = 256 * 1024 * 1024;

const SIG_LOCAL_HEADER = 0x04034b50;
const SIG_CENTRAL_HEADER = 0x02014b50;
const SIG_END_OF_CENTRAL_DIR = 0x06054b50;
const SIG_ZIP64_END_OF_CENTRAL_DIR = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;

const END_OF_CENTRAL_DIR_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_END_OF_CENTRAL_DIR_SIZE = 56;
const CENTRAL_HEADER_SIZE = 46;
const LOCAL_HEADER_SIZE = 30;
const MAX_COMMENT_SIZE = 0xffff;
const ZIP64_EXTRA_ID = 0x0001;

const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const FLAG_ENCRYPTED = 0x0001;

/** One file in the archive, as the central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  /** Offset of the entry's local header in the archive. */
  localHeaderOffset: number;
}

/** A ZIP archive opened for reading. */
export class ZipArchive {
  private readonly dataOffsets = new Map<string, number>();

  private constructor(
    private readonly file: RandomAccessFile,
    private readonly entries: Map<string, ZipEntry>
  ) {}

  /** The path the archive was opened from. */
  get path(): string {
    return this.file.path;
  }

  /** The archive size in bytes. */
  get size(): number {
    return this.file.size;
  }

  /** Opens `path` and reads its central directory. Not a zip, or truncated: ERR_FORMAT. */
  static async open(path: string): Promise<ZipArchive> {
    const file = await RandomAccessFile.open(path);
    try {
      return new ZipArchive(file, await readCentralDirectory(file));
    } catch (e) {
      await file.close();
      throw e;
    }
  }

  /** Entry names in central-directory order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** The entry called `name`, or undefined. */
  get(name: string): ZipEntry | undefined {
    return this.entries.get(name);
  }

  /** Reads and, if deflated, inflates a whole entry; the CRC-32 is checked. */
  async readEntry(name: string): Promise<Uint8Array> {
    const entry = this.require(name);
    const raw = await this.file.read(await this.dataOffset(entry), entry.compressedSize, `zip entry '${name}'`);
    const data = entry.method === METHOD_STORED ? raw : this.inflate(entry, raw);
    if (crc32(data) !== entry.crc32) {
      throw new UniAdapterError('ERR_FORMAT', `${this.path}: zip entry '${name}' is corrupt (CRC-32 mismatch)`);
    }
    return data;
  }

  /**
   * Reads `length` bytes from `offset` inside entry `name` into a fresh buffer. Stored entries are read
   * straight from disk; small deflated entries are inflated whole and sliced.
   */
  async readRange(name: string, offset: number, length: number): Promise<Uint8Array> {
    const entry = this.require(name);
    if (offset < 0 || length < 0 || offset + length > entry.uncompressedSize) {
      throw new UniAdapterError(
        'ERR_FORMAT',
        `${this.path}: bytes ${offset}..${offset + length} are needed from zip entry '${name}', which holds ${entry.uncompressedSize}`
      );
    }
    if (entry.method === METHOD_STORED) {
      return this.file.read((await this.dataOffset(entry)) + offset, length, `zip entry '${name}'`);
    }
    const whole = await this.readEntry(name);
    return whole.slice(offset, offset + length);
  }

  /** Closes the archive. */
  async close(): Promise<void> {
    await this.file.close();
  }

  private require(name: string): ZipEntry {
    const entry = this.entries.get(name);
    if (!entry) throw new UniAdapterError('ERR_FORMAT', `${this.path}: the zip has no entry '${name}'`);
    return entry;
  }

  private inflate(entry: ZipEntry, raw: Uint8Array): Uint8Array {
    if (entry.uncompressedSize > MAX_INFLATED_BYTES) {
      throw new UniAdapterError(
        'ERR_FORMAT',
        `${this.path}: zip entry '${entry.name}' is compressed and ${entry.uncompressedSize} bytes large; only entries up to ${MAX_INFLATED_BYTES} bytes are inflated in memory. Re-save the checkpoint with torch.save, which stores tensors uncompressed`
      );
    }
    let out: Buffer;
    try {
      out = inflateRawSync(raw, { maxOutputLength: Math.max(entry.uncompressedSize, 1) });
    } catch (e) {
      throw new UniAdapterError(
        'ERR_FORMAT',
        `${this.path}: zip entry '${entry.name}' cannot be inflated: ${(e as Error).message}`,
        { cause: e }
      );
    }
    if (out.byteLength !== entry.uncompressedSize) {
      throw new UniAdapterError(
        'ERR_FORMAT',
        `${this.path}: zip entry '${entry.name}' inflates to ${out.byteLength} bytes, the directory says ${entry.uncompressedSize}`
      );
    }
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  /** Where the entry's data starts: after its local header, whose name and extra lengths can differ from the central copy. */
  private async dataOffset(entry: ZipEntry): Promise<number> {
    const known = this.dataOffsets.get(entry.name);
    if (known !== undefined) return known;
    const header = await this.file.read(entry.localHeaderOffset, LOCAL_HEADER_SIZE, `the local header of '${entry.name}'`);
    const view = new DataView(header.buffer);
    if (view.getUint32(0, true) !== SIG_LOCAL_HEADER) {
      throw new UniAdapterError(
        'ERR_FORMAT',
        `${this.path}: zip entry '${entry.name}' has no local header at byte ${entry.localHeaderOffset} (corrupt archive)`
      );
    }
    const offset = entry.localHeaderOffset + LOCAL_HEADER_SIZE + view.getUint16(26, true) + view.getUint16(28, true);
    if (offset + entry.compressedSize > this.file.size) {
      throw this.file.truncated(offset, offset + entry.compressedSize, `zip entry '${entry.name}'`);
    }
    this.dataOffsets.set(entry.name, offset);
    return offset;
  }
}

interface CentralDirectoryLocation {
  entryCount: number;
  size: number;
  offset: number;
}

async function readCentralDirectory(file: RandomAccessFile): Promise<Map<string, ZipEntry>> {
  const location = await findCentralDirectory(file);
  const bad = (why: string) => new UniAdapterError('ERR_FORMAT', `${file.path}: ${why}`);
  if (location.offset + location.size > file.size) {
    throw file.truncated(location.offset, location.offset + location.size, 'the zip central directory');
  }
  const dir = await file.read(location.offset, location.size, 'the zip central directory');
  const view = new DataView(dir.buffer);
  const decoder = new TextDecoder('utf-8');
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < location.entryCount; i++) {
    if (p + CENTRAL_HEADER_SIZE > dir.byteLength || view.getUint32(p, true) !== SIG_CENTRAL_HEADER) {
      throw bad(`zip central directory entry ${i} is corrupt`);
    }
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let uncompressedSize = view.getUint32(p + 24, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    let localHeaderOffset = view.getUint32(p + 42, true);
    const nameStart = p + CENTRAL_HEADER_SIZE;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > dir.byteLength) throw bad(`zip central directory entry ${i} is corrupt`);
    const name = decoder.decode(dir.subarray(nameStart, extraStart));
    // ZIP64: a field saturated at 0xffffffff is given in full, in this order, in the extra block 0x0001.
    const zip64 = findExtraField(view, extraStart, extraLength, ZIP64_EXTRA_ID);
    if (zip64) {
      let q = zip64.start;
      const next64 = (): number => {
        if (q + 8 > zip64.end) throw bad(`zip entry '${name}' has a short ZIP64 extra field`);
        const v = readUint64(view, q, () => bad(`zip entry '${name}' is larger than this reader can address`));
        q += 8;
        return v;
      };
      if (uncompressedSize === 0xffffffff) uncompressedSize = next64();
      if (compressedSize === 0xffffffff) compressedSize = next64();
      if (localHeaderOffset === 0xffffffff) localHeaderOffset = next64();
    }
    if (flags & FLAG_ENCRYPTED) throw bad(`zip entry '${name}' is encrypted`);
    if (method !== METHOD_STORED && method !== METHOD_DEFLATE) {
      throw bad(`zip entry '${name}' uses compression method ${method}; only stored and deflate are supported`);
    }
    if (method === METHOD_STORED && compressedSize !== uncompressedSize) {
      throw bad(`zip entry '${name}' is stored but its sizes differ (${compressedSize} vs ${uncompressedSize})`);
    }
    if (localHeaderOffset + LOCAL_HEADER_SIZE + compressedSize > file.size) {
      throw file.truncated(localHeaderOffset, localHeaderOffset + LOCAL_HEADER_SIZE + compressedSize, `zip entry '${name}'`);
    }
    entries.set(name, { name, method, compressedSize, uncompressedSize, crc32: crc, localHeaderOffset });
    p = next;
  }
  return entries;
}

/** Finds the end-of-central-directory record (and its ZIP64 form when present) near the end of the file. */
async function findCentralDirectory(file: RandomAccessFile): Promise<CentralDirectoryLocation> {
  const notZip = () =>
    new UniAdapterError(
      'ERR_FORMAT',
      `${file.path}: no zip end-of-central-directory record found: the file is not a zip archive, or it is truncated`
    );
  if (file.size < END_OF_CENTRAL_DIR_SIZE) throw notZip();
  const tailLength = Math.min(file.size, END_OF_CENTRAL_DIR_SIZE + MAX_COMMENT_SIZE);
  const tailStart = file.size - tailLength;
  const tail = await file.read(tailStart, tailLength, 'the end of the zip');
  const view = new DataView(tail.buffer);
  let eocd = -1;
  for (let p = tailLength - END_OF_CENTRAL_DIR_SIZE; p >= 0; p--) {
    if (view.getUint32(p, true) === SIG_END_OF_CENTRAL_DIR) {
      const commentLength = view.getUint16(p + 20, true);
      if (p + END_OF_CENTRAL_DIR_SIZE + commentLength <= tailLength) {
        eocd = p;
        break;
      }
    }
  }
  if (eocd < 0) throw notZip();
  const location: CentralDirectoryLocation = {
    entryCount: view.getUint16(eocd + 10, true),
    size: view.getUint32(eocd + 12, true),
    offset: view.getUint32(eocd + 16, true),
  };
  const locator = eocd - ZIP64_LOCATOR_SIZE;
  if (locator >= 0 && view.getUint32(locator, true) === SIG_ZIP64_LOCATOR) {
    const tooLarge = () => new UniAdapterError('ERR_FORMAT', `${file.path}: the zip is larger than this reader can address`);
    const recordOffset = readUint64(view, locator + 8, tooLarge);
    const record = await file.read(recordOffset, ZIP64_END_OF_CENTRAL_DIR_SIZE, 'the ZIP64 end-of-central-directory record');
    const rv = new DataView(record.buffer);
    if (rv.getUint32(0, true) !== SIG_ZIP64_END_OF_CENTRAL_DIR) {
      throw new UniAdapterError('ERR_FORMAT', `${file.path}: the ZIP64 end-of-central-directory record is corrupt`);
    }
    location.entryCount = readUint64(rv, 32, tooLarge);
    location.size = readUint64(rv, 40, tooLarge);
    location.offset = readUint64(rv, 48, tooLarge);
  }
  return location;
}

function findExtraField(view: DataView, start: number, length: number, id: number): { start: number; end: number } | undefined {
  let p = start;
  const end = start + length;
  while (p + 4 <= end) {
    const fieldId = view.getUint16(p, true);
    const fieldSize = view.getUint16(p + 2, true);
    if (fieldId === id) return { start: p + 4, end: Math.min(p + 4 + fieldSize, end) };
    p += 4 + fieldSize;
  }
  return undefined;
}

function readUint64(view: DataView, offset: number, tooLarge: () => Error): number {
  const v = view.getBigUint64(offset, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw tooLarge();
  return Number(v);
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zip stores it. */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
