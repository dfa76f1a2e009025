/**
 * PyTorch `.pth` checkpoints as `torch.save` writes them since PyTorch 1.6: a zip holding
 * `<archive>/data.pkl` (the pickled object, read with the restricted unpickler) and one entry
 * `<archive>/data/<key>` per storage. Tensors are read one at a time, straight from their storage's
 * bytes, so a checkpoint far larger than memory loads tensor by tensor.
 */
import { UniAdapterError } from '../errors';
import { type DType, type HostTensor, numel, viewBytes } from '../tensor';
import type { CheckpointReader, TensorInfo } from './checkpoint-reader';
import { PICKLE_LIMITS, type PickleValue, TorchTensorRef, unpickleCheckpoint } from './pickle';
import { PlainValues, defineEntry } from './pickle-plain-values';
import { RandomAccessFile } from './random-access-file';
import { ZipArchive } from './zip';

/** The first bytes of a checkpoint in the legacy (pre-1.6, non-zip) torch format: PROTO 2, then a LONG1 magic number. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
const PICKLE_PROTO = 0x80;

/** Top-level entries that hold the state dict in training checkpoints, in the order they are tried. */
const STATE_DICT_ENTRIES = ['model', 'state_dict'];

/**
 * A read may copy a strided view out into more bytes than its storage holds (an expand()ed tensor
 * saved as is) only up to this many bytes: a few bytes of pickle must not make a read allocate gigabytes.
 */
export const MAX_OVERLAPPING_VIEW_BYTES = 16 * 1024 * 1024;

/** Where a stored tensor lies in its storage. */
export interface PthTensorLayout {
  /** The storage key; tensors with the same key share (tied) memory. */
  storageKey: string;
  /** Offset of the first element in the storage, in elements. */
  storageOffset: number;
  /** Stride of each dimension, in elements. */
  stride: number[];
  /** The device the tensor was saved from ('cpu', 'cuda:0', ...). */
  location: string;
}

/** A PyTorch zip checkpoint opened for lazy reading. */
export class PthFile implements CheckpointReader {
  readonly format = 'pth' as const;
  /** A .pth file has no string metadata; see `extras` for its other top-level entries. */
  readonly metadata: Record<string, string> = {};

  private constructor(
    private readonly zip: ZipArchive,
    /** The folder inside the zip that holds data.pkl and data/. */
    private readonly archive: string,
    private readonly tensors: Map<string, TorchTensorRef>,
    /**
     * Top-level entries of the checkpoint other than the state dict (e.g. `epoch`, `config`), as plain
     * values: dicts with string keys become objects, tensors stay lazy `TorchTensorRef`s (read them with
     * `readRef`).
     */
    readonly extras: Record<string, unknown>,
    /** The top-level entry that held the state dict ('model', 'state_dict'), or null if it was the top level. */
    readonly stateDictEntry: string | null
  ) {}

  /** The path the file was opened from. */
  get path(): string {
    return this.zip.path;
  }

  /**
   * Opens a torch.save checkpoint: reads the zip directory and data.pkl, finds the state dict and
   * checks every tensor's storage. Tensor data is not read.
   */
  static async open(path: string): Promise<PthFile> {
    let zip: ZipArchive;
    try {
      zip = await ZipArchive.open(path);
    } catch (e) {
      if (e instanceof UniAdapterError && e.code === 'ERR_FORMAT') await explainNonZip(path, e);
      throw e;
    }
    try {
      return await PthFile.fromZip(zip);
    } catch (e) {
      await zip.close();
      throw e;
    }
  }

  /** Tensor names in state-dict order. */
  names(): string[] {
    return [...this.tensors.keys()];
  }

  /** dtype and shape of `name`. */
  info(name: string): TensorInfo {
    const ref = this.ref(name);
    return { dtype: ref.storage.dtype as DType, shape: [...ref.shape] };
  }

  /** Where `name` lies in its storage: tensors with the same storage key are tied. */
  layout(name: string): PthTensorLayout {
    const ref = this.ref(name);
    return {
      storageKey: ref.storage.key,
      storageOffset: ref.offset,
      stride: [...ref.stride],
      location: ref.storage.location,
    };
  }

