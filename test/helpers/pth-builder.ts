/**
 * Hand-written pickles and .pth files for the hostile-input tests: a small writer of pickle opcodes,
 * the opcodes torch.save uses for one tensor, and a torch.save-shaped zip around them.
 */
import { writeStoredZip } from './weights-fixtures';

/** Pickle bytes built opcode by opcode (protocol 2 unless told otherwise). */
export class PickleWriter {
  private readonly parts: Buffer[] = [];

  constructor(protocol = 2) {
    this.op(0x80, protocol);
  }

  /** Raw bytes: opcodes written by hand. */
  op(...bytes: number[]): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }

  /** The same opcodes `times` times, as one buffer (fast for long runs). */
  repeat(bytes: number[], times: number): this {
    const one = Buffer.from(bytes);
    const out = Buffer.alloc(one.length * times);
    for (let i = 0; i < times; i++) one.copy(out, i * one.length);
    this.parts.push(out);
    return this;
  }

  /** BINUNICODE. */
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.byteLength);
    this.parts.push(Buffer.from([0x58]), len, b);
    return this;
  }

  /** BININT. */
  int(n: number): this {
    const b = Buffer.alloc(5);
    b[0] = 0x4a;
    b.writeInt32LE(n, 1);
    this.parts.push(b);
    return this;
  }

  /** BINBYTES of `n` zero bytes. */
  zeroBytes(n: number): this {
    const len = Buffer.alloc(5);
    len[0] = 0x42;
    len.writeUInt32LE(n, 1);
    this.parts.push(len, Buffer.alloc(n));
    return this;
  }

  /** GLOBAL module.name. */
  global(module: string, name: string): this {
    this.parts.push(Buffer.from(`c${module}\n${name}\n`, 'latin1'));
    return this;
  }

  /** A tuple of ints (MARK ... TUPLE). */
  intTuple(values: number[]): this {
    this.op(0x28);
    for (const v of values) this.int(v);
    return this.op(0x74);
  }

  /** An empty OrderedDict: OrderedDict() through REDUCE. */
  orderedDict(): this {
    return this.global('collections', 'OrderedDict').op(0x29, 0x52);
  }

  /** A float32 tensor as torch.save writes it: _rebuild_tensor_v2 of a persistent storage. */
  tensor(key: string, storageNumel: number, shape: number[], stride: number[], offset = 0): this {
    this.global('torch._utils', '_rebuild_tensor_v2').op(0x28);
    this.op(0x28).str('storage').global('torch', 'FloatStorage').str(key).str('cpu').int(storageNumel).op(0x74, 0x51);
    this.int(offset).intTuple(shape).intTuple(stride).op(0x89);
    this.orderedDict();
    return this.op(0x74, 0x52);
  }

  /** BINPUT i (i < 256). */
  put(i: number): this {
    return this.op(0x71, i);
  }

  /** BINGET i (i < 256). */
  get(i: number): this {
    return this.op(0x68, i);
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/**
 * The start of a checkpoint `{'model': OrderedDict(w=<float32 [4] tensor>), <entry>: ...}`: the writer
 * is left inside the outer dict's SETITEMS with the key `entry` pushed, so the caller writes its value
 * and then calls `endCheckpoint`.
 */
export function checkpointWithEntry(entry: string, protocol = 2): PickleWriter {
  const w = new PickleWriter(protocol);
  w.op(0x7d, 0x28); // {  MARK
  w.str('model').orderedDict().op(0x28).str('w').tensor('0', 4, [4], [1]).op(0x75); // OrderedDict(w=...)
  return w.str(entry);
}

/** Closes what `checkpointWithEntry` opened: SETITEMS, STOP. */
export function endCheckpoint(w: PickleWriter): Buffer {
  return w.op(0x75, 0x2e).bytes();
}

/** Writes a torch.save-shaped zip: archive/data.pkl, archive/byteorder and archive/data/<key>. */
export async function writePth(file: string, pickle: Uint8Array, storages: Record<string, Uint8Array>): Promise<void> {
  await writeStoredZip(file, [
    ['archive/data.pkl', pickle],
    ['archive/byteorder', Buffer.from('little')],
    ...Object.entries(storages).map(([k, v]): [string, Uint8Array] => [`archive/data/${k}`, v]),
    ['archive/version', Buffer.from('3\n')],
  ]);
}

/** The storage of the tensor `checkpointWithEntry` writes: four float32 values 1, 2, 3, 4. */
export function fourFloats(): Uint8Array {
  return new Uint8Array(Float32Array.from([1, 2, 3, 4]).buffer);
}
