/**
 * Opens a checkpoint file of either supported format, chosen by its first bytes: a zip (`PK\x03\x04`)
 * is a PyTorch `.pth` written by torch.save; an 8-byte length followed by `{` is safetensors.
 */
import { UniAdapterError } from '../errors';
import type { CheckpointReader } from './checkpoint-reader';
import { PthFile } from './pth';
import { RandomAccessFile } from './random-access-file';
import { SafetensorsFile } from './safetensors';

export type { CheckpointReader, TensorInfo } from './checkpoint-reader';

const SNIFF_BYTES = 16;
const ZIP_SIGNATURES = [
  [0x50, 0x4b, 0x03, 0x04], // a local file header: any non-empty zip starts with one
  [0x50, 0x4b, 0x05, 0x06], // an empty zip is just its end record
];
const PICKLE_PROTO = 0x80;
const OPEN_BRACE = 0x7b;

/** Which reader a file's first bytes call for, or a description of what was found instead. */
export function sniffCheckpointFormat(head: Uint8Array): 'pth' | 'safetensors' | { unknown: string } {
  if (ZIP_SIGNATURES.some((sig) => sig.every((b, i) => head[i] === b))) return 'pth';
  // safetensors before the pickle test: a header length such as 0x0180 starts with the bytes 80 01,
  // which look like a pickle's PROTO opcode. The length is at most 100 MB, so its upper 4 bytes are 0.
  if (head.length > 8 && head[8] === OPEN_BRACE && head[4] === 0 && head[5] === 0 && head[6] === 0 && head[7] === 0) {
    return 'safetensors';
  }
  // Legacy torch files and bare pickles go to the .pth reader, whose error says how to convert them.
  if (head[0] === PICKLE_PROTO && head.length > 1 && head[1] <= 5) return 'pth';
  if (head.length === 0) return { unknown: 'an empty file' };
  const hex = [...head].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return { unknown: `a file starting with bytes ${hex}` };
}

/**
 * Opens `path` as a checkpoint, detecting the format from its first bytes: PyTorch zip (.pth, .pt,
 * .bin) or safetensors. Only the header or the pickle is read; tensors are read one at a time with
 * `read(name)`. Close the reader when done. An unrecognised file gives ERR_FORMAT naming it.
 */
export async function openCheckpoint(path: string): Promise<CheckpointReader> {
  const file = await RandomAccessFile.open(path);
  let head: Uint8Array;
  try {
    head = await file.read(0, Math.min(file.size, SNIFF_BYTES), 'the first bytes');
  } finally {
    await file.close();
  }
  const format = sniffCheckpointFormat(head);
  if (format === 'pth') return PthFile.open(path);
  if (format === 'safetensors') return SafetensorsFile.open(path);
  throw new UniAdapterError(
    'ERR_FORMAT',
    `${path}: not a checkpoint: found ${format.unknown}; expected safetensors or a PyTorch zip checkpoint (torch.save)`
  );
}