  /** The lazy tensor reference behind `name`. */
  ref(name: string): TorchTensorRef {
    const ref = this.tensors.get(name);
    if (!ref) throw new UniAdapterError('ERR_WEIGHTS', `${this.path}: there is no tensor '${name}'`);
    return ref;
  }

  /** Reads tensor `name` from its storage into a contiguous array. */
  async read(name: string): Promise<HostTensor> {
    return this.readRef(this.ref(name), name);
  }

  /**
   * Reads any tensor reference of this checkpoint (a state-dict entry, or one found in `extras`):
   * only the storage bytes the view covers are read, and strided views are copied out contiguously.
   */
  async readRef(ref: TorchTensorRef, label = 'tensor'): Promise<HostTensor> {
    const dtype = checkedDType(this.path, label, ref);
    const shape = [...ref.shape];
    const count = numel(shape);
    const size = ref.storage.itemSize;
    if (count === 0) return { dtype, shape, data: viewBytes(dtype, new Uint8Array(0)) };
    checkMaterialisedSize(this.path, label, ref, count);
    const entry = this.storageEntry(ref);
    const span = viewSpan(ref);
    const raw = await this.zip.readRange(entry, ref.offset * size, span * size);
    const bytes = span === count && isRowMajor(shape, ref.stride) ? raw : gather(raw, shape, ref.stride, size);
    return { dtype, shape, data: viewBytes(dtype, bytes) };
  }

  /** Reads data.pkl of an opened zip, finds the state dict and checks the tensors against the zip. */
  private static async fromZip(zip: ZipArchive): Promise<PthFile> {
    const path = zip.path;
    const names = zip.names();
    if (names.some((n) => /^[^/]+\/(constants\.pkl|code\/)/.test(n))) {
      throw new UniAdapterError(
        'ERR_FORMAT',
        `${path}: this is a TorchScript archive (torch.jit.save), not a checkpoint; save the model's state_dict() with torch.save instead`
      );
    }
    const pickles = names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (pickles.length !== 1) {
      const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? ', ...' : '');
      throw new UniAdapterError(
        'ERR_FORMAT',
        pickles.length === 0
          ? `${path}: this zip is not a PyTorch checkpoint: it has no <archive>/data.pkl entry (it holds: ${shown || 'nothing'})`
          : `${path}: this zip holds ${pickles.length} data.pkl entries; a torch.save checkpoint has exactly one`
      );
    }
    const archive = pickles[0].slice(0, -'/data.pkl'.length);
    const byteOrder = zip.get(`${archive}/byteorder`);
    if (byteOrder) {
      const order = new TextDecoder().decode(await zip.readEntry(byteOrder.name)).trim();
      if (order !== 'little') {
        throw new UniAdapterError(
          'ERR_FORMAT',
          `${path}: the checkpoint was saved in ${order}-endian byte order; only little-endian is supported`
        );
      }
    }
    const pickleSize = zip.get(pickles[0])?.uncompressedSize ?? 0;
    if (pickleSize > PICKLE_LIMITS.maxBytes) {
      throw new UniAdapterError(
        'ERR_PICKLE',
        `${path}: ${pickles[0]} is ${pickleSize} bytes, more than the ${PICKLE_LIMITS.maxBytes} accepted for a checkpoint pickle (which holds only tensor references)`
      );
    }
    const root = unpickleCheckpoint(await zip.readEntry(pickles[0]), path);
    const { tensors, entry, extras } = splitCheckpoint(path, root);
    const file = new PthFile(zip, archive, tensors, extras, entry);
    file.validate();
    return file;
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.zip.close();
  }

  /** Closes the file at the end of an `await using` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private storageEntry(ref: TorchTensorRef): string {
    return `${this.archive}/data/${ref.storage.key}`;
  }

  /** Checks, at open, that every tensor's view lies inside its storage and the storage inside the zip. */
  private validate(): void {
    for (const [name, ref] of this.tensors) {
      checkedDType(this.path, name, ref);
      if (numel(ref.shape) === 0) continue;
      const entry = this.zip.get(this.storageEntry(ref));
      if (!entry) {
        throw new UniAdapterError(
          'ERR_FORMAT',
          `${this.path}: tensor '${name}' uses storage '${ref.storage.key}', which is missing from the zip (entry '${this.storageEntry(ref)}')`
        );
      }
      const storageBytes = ref.storage.numel * ref.storage.itemSize;
      if (storageBytes > entry.uncompressedSize) {
        throw new UniAdapterError(
          'ERR_FORMAT',
          `${this.path}: tensor '${name}': storage '${ref.storage.key}' should hold ${storageBytes} bytes but its zip entry has ${entry.uncompressedSize}`
        );
      }
      const end = ref.offset + viewSpan(ref);
      if (end > ref.storage.numel) {
        throw new UniAdapterError(
          'ERR_FORMAT',
          `${this.path}: tensor '${name}' reaches element ${end} of storage '${ref.storage.key}', which has ${ref.storage.numel}`
        );
      }
    }
  }
}

