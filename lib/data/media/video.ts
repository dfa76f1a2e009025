/**
 * Video frames for the video tasks (MSR-VTT, DiDeMo, MSRVTT-QA): probing a file, choosing which
 * frames to use (ARCHITECTURE_SPEC §9.5) and decoding exactly those frames to raw RGB with one
 * ffmpeg process.
 *
 * Frame indices count decoded frames in presentation order from 0 (ffmpeg's `n`), so variable
 * frame rate files are sampled by frame, not by time.
 */
import { promises as fsp } from 'fs';
import * as nodePath from 'path';
import { UniAdapterError } from '../../errors';
import type { HostTensor } from '../../tensor';
import { findTool, ffmpegReason, ffmpegVersion, runTool, type FfmpegLocation } from './ffmpeg';
import { fileKind } from '../../io/regular-file';

/** How frames are chosen inside each of the N equal segments of a clip. */
/**
 * How N frame indices are chosen out of n:
 * - `'uniform'`: the first frame of each of N equal segments, floor(k·n/N) (this project's default,
 *   the design of ARCHITECTURE_SPEC §9.5);
 * - `'blip-arange'`: BLIP's video_dataset rule `np.arange(0, n, n/N, dtype=int)`, which numpy fills
 *   as k·floor(n/N) (n = 50, N = 8: 0, 6, …, 42; all zeros when n < N);
 * - `'random'`: a uniformly random frame inside each equal segment (training augmentation).
 */
export type FrameSampling = 'uniform' | 'blip-arange' | 'random';

/** The deterministic rules (no random source needed). */
export const DETERMINISTIC_FRAME_SAMPLING = ['uniform', 'blip-arange'] as const;

/** Frames sampled per clip in training (PAPER: N = 8). */
export const TRAIN_FRAMES = 8;
/** Frames sampled per clip at inference (PAPER: N = 16). */
export const INFERENCE_FRAMES = 16;

/**
 * The random source used by `'random'` sampling. The project's seeded PRNG (lib/data/rng.ts)
 * satisfies it; so does any object with an `int(n)` returning an integer in [0, n).
 */
export interface RandomIntSource {
  int(n: number): number;
}

/** Where the frame count of a probe came from. */
export type FrameCountSource = 'nb_frames' | 'duration' | 'packets';

/** What {@link probeVideo} learns about the first video stream of a file. */
export interface VideoInfo {
  /** Number of frames (exact for 'nb_frames' and 'packets', an estimate for 'duration'). */
  frames: number;
  /** Average frame rate in frames per second (0 when unknown). */
  fps: number;
  /** Duration in seconds (0 when unknown). */
  duration: number;
  /** Width of decoded frames, after the display rotation ffmpeg applies. */
  width: number;
  /** Height of decoded frames, after the display rotation ffmpeg applies. */
  height: number;
  /** How `frames` was obtained. */
  frameCountSource: FrameCountSource;
  /** Index of the video stream in the file (for `-map 0:<index>`). */
  streamIndex: number;
  /** Codec name as ffprobe reports it. */
  codec: string;
}

/** Options shared by the video functions. */
export interface VideoToolOptions {
  /** Explicit ffmpeg / ffprobe locations (else env UNIADAPTER_FFMPEG / UNIADAPTER_FFPROBE, else PATH). */
  tools?: FfmpegLocation;
  /** Stops the child processes; the call then rejects with ERR_ABORTED. */
  signal?: AbortSignal;
  /** Kills a child process that runs longer than this (ms; default 120000). */
  timeoutMs?: number;
}

/** Options for {@link probeVideo}. */
export interface ProbeOptions extends VideoToolOptions {
  /**
   * When the container has no frame count (mkv, webm), count packets (exact; reads the whole file
   * without decoding) rather than estimating duration × fps. Default false: estimate first, count
   * only when no estimate is possible.
   */
  exactFrameCount?: boolean;
}

interface ProbeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  nb_frames?: string;
  nb_read_packets?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  tags?: Record<string, string>;
  side_data_list?: Array<{ rotation?: number | string }>;
  disposition?: Record<string, number>;
}

