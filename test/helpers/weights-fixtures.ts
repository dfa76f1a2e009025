/**
 * Shared pieces of the weight-loading and adapter-file tests: the golden-tiny retrieval case (its
 * config, inputs and weights), temporary folders, exact (bit-for-bit) tensor comparison, the eval
 * outputs of a retrieval model on the fixture inputs, error assertions, and a minimal stored-zip
 * writer for crafting .pth files.
 */
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ModelConfig } from '../../lib/config/model-config';
import { openGoldenCase } from '../../lib/tools/golden/run-case';
import { readSafetensors } from '../../lib/io/safetensors';
import { ZipArchive, crc32 } from '../../lib/io/zip';
import type { RetrievalModel } from '../../lib/model/retrieval-model';
import { int64, tensorBytes, type HostTensor } from '../../lib/tensor';
import { GOLDEN_TINY } from './fixtures';

export const RETRIEVAL_DIR = path.join(GOLDEN_TINY, 'retrieval');
export const RETRIEVAL_SAFETENSORS = path.join(RETRIEVAL_DIR, 'weights.safetensors');
export const RETRIEVAL_PTH = path.join(RETRIEVAL_DIR, 'weights.pth');

export interface RetrievalFixture {
  config: ModelConfig;
  inputs: Record<string, HostTensor>;
  expected: Record<string, HostTensor>;
  /** weights.safetensors, every tensor, original names. */
  weights: Record<string, HostTensor>;
}

let cached: Promise<RetrievalFixture> | undefined;

/** The retrieval case, read once per test file. */
export function retrievalFixture(): Promise<RetrievalFixture> {
  cached ??= (async () => {
    const c = await openGoldenCase(RETRIEVAL_DIR);
    return {
      config: c.modelConfig,
      inputs: c.inputs,
      expected: await readSafetensors(path.join(RETRIEVAL_DIR, 'outputs.safetensors')),
      weights: await readSafetensors(RETRIEVAL_SAFETENSORS),
    };
  })();
  return cached;
}

/** A fresh temporary folder; remove it with removeTempDir. */
export function makeTempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), `uniadapter-${prefix}-`));
}

export async function removeTempDir(dir: string | undefined): Promise<void> {
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
}

/** The raw bytes of a tensor (a Buffer view, no copy). */
export function bytesOf(t: HostTensor): Buffer {
  const b = tensorBytes(t);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** null when `a` and `b` have the same dtype, shape and bytes; else what differs. */
export function exactDifference(name: string, a: HostTensor | undefined, b: HostTensor | undefined): string | null {
  if (!a || !b) return `${name}: ${a ? 'second' : 'first'} is missing`;
  if (a.dtype !== b.dtype) return `${name}: dtype ${a.dtype} != ${b.dtype}`;
  if (a.shape.join(',') !== b.shape.join(',')) return `${name}: shape [${a.shape}] != [${b.shape}]`;
  const x = bytesOf(a);
  const y = bytesOf(b);
  if (x.equals(y)) return null;
  let first = 0;
  while (x[first] === y[first]) first++;
  return `${name}: bytes differ (first at byte ${first})`;
}

/** Every difference between two tensor maps (names and bit-for-bit contents). */
export function exactDifferences(a: Record<string, HostTensor>, b: Record<string, HostTensor>): string[] {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return names.map((n) => exactDifference(n, a[n], b[n])).filter((m): m is string => m !== null);
}

/** Largest absolute element difference of two float tensors of the same shape. */
export function maxAbsDiff(a: HostTensor, b: HostTensor): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

/**
 * What the evaluation path computes from a retrieval model on the fixture inputs: ViT tokens and
 * ITC image features, text hidden states and features, and the ITM logits and hidden states of every
 * (image, text) pair.
 */
export async function retrievalOutputs(model: RetrievalModel, inputs: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const img = await model.encodeImages(inputs.image, { tokens: true });
  const txt = await model.encodeTexts(inputs.input_ids, inputs.attention_mask, { hidden: true });
  const nImg = inputs.image.shape[0];
  const nTxt = inputs.input_ids.shape[0];
  const texts: number[] = [];
  const images: number[] = [];
  for (let i = 0; i < nImg; i++) {
    for (let j = 0; j < nTxt; j++) {
      images.push(i);
      texts.push(j);
    }
  }
  const rows = (t: HostTensor, idx: number[]): HostTensor => {
    const len = t.data.length / t.shape[0];
    const out = new (t.data.constructor as any)(idx.length * len);
    idx.forEach((r, k) => out.set((t.data as any).subarray(r * len, (r + 1) * len), k * len));
    return { dtype: t.dtype, shape: [idx.length, ...t.shape.slice(1)], data: out };
  };
  const itm = await model.itm({
    inputIds: rows(inputs.enc_input_ids, texts),
    attentionMask: rows(inputs.attention_mask, texts),
    imageTokens: img.tokens as HostTensor,
    pairImage: int64(images, [images.length]),
    replaceFirstToken: false,
    returnHidden: true,
    pfa: false,
  });
  return {
    vit_tokens: img.tokens as HostTensor,
    image_proj_raw: img.projRaw,
    image_feat: img.features,
    frame_feat: img.frameFeatures,
    text_last_hidden: txt.hidden as HostTensor,
    text_proj_raw: txt.projRaw,
    text_feat: txt.features,
    itm_logits: itm.logits,
    mm_last_hidden: itm.hidden as HostTensor,
  };
}

export { expectUniAdapterError } from './expect-error';

/** Every entry of a zip (e.g. a .pth), in directory order. */
export async function readZipEntries(file: string): Promise<Array<[string, Buffer]>> {
  const zip = await ZipArchive.open(file);
  try {
    const out: Array<[string, Buffer]> = [];
    for (const name of zip.names()) out.push([name, Buffer.from(await zip.readEntry(name))]);
    return out;
  } finally {
    await zip.close();
  }
}

/** Writes a zip with every entry stored (method 0), as torch.save does. */
export async function writeStoredZip(file: string, entries: Array<[string, Uint8Array]>): Promise<void> {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.byteLength, 18);
    local.writeUInt32LE(data.byteLength, 22);
    local.writeUInt16LE(nameBytes.byteLength, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.byteLength, 20);
    central.writeUInt32LE(data.byteLength, 24);
    central.writeUInt16LE(nameBytes.byteLength, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    centrals.push(central, nameBytes);
    offset += local.byteLength + nameBytes.byteLength + data.byteLength;
  }
  const dirSize = centrals.reduce((s, b) => s + b.byteLength, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dirSize, 12);
  end.writeUInt32LE(offset, 16);
  await fsp.writeFile(file, Buffer.concat([...locals, ...centrals, end]));
}