/** Finds the state dict in the unpickled object and turns the other top-level entries into plain values. */
function splitCheckpoint(
  path: string,
  root: PickleValue
): { tensors: Map<string, TorchTensorRef>; entry: string | null; extras: Record<string, unknown> } {
  const isStateDict = (v: unknown): v is Map<unknown, unknown> =>
    v instanceof Map && (v.size === 0 || [...v.values()].some((x) => x instanceof TorchTensorRef));
  if (!(root instanceof Map)) {
    throw new UniAdapterError(
      'ERR_WEIGHTS',
      `${path}: the checkpoint holds ${describeValue(root)}, not a dict; expected a state dict of tensors, or a dict with a 'model' or 'state_dict' entry`
    );
  }
  let entry: string | null = null;
  let stateDict: Map<unknown, unknown> | undefined;
  const rootIsPureStateDict = root.size > 0 && [...root.values()].every((v) => v instanceof TorchTensorRef);
  if (!rootIsPureStateDict) {
    entry = STATE_DICT_ENTRIES.find((k) => isStateDict(root.get(k))) ?? null;
    if (entry !== null) stateDict = root.get(entry) as Map<unknown, unknown>;
  }
  if (!stateDict) {
    if (!isStateDict(root) || root.size === 0) {
      const keys = [...root.keys()].map((k) => String(k));
      throw new UniAdapterError(
        'ERR_WEIGHTS',
        `${path}: no state dict found: the checkpoint is a dict with keys [${keys.slice(0, 10).join(', ')}${
          keys.length > 10 ? ', ...' : ''
        }] and no tensors; expected a state dict, or a 'model' or 'state_dict' entry holding one`
      );
    }
    stateDict = root;
  }
  const tensors = new Map<string, TorchTensorRef>();
  for (const [k, v] of stateDict) {
    if (typeof k === 'string' && v instanceof TorchTensorRef) tensors.set(k, v);
  }
  const extras: Record<string, unknown> = {};
  const plain = new PlainValues(path);
  for (const [k, v] of root) {
    if (typeof k !== 'string' || k === entry || (stateDict === root && v instanceof TorchTensorRef)) continue;
    defineEntry(extras, k, plain.convert(v, k));
  }
  return { tensors, entry, extras };
}


function describeValue(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof TorchTensorRef) return 'a single tensor';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** The DType of a tensor reference, or ERR_DTYPE for the storage types HostTensor cannot hold. */
function checkedDType(path: string, name: string, ref: TorchTensorRef): DType {
  const dtype = ref.storage.dtype;
  if (dtype === 'int16' || dtype === 'int8') {
    throw new UniAdapterError(
      'ERR_DTYPE',
      `${path}: tensor '${name}' is ${dtype}, which uniadapter cannot load (float32/64, float16, bfloat16, int64, int32, uint8 and bool can)`
    );
  }
  return dtype;
}

/**
 * ERR_FORMAT when reading `ref` would allocate more than its storage holds and more than
 * MAX_OVERLAPPING_VIEW_BYTES: strides that overlap (0, or smaller than the inner extent) let a tiny
 * storage describe a view of any size.
 */
