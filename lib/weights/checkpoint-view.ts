/**
 * A checkpoint as loadWeights sees it: every name it provides, tied names included (a file written
 * with `tied: 'once'` stores a tied tensor once and lists its other names in the header), over its
 * base if it has one. A file written with saveWeights' `base` holds only the tensors that differ from
 * another checkpoint, and its header names that base (path relative to the file, size and SHA-256):
 * a VQA fine-tuning that keeps the word embeddings frozen is stored this way at a fraction of its size
 * (models/demo-blip-vqa.safetensors).
 */
import * as fs from 'fs';
import * as path from 'path';
import { UniAdapterError } from '../errors';
import type { CheckpointReader, TensorInfo } from '../io/checkpoint-reader';
import { openCheckpoint } from '../io/checkpoint';
import type { HostTensor } from '../tensor';
import { digestIfSize, sha256File } from './pretrained-manifest';

/** Header metadata entry of a file written with saveWeights' `base`: a JSON BaseReference. */
export const BASE_METADATA_KEY = 'uniadapter.base';
/** Header metadata entry of a file written with `tied: 'once'`: a JSON map of tensor name to stored name. */
export const TIED_METADATA_KEY = 'uniadapter.tied';
/** A base may itself be based on another; a longer chain is taken for a loop. */
const MAX_CHAIN = 8;

export interface BaseReference {
  /** The base checkpoint, relative to the directory of the file that names it. */
  file: string;
  bytes: number;
  sha256: string;
}

/** The reference to `base` that a file written at `file` stores. */
export async function baseReferenceFor(file: string, base: string): Promise<BaseReference> {
  if (!fs.existsSync(base) || !fs.statSync(base).isFile()) throw new UniAdapterError('ERR_ARG', `base: no checkpoint at ${base}`);
  const relative = path.relative(path.dirname(path.resolve(file)), path.resolve(base)).split(path.sep).join('/');
  return { file: relative, bytes: fs.statSync(base).size, sha256: await sha256File(base) };
}

/**
 * The JSON value of a header metadata entry (undefined when absent), checked by `valid`.
 *
 * @throws UniAdapterError ERR_WEIGHTS saying what the entry must be
 */
function headerEntry<T>(reader: CheckpointReader, key: string, valid: (v: unknown) => v is T, what: string): T | undefined {
  const text = reader.metadata[key];
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!valid(value)) throw new UniAdapterError('ERR_WEIGHTS', `${reader.path}: header entry '${key}' must be ${what}`);
  return value;
}

function isBaseReference(v: unknown): v is BaseReference {
  const r = v as Partial<BaseReference> | null;
  return !!r && typeof r === 'object' && typeof r.file === 'string' && !!r.file && typeof r.sha256 === 'string' && typeof r.bytes === 'number';
}

function isNameMap(v: unknown): v is Record<string, string> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** The base a reader's header names, or undefined. */
export function baseReferenceOf(reader: CheckpointReader): BaseReference | undefined {
  return headerEntry(reader, BASE_METADATA_KEY, isBaseReference, 'a JSON object with file, bytes and sha256');
}

/** Every tensor name a reader provides, tied names included, with the key it is stored under. */
function storedKeys(reader: CheckpointReader): Map<string, string> {
  const keys = new Map(reader.names().map((n) => [n, n]));
  const tied = headerEntry(reader, TIED_METADATA_KEY, isNameMap, 'a JSON object of tensor name to stored name') ?? {};
  for (const [name, stored] of Object.entries(tied)) {
    if (!keys.has(stored)) throw new UniAdapterError('ERR_WEIGHTS', `${reader.path}: '${name}' is tied to '${stored}', which the file does not hold`);
    if (!keys.has(name)) keys.set(name, stored);
  }
  return keys;
}

/** A file over its bases: the file's tensors win; tied names are resolved within the file that holds them. */
class LayeredCheckpoint implements CheckpointReader {
  readonly metadata: Record<string, string>;
  private readonly sources = new Map<string, { reader: CheckpointReader; key: string }>();
  /** The file itself, over its bases (the last layer). */
  private readonly top: CheckpointReader;

  constructor(
    private readonly layers: CheckpointReader[],
    private readonly closesTop: boolean
  ) {
    this.top = layers[layers.length - 1];
    this.metadata = Object.fromEntries(Object.entries(this.top.metadata).filter(([k]) => k !== BASE_METADATA_KEY && k !== TIED_METADATA_KEY));
    for (const reader of layers) for (const [name, key] of storedKeys(reader)) this.sources.set(name, { reader, key });
  }

  get path(): string {
    return this.top.path;
  }

  get format(): CheckpointReader['format'] {
    return this.top.format;
  }

  names(): string[] {
    return [...this.sources.keys()];
  }

  private source(name: string): { reader: CheckpointReader; key: string } {
    const s = this.sources.get(name);
    if (!s) throw new UniAdapterError('ERR_WEIGHTS', `${this.path}: no tensor '${name}' in the file or its base`);
    return s;
  }

  info(name: string): TensorInfo {
    const s = this.source(name);
    return s.reader.info(s.key);
  }

  read(name: string): Promise<HostTensor> {
    const s = this.source(name);
    return s.reader.read(s.key);
  }

  async close(): Promise<void> {
    for (const r of this.layers) if (r !== this.top || this.closesTop) await r.close();
  }
}

/**
 * The view of `reader` to load from: its tensors under all their names, and, when its header names a
 * base, the base's (checked against the size and SHA-256 recorded) under them. Closing the view closes
 * every file it opened, and `reader` too when `owned`.
 *
 * @throws UniAdapterError ERR_WEIGHTS when a base is missing, differs from the one recorded, or the chain loops
 */
export async function checkpointView(reader: CheckpointReader, owned: boolean): Promise<CheckpointReader> {
  const layers: CheckpointReader[] = [reader];
  const seen = new Set([path.resolve(reader.path)]);
  try {
    for (let ref = baseReferenceOf(reader), from = reader.path; ref !== undefined; ) {
      const file = path.resolve(path.dirname(from), ref.file);
      if (seen.has(file) || seen.size > MAX_CHAIN) throw new UniAdapterError('ERR_WEIGHTS', `${from}: its chain of bases loops or is longer than ${MAX_CHAIN} (at ${file})`);
      seen.add(file);
      await checkBase(from, file, ref);
      const base = await openCheckpoint(file);
      layers.unshift(base);
      from = file;
      ref = baseReferenceOf(base);
    }
  } catch (e) {
    for (const r of layers) if (r !== reader) await r.close();
    throw e;
  }
  return new LayeredCheckpoint(layers, owned);
}

async function checkBase(from: string, file: string, ref: BaseReference): Promise<void> {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    throw new UniAdapterError('ERR_WEIGHTS', `${from} holds only what differs from ${ref.file}, which is not at ${file}; put the base beside it`);
  }
  const { size, sha256: sum } = await digestIfSize(file, ref.bytes);
  if (sum !== ref.sha256) {
    throw new UniAdapterError(
      'ERR_WEIGHTS',
      `${from} holds only what differs from its base, and ${file} is not that base (${size} bytes, sha256 ${sum || 'not computed'}; ` +
        `recorded: ${ref.bytes} bytes, ${ref.sha256})`
    );
  }
}
