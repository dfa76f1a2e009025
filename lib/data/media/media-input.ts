/**
 * Inputs of the inference API: images and videos given as file paths or encoded bytes, turned into
 * the uint8 test-time pixels of a model (PIL-exact bicubic resize; N uniform frames for videos).
 */
import { decodeImage } from './image';
import { testTransform } from '../transforms/test-transform';
import { MediaLoader } from './media-loader';
import { stackPixels } from '../batches';
import { UniAdapterError } from '../../errors';
import type { HostTensor } from '../../tensor';

/** A file path, or the bytes of an encoded image (JPEG, PNG, WebP, GIF). */
export type ImageInput = string | Uint8Array;
/** A video file path. */
export type VideoInput = string;

export interface MediaInputOptions {
  kind?: 'image' | 'video';
  /** Frames per video (16 at inference in the paper). */
  frames?: number;
  /** 'uniform' (default: the first frame of each of N equal segments) or BLIP's 'blip-arange' (k·floor(n/N)). */
  frameSampling?: 'uniform' | 'blip-arange';
}

async function one(input: ImageInput, size: number, kind: 'image' | 'video', loader: MediaLoader): Promise<HostTensor> {
  if (kind === 'video') {
    if (typeof input !== 'string') throw new UniAdapterError('ERR_ARG', 'a video must be given as a file path');
    return loader.video(input, 0);
  }
  return testTransform(await decodeImage(input), size);
}

/** uint8 pixels [N, S, S, 3] (images) or [N, T, S, S, 3] (videos), decoded concurrently. */
export async function pixelsOf(inputs: readonly ImageInput[], size: number, options: MediaInputOptions = {}): Promise<HostTensor> {
  if (inputs.length === 0) throw new UniAdapterError('ERR_ARG', 'no images or videos given');
  const kind = options.kind ?? 'image';
  if (kind !== 'image' && kind !== 'video') {
    throw new UniAdapterError('ERR_ARG', `kind must be 'image' or 'video', got '${String(kind)}'`);
  }
  const loader = new MediaLoader({ size, frames: options.frames ?? 16, augment: false, frameSampling: options.frameSampling });
  return stackPixels(await Promise.all(inputs.map((i) => one(i, size, kind, loader))));
}