function checkMaterialisedSize(path: string, name: string, ref: TorchTensorRef, count: number): void {
  const bytes = count * ref.storage.itemSize;
  const storageBytes = ref.storage.numel * ref.storage.itemSize;
  if (bytes > storageBytes && bytes > MAX_OVERLAPPING_VIEW_BYTES) {
    throw new UniAdapterError(
      'ERR_FORMAT',
      `${path}: tensor '${name}' of shape [${ref.shape.join(', ')}] with stride [${ref.stride.join(', ')}] would take ${bytes} bytes out of a storage of ${storageBytes}; views that repeat their storage are read only up to ${MAX_OVERLAPPING_VIEW_BYTES} bytes. Save the tensor with .contiguous() (or .clone()) first`
    );
  }
}

/** How many storage elements, from the view's first, the view reaches (strides are non-negative in torch). */
function viewSpan(ref: TorchTensorRef): number {
  let last = 0;
  for (let d = 0; d < ref.shape.length; d++) last += (ref.shape[d] - 1) * ref.stride[d];
  return last + 1;
}

/** Whether `stride` is the row-major layout of `shape` (dimensions of size 1 may have any stride). */
function isRowMajor(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/**
 * Copies a strided view out of `raw` (the storage bytes from the view's first element on) into a
 * contiguous row-major buffer. Elements are moved as 8-, 16- or 32-bit words, never as floats, so NaN
 * payloads survive.
 */
function gather(raw: Uint8Array, shape: readonly number[], stride: readonly number[], itemSize: number): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(numel(shape) * itemSize));
  const wordSize = Math.min(itemSize, 4);
  const words = itemSize / wordSize;
  const wordArray = (b: Uint8Array) =>
    wordSize === 4
      ? new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4)
      : wordSize === 2
        ? new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2)
        : b;
  const src = wordArray(raw.byteOffset % 4 === 0 ? raw : raw.slice());
  const dst = wordArray(out);
  const rank = shape.length;
  const inner = rank === 0 ? 1 : shape[rank - 1];
  const innerStride = rank === 0 ? 0 : stride[rank - 1];
  const rows = rank === 0 ? 1 : numel(shape) / inner;
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let base = 0;
  let o = 0;
  for (let row = 0; row < rows; row++) {
    if (innerStride === 1) {
      dst.set(src.subarray(base * words, (base + inner) * words), o);
      o += inner * words;
    } else {
      for (let j = 0, s = base * words; j < inner; j++, s += innerStride * words) {
        for (let w = 0; w < words; w++) dst[o++] = src[s + w];
      }
    }
    // Advance the outer index like an odometer, keeping `base` = Σ index[d] * stride[d].
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      base += stride[d];
      if (index[d] < shape[d]) break;
      base -= index[d] * stride[d];
      index[d] = 0;
    }
  }
  return out;
}

/** Turns the "not a zip" error for a legacy torch file or a bare pickle into one that says what to do. */
async function explainNonZip(path: string, original: UniAdapterError): Promise<void> {
  let head: Uint8Array;
  try {
    const file = await RandomAccessFile.open(path);
    try {
      head = await file.read(0, Math.min(file.size, LEGACY_MAGIC.length), 'the first bytes');
    } finally {
      await file.close();
    }
  } catch {
    return;
  }
  if (LEGACY_MAGIC.every((b, i) => head[i] === b)) {
    throw new UniAdapterError(
      'ERR_FORMAT',
      `${path}: this checkpoint uses the legacy PyTorch format (torch.save before PyTorch 1.6, or _use_new_zipfile_serialization=False), which uniadapter cannot read; re-save it with a recent PyTorch: torch.save(torch.load(old_path), new_path)`,
      { cause: original }
    );
  }
  if (head[0] === PICKLE_PROTO) {
    throw new UniAdapterError(
      'ERR_FORMAT',
      `${path}: this is a bare pickle, not a torch.save checkpoint (a zip); re-save it with a recent PyTorch: torch.save(obj, new_path)`,
      { cause: original }
    );
  }
}
