/**
 * `uniadapter preprocess`: the BLIP test-time tensor of an image (or of N uniformly sampled video
 * frames) written to a safetensors file as normalised float32 `pixel_values`.
 */
import * as path from 'path';
import { UniAdapterError } from '../errors';
import { ClipTransform } from '../data/transforms/clip-transform';
import { CLIP_MEAN, CLIP_STD, normalizeToFloat } from '../data/transforms/normalize';
import { testTransform } from '../data/transforms/test-transform';
import { decodeImage } from '../data/media/image';
import type { HostTensor } from '../tensor';
import { intOption, parseCommandArgs, writeJson, type CliIO, type Command } from './command';

const usage =
  'uniadapter preprocess <image|video> --out <file.safetensors> [--size N (default 224)] [--frames N (videos, default 16)]';

/** File extensions read as video (through ffmpeg); everything else, GIF included, is an image. */
export const VIDEO_EXTENSIONS: ReadonlySet<string> = new Set([
  '.mp4',
  '.m4v',
  '.mkv',
  '.webm',
  '.avi',
  '.mov',
  '.mpg',
  '.mpeg',
  '.ogv',
  '.wmv',
  '.flv',
]);

/** True when `file` is treated as a video (by extension, case-insensitive). */
export function isVideoPath(file: string): boolean {
  return VIDEO_EXTENSIONS.has(path.extname(file).toLowerCase());
}

async function videoPixels(file: string, size: number, frames: number): Promise<{ pixels: HostTensor; indices: number[] }> {
  // Loaded only for videos: it looks for ffmpeg.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const video = require('../data/media/video') as typeof import('../data/media/video');
  const clip = await video.readVideoFrames(file, { frames, mode: 'uniform' });
  const uint8: HostTensor = { dtype: 'uint8', shape: [clip.frames, clip.height, clip.width, 3], data: clip.data };
  const resized = await new ClipTransform({ size, train: false }).apply(uint8);
  return { pixels: normalizeToFloat(resized), indices: clip.indices };
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      out: { type: 'string', short: 'o' },
      size: { type: 'string' },
      frames: { type: 'string' },
    },
    usage
  );
  if (positionals.length !== 1) {
    throw new UniAdapterError('ERR_ARG', `expected one input file, got ${positionals.length}\nusage: ${usage}`);
  }
  const input = positionals[0];
  const out = values.out as string | undefined;
  if (!out) throw new UniAdapterError('ERR_ARG', `--out <file.safetensors> is required\nusage: ${usage}`);
  const size = intOption(values.size as string | undefined, 'size', 224)!;
  if (size < 16 || size > 4096) throw new UniAdapterError('ERR_ARG', `--size must be in 16..4096, got ${size}`);
  const video = isVideoPath(input);
  const framesOpt = intOption(values.frames as string | undefined, 'frames');
  if (framesOpt !== undefined && !video) {
    throw new UniAdapterError(
      'ERR_ARG',
      `--frames applies to videos (${[...VIDEO_EXTENSIONS].join(' ')}); '${input}' is read as an image`
    );
  }
  if (framesOpt !== undefined && (framesOpt < 1 || framesOpt > 1024)) {
    throw new UniAdapterError('ERR_ARG', `--frames must be in 1..1024, got ${framesOpt}`);
  }

  const metadata: Record<string, string> = {
    format: 'uniadapter-pixels',
    source: path.basename(input),
    transform: `resize ${size}x${size} PIL bicubic, /255, normalise`,
    mean: JSON.stringify(CLIP_MEAN),
    std: JSON.stringify(CLIP_STD),
  };
  let pixels: HostTensor;
  if (video) {
    const frames = framesOpt ?? 16;
    const r = await videoPixels(input, size, frames);
    pixels = r.pixels;
    metadata.frame_indices = JSON.stringify(r.indices);
  } else {
    const img = await decodeImage(input);
    metadata.source_size = `${img.width}x${img.height}`;
    pixels = normalizeToFloat(await testTransform(img, size));
  }

  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { writeSafetensors } = require('../io/safetensors') as typeof import('../io/safetensors');
  await writeSafetensors(out, { pixel_values: pixels }, metadata);
  writeJson(io, { out, tensor: 'pixel_values', dtype: pixels.dtype, shape: pixels.shape, ...metadata });
  return 0;
}

export const command: Command = {
  name: 'preprocess',
  summary: 'write the normalised BLIP test-time pixel tensor of an image or video to safetensors',
  usage,
  run,
};