interface ProbeJson {
  streams?: ProbeStream[];
  format?: { duration?: string };
}

const DEFAULT_TIMEOUT_MS = 120000;

function parseRate(s: string | undefined): number {
  if (s === undefined) return 0;
  const m = /^(\d+)(?:\/(\d+))?$/.exec(s.trim());
  if (!m) return 0;
  const num = Number(m[1]);
  const den = m[2] === undefined ? 1 : Number(m[2]);
  return den > 0 && num > 0 ? num / den : 0;
}

function parsePositive(s: string | number | undefined): number {
  const v = typeof s === 'number' ? s : s === undefined ? NaN : Number(s);
  return Number.isFinite(v) && v > 0 ? v : 0;
}

/** Parses a Matroska-style "HH:MM:SS.fffffffff" duration tag. */
function parseClock(s: string | undefined): number {
  if (s === undefined) return 0;
  const m = /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(s.trim());
  if (!m) return 0;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

function rotationOf(stream: ProbeStream): number {
  for (const sd of stream.side_data_list ?? []) {
    const r = Number(sd.rotation);
    if (Number.isFinite(r) && r !== 0) return r;
  }
  const tag = Number(stream.tags?.rotate);
  return Number.isFinite(tag) ? tag : 0;
}

/** ERR_IO unless `file` is a regular file: ffmpeg would block forever on a named pipe. */
async function ensureFile(file: string): Promise<void> {
  try {
    const st = await fsp.stat(file);
    if (!st.isFile()) {
      throw new UniAdapterError('ERR_IO', `video '${file}' is ${fileKind(st)}, not a regular file; give the path of a video file on disk`);
    }
  } catch (e) {
    if (e instanceof UniAdapterError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UniAdapterError(
      'ERR_IO',
      code === 'ENOENT' ? `video file not found: '${file}'` : `cannot read video '${file}': ${(e as Error).message}`,
      { cause: e }
    );
  }
}

/**
 * How a path is handed to ffmpeg and ffprobe: a `file:` URL of the absolute path. A bare path could be
 * read as an option (a file named `-report`) or as another protocol (`http://...`, `pipe:0`); with the
 * `file:` prefix it can only be a local file. The tools are also told to allow no other protocol.
 */
export function ffmpegInput(file: string): string[] {
  return ['-protocol_whitelist', 'file', '-i', `file:${nodePath.resolve(file)}`];
}

async function countPackets(
  ffprobe: string,
  file: string,
  streamIndex: number,
  options: VideoToolOptions
): Promise<number> {
  const r = await runTool(
    ffprobe,
    [
      '-v', 'error', '-count_packets', '-select_streams', String(streamIndex),
      '-show_entries', 'stream=nb_read_packets', '-of', 'json', ...ffmpegInput(file),
    ],
    { maxStdoutBytes: 1 << 20, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal: options.signal }
  );
  if (r.code !== 0) {
    throw new UniAdapterError('ERR_VIDEO', `cannot count the frames of '${file}': ${ffmpegReason(r.stderr)}`);
  }
  const json = JSON.parse(r.stdout.toString('utf8')) as ProbeJson;
  return Math.floor(parsePositive(json.streams?.[0]?.nb_read_packets));
}

/**
 * Probes the first video stream of a file with ffprobe.
 *
 * The frame count is the container's `nb_frames` when present; otherwise duration × fps (rounded),
 * or, with `exactFrameCount` or when no estimate is possible, the number of packets counted with
 * `-count_packets`. Attached pictures (cover art) are not considered video streams.
 *
 * @throws UniAdapterError `ERR_IO` when the file is missing; `ERR_VIDEO` naming the file and
 *   ffprobe's reason when it is not a readable media file or has no video stream.
 */
export async function probeVideo(file: string, options: ProbeOptions = {}): Promise<VideoInfo> {
  await ensureFile(file);
  const ffprobe = await findTool('ffprobe', options.tools);
  const r = await runTool(
    ffprobe,
    ['-v', 'error', '-select_streams', 'v', '-show_streams', '-show_format', '-of', 'json', ...ffmpegInput(file)],
    { maxStdoutBytes: 4 << 20, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal: options.signal }
  );
  if (r.code !== 0) {
    throw new UniAdapterError('ERR_VIDEO', `cannot read video '${file}': ${ffmpegReason(r.stderr)}`);
  }
  let json: ProbeJson;
  try {
    json = JSON.parse(r.stdout.toString('utf8')) as ProbeJson;
  } catch (e) {
    throw new UniAdapterError('ERR_VIDEO', `cannot read video '${file}': ffprobe printed no valid JSON`, { cause: e });
  }
  const stream = (json.streams ?? []).find(
    (s) => s.codec_type === 'video' && (s.disposition?.attached_pic ?? 0) === 0
  );
  if (stream === undefined) {
    throw new UniAdapterError('ERR_VIDEO', `'${file}' has no video stream`);
  }
  const streamIndex = stream.index ?? 0;
  let width = stream.width ?? 0;
  let height = stream.height ?? 0;
  if (!(width > 0 && height > 0)) {
    throw new UniAdapterError('ERR_VIDEO', `cannot read video '${file}': its video stream has no frame size`);
  }
  if (Math.abs(Math.round(rotationOf(stream))) % 180 === 90) [width, height] = [height, width];
  const fps = parseRate(stream.avg_frame_rate) || parseRate(stream.r_frame_rate);
  const duration =
    parsePositive(stream.duration) ||
    parseClock(stream.tags?.DURATION ?? stream.tags?.duration) ||
    parsePositive(json.format?.duration);

  let frames = Math.floor(parsePositive(stream.nb_frames));
  let frameCountSource: FrameCountSource = 'nb_frames';
  if (frames === 0 && !options.exactFrameCount && duration > 0 && fps > 0) {
    frames = Math.max(1, Math.round(duration * fps));
    frameCountSource = 'duration';
  }
  if (frames === 0) {
    frames = await countPackets(ffprobe, file, streamIndex, options);
    frameCountSource = 'packets';
  }
  if (frames === 0) {
    throw new UniAdapterError('ERR_VIDEO', `'${file}' has a video stream without any frames`);
  }
  return { frames, fps, duration, width, height, frameCountSource, streamIndex, codec: stream.codec_name ?? 'unknown' };
}

/**
 * Chooses `count` frame indices out of `total` frames by one of the {@link FrameSampling} rules.
 * The indices are always non-decreasing and in `[0, total)`; a clip with fewer than `count` frames
 * repeats frames.
 *
 * @throws UniAdapterError `ERR_ARG` for non-positive counts, an unknown rule, or `'random'` without an `rng`.
 */
export function sampleFrameIndices(
  total: number,
  count: number,
  mode: FrameSampling = 'uniform',
  rng?: RandomIntSource
): number[] {
  if (!Number.isInteger(total) || total < 1) {
    throw new UniAdapterError('ERR_ARG', `a clip needs at least one frame to sample from, got ${total}`);
  }
  if (!Number.isInteger(count) || count < 1) {
    throw new UniAdapterError('ERR_ARG', `the number of frames to sample must be a positive integer, got ${count}`);
  }
  if (mode !== 'uniform' && mode !== 'blip-arange' && mode !== 'random') {
    throw new UniAdapterError('ERR_ARG', `frame sampling must be 'uniform', 'blip-arange' or 'random', got '${String(mode)}'`);
  }
  if (mode === 'random' && rng === undefined) {
    throw new UniAdapterError('ERR_ARG', `frame sampling 'random' needs a seeded random source (rng)`);
  }
  if (mode === 'blip-arange') {
    const step = Math.floor(total / count);
    return Array.from({ length: count }, (_, k) => k * step);
  }
  const out = new Array<number>(count);
  for (let k = 0; k < count; k++) {
    const start = Math.floor((k * total) / count);
    const end = Math.floor(((k + 1) * total) / count);
    if (mode === 'uniform' || end - start <= 1) {
      out[k] = start;
    } else {
      const off = (rng as RandomIntSource).int(end - start);
      if (!Number.isInteger(off) || off < 0 || off >= end - start) {
        throw new UniAdapterError('ERR_ARG', `rng.int(${end - start}) returned ${off}, not an integer in range`);
      }
      out[k] = start + off;
    }
  }
  return out;
}

/** Options for {@link readVideoFrames}. */
export interface ReadVideoOptions extends VideoToolOptions {
  /** Frames to return, N (default 16 for 'uniform', 8 for 'random': the paper's inference/training counts). */
  frames?: number;
  /** How frames are chosen (default 'uniform'). */
  mode?: FrameSampling;
  /** Random source for 'random' sampling. */
  rng?: RandomIntSource;
  /**
   * Resize every frame with ffmpeg (bicubic) to a square side or to width × height. Default: the
   * native size. For bit-exact parity with the image transforms, decode at native size and resize
   * with those.
   */
  size?: number | { width: number; height: number };
  /** A probe result from an earlier {@link probeVideo} of the same file, to skip probing. */
  info?: VideoInfo;
}

/** Decoded frames of one clip. */
export interface VideoFrames {
  /** RGB bytes, frame-major: `[frames, height, width, 3]`. */
  data: Uint8Array;
  /** Number of frames T (always the number asked for). */
  frames: number;
  width: number;
  height: number;
  /** The source frame index of each returned frame (non-decreasing). */
  indices: number[];
  /** The probe of the file (with the corrected frame count when it had to be counted). */
  info: VideoInfo;
  /**
   * Frames that could not be decoded and were filled with the last decoded frame (0 normally;
   * non-zero only for files whose frame count overstates what can be decoded).
   */
  padded: number;
}

function selectFilter(unique: readonly number[]): string {
  return 'select=' + unique.map((i) => `eq(n\\,${i})`).join('+');
}

async function fpsModeArgs(ffmpeg: string): Promise<string[]> {
  const v = await ffmpegVersion(ffmpeg);
  // -fps_mode arrived in ffmpeg 5.1; -vsync 0 is its older spelling.
  if (v !== undefined && (v[0] < 5 || (v[0] === 5 && v[1] < 1))) return ['-vsync', '0'];
  return ['-fps_mode', 'passthrough'];
}

/** Decodes the frames `unique` (sorted, distinct) in one ffmpeg run; returns how many came out. */
async function decodeSelected(
  ffmpeg: string,
  file: string,
  info: VideoInfo,
  unique: readonly number[],
  width: number,
  height: number,
  options: ReadVideoOptions
): Promise<{ buffer: Buffer; decoded: number }> {
  const frameBytes = width * height * 3;
  const buffer = Buffer.alloc(frameBytes * unique.length);
  let filled = 0;
  const scaleFlags = options.size !== undefined ? ':flags=bicubic' : '';
  const args = [
    '-hide_banner', '-nostdin', '-v', 'error',
    ...ffmpegInput(file),
    '-map', `0:${info.streamIndex}`,
    '-an', '-sn', '-dn',
    '-vf', `${selectFilter(unique)},scale=${width}:${height}${scaleFlags}`,
    ...(await fpsModeArgs(ffmpeg)),
    '-frames:v', String(unique.length),
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ];
  const r = await runTool(ffmpeg, args, {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    signal: options.signal,
    onStdout: (chunk) => {
      const room = buffer.length - filled;
      const n = Math.min(room, chunk.length);
      chunk.copy(buffer, filled, 0, n);
      filled += n;
      return filled < buffer.length; // everything asked for has arrived: stop ffmpeg
    },
  });
  if (!r.stoppedEarly && r.code !== 0) {
    throw new UniAdapterError('ERR_VIDEO', `cannot decode video '${file}': ${ffmpegReason(r.stderr)}`);
  }
  return { buffer, decoded: Math.floor(filled / frameBytes) };
}

function outputSize(info: VideoInfo, size: ReadVideoOptions['size']): [number, number] {
  if (size === undefined) return [info.width, info.height];
  const [w, h] = typeof size === 'number' ? [size, size] : [size.width, size.height];
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1 || w > 16384 || h > 16384) {
    throw new UniAdapterError('ERR_ARG', `video frame size must be positive integers, got ${w}×${h}`);
  }
  return [w, h];
}

/**
 * Decodes N frames of a video as RGB bytes `[N, H, W, 3]`, with one ffmpeg process whose `select`
 * filter keeps only the chosen frames (see {@link sampleFrameIndices}); frames are counted in
 * decode order with timestamps passed through, so variable frame rate files are handled.
 *
 * When fewer frames come out than the frame count promised (an estimated or wrong count), the file's
 * packets are counted, the indices are chosen again from the counted number and the file is read
 * once more. If the file still yields fewer frames (undecodable frames at the end), the missing
 * ones are filled with the last decoded frame and reported in `padded`.
 *
 * @throws UniAdapterError `ERR_IO` for a missing file; `ERR_VIDEO` naming the file and ffmpeg's
 *   reason for files without a video stream, corrupt files or files with no decodable frame;
 *   `ERR_ARG` for invalid options; `ERR_ABORTED` when `signal` fires.
 */
export async function readVideoFrames(file: string, options: ReadVideoOptions = {}): Promise<VideoFrames> {
  const mode = options.mode ?? 'uniform';
  const count = options.frames ?? (mode === 'random' ? TRAIN_FRAMES : INFERENCE_FRAMES);
  if (!Number.isInteger(count) || count < 1 || count > 10000) {
    throw new UniAdapterError('ERR_ARG', `frames must be an integer in [1, 10000], got ${count}`);
  }
  if (options.info !== undefined) await ensureFile(file); // probeVideo checks it otherwise
  let info = options.info ?? (await probeVideo(file, options));
  const [width, height] = outputSize(info, options.size);
  const ffmpeg = await findTool('ffmpeg', options.tools);
  const frameBytes = width * height * 3;

  let indices = sampleFrameIndices(info.frames, count, mode, options.rng);
  let unique = [...new Set(indices)];
  let { buffer, decoded } = await decodeSelected(ffmpeg, file, info, unique, width, height, options);

  if (decoded < unique.length && info.frameCountSource !== 'packets') {
    const ffprobe = await findTool('ffprobe', options.tools);
    const counted = await countPackets(ffprobe, file, info.streamIndex, options);
    if (counted > 0 && counted < info.frames) {
      info = { ...info, frames: counted, frameCountSource: 'packets' };
      indices = sampleFrameIndices(info.frames, count, mode, options.rng);
      unique = [...new Set(indices)];
      ({ buffer, decoded } = await decodeSelected(ffmpeg, file, info, unique, width, height, options));
    }
  }
  if (decoded === 0) {
    throw new UniAdapterError(
      'ERR_VIDEO',
      `cannot decode video '${file}': no frame could be decoded (it claims ${info.frames} frames)`
    );
  }

  // Expand the distinct decoded frames to the requested (possibly repeating) indices.
  const slot = new Map<number, number>();
  unique.forEach((idx, i) => slot.set(idx, i));
  const data = new Uint8Array(count * frameBytes);
  const used = new Array<number>(count);
  let padded = 0;
  for (let k = 0; k < count; k++) {
    let src = slot.get(indices[k]) as number;
    used[k] = indices[k];
    if (src >= decoded) {
      src = decoded - 1;
      used[k] = unique[src];
      padded++;
    }
    data.set(buffer.subarray(src * frameBytes, (src + 1) * frameBytes), k * frameBytes);
  }
  return { data, frames: count, width, height, indices: used, info, padded };
}

/** The decoded frames as a uint8 host tensor `[T, H, W, 3]` (no copy), the input of the clip transforms. */
export function videoFramesTensor(v: VideoFrames): HostTensor {
  return { dtype: 'uint8', shape: [v.frames, v.height, v.width, 3], data: v.data };
}
