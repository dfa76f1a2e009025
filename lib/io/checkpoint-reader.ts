/**
 * The interface every checkpoint file reader offers (safetensors and PyTorch .pth): a list of tensor
 * names, their dtype and shape without reading any data, and reads of one tensor at a time.
 */
import type { DType, HostTensor } from '../tensor';

/** What is known about a stored tensor before its data is read. */
export interface TensorInfo {
  dtype: DType;
  shape: number[];
}

/** A checkpoint file opened for reading, tensor by tensor. */
export interface CheckpointReader {
  /** The path the file was opened from. */
  readonly path: string;
  /** Which file format the reader parsed. */
  readonly format: 'safetensors' | 'pth';
  /** String metadata stored with the tensors (safetensors `__metadata__`; empty for .pth). */
  readonly metadata: Record<string, string>;
  /** Tensor names, in the order the file stores them. */
  names(): string[];
  /** dtype and shape of one tensor; ERR_WEIGHTS if there is no tensor of that name. */
  info(name: string): TensorInfo;
  /** Reads one tensor's data from disk into a contiguous, aligned typed array. */
  read(name: string): Promise<HostTensor>;
  /** Releases the file handle. */
  close(): Promise<void>;
}
