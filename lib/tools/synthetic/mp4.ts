/**
 * MP4 (H.264) encoding of raw RGB frames with the ffmpeg command-line tool: frames go to ffmpeg's
 * stdin as rgb24 and come out as libx264 yuv420p at a fixed frame rate, one key frame per clip.
 * The settings make the output deterministic for a given ffmpeg/x264 build: one thread, bit-exact
 * muxing and scaling, no metadata, no timestamps from the clock.
 */
import { spawn } from 'child_process';
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UniAdapterError } from '../../errors';
import { ffmpegReason, findTool } from '../../data/media/ffmpeg';

/** Options for {@link encodeMp4}. */
export interface Mp4Options {
  /** Frames per second written in the file (default 8). */
  fps?: number;
  /** x264 constant rate factor, 0..51, lower is better (default 12: near-lossless for flat shapes). */
  crf?: number;
  /** Path to ffmpeg (else UNIADAPTER_FFMPEG, else the PATH). */
  ffmpeg?: string;
  /** Kills ffmpeg after this many milliseconds (default 60000). */
  timeoutMs?: number;
  /** Stops ffmpeg; the promise then rejects with ERR_ABORTED. */
  signal?: AbortSignal;
}

/**
 * The ffmpeg arguments that turn `clips` clips of `frames` rgb24 frames each, sent one after the other
 * on stdin, into one MP4 file per clip in `outDir` (`clip00000.mp4`, …). One encoder runs over all
 * clips with a key frame (IDR, closed GOP, no B-frames) at the start of each, and the segment muxer
 * cuts the stream there, so each file is a complete clip whose timestamps start at 0.
 */
export function mp4EncodeArgs(
  width: number,
  height: number,
  frames: number,
  clips: number,
  fps: number,
  crf: number,
  outDir: string
): string[] {
  const cuts = Array.from({ length: clips - 1 }, (_, k) => String((k + 1) * frames));
  return [
    '-hide_banner',
    '-loglevel', 'error',
    '-f', 'rawvideo',
    '-pix_fmt', 'rgb24',
    '-s', `${width}x${height}`,
    '-framerate', String(fps),
    '-i', 'pipe:0',
    '-an',
    '-sws_flags', 'bicubic+accurate_rnd+full_chroma_int+bitexact',
    '-c:v', 'libx264',
    '-preset', 'medium',
    '-crf', String(crf),
    '-bf', '0',
    '-pix_fmt', 'yuv420p',
    '-colorspace', 'bt470bg',
    '-color_primaries', 'bt470bg',
    '-color_trc', 'smpte170m',
    '-color_range', 'tv',
    '-r', String(fps),
    '-g', String(frames),
    '-keyint_min', String(frames),
    '-sc_threshold', '0',
    '-threads', '1',
    '-flags:v', '+bitexact',
    '-fflags', '+bitexact',
    '-map_metadata', '-1',
    '-f', 'segment',
    ...(cuts.length > 0 ? ['-segment_frames', cuts.join(',')] : ['-segment_time', '1000000']),
    '-reset_timestamps', '1',
    '-segment_format', 'mp4',
    '-segment_format_options', 'movflags=+faststart',
    '-y',
    path.join(outDir, 'clip%05d.mp4'),
  ];
}

function checkClips(clips: ReadonlyArray<readonly Uint8Array[]>, width: number, height: number, fps: number, crf: number): void {
  if (clips.length === 0) throw new UniAdapterError('ERR_ARG', 'no clips to encode');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 2 || width % 2 || height % 2) {
    throw new UniAdapterError('ERR_ARG', `H.264 yuv420p needs an even width and height, got ${width}×${height}`);
  }
  if (!Number.isInteger(fps) || fps < 1 || fps > 240) throw new UniAdapterError('ERR_ARG', `fps must be an integer 1..240, got ${fps}`);
  if (!Number.isInteger(crf) || crf < 0 || crf > 51) throw new UniAdapterError('ERR_ARG', `crf must be an integer 0..51, got ${crf}`);
  const frames = clips[0].length;
  const frameBytes = width * height * 3;
  clips.forEach((clip, c) => {
    if (clip.length === 0 || clip.length !== frames) {
      throw new UniAdapterError('ERR_SHAPE', `clip ${c} has ${clip.length} frames; every clip of a batch needs the same number (${frames}), at least 1`);
    }
    clip.forEach((f, i) => {
      if (f.byteLength !== frameBytes) {
        throw new UniAdapterError('ERR_SHAPE', `clip ${c} frame ${i} has ${f.byteLength} bytes, a ${width}×${height} RGB frame has ${frameBytes}`);
      }
    });
  });
}

/**
 * Encodes several clips of equal length (frames of `width × height × 3` RGB bytes) with one ffmpeg
 * process and returns one MP4 file's bytes per clip. Starting ffmpeg costs far more than encoding a
 * short small clip, so batching clips is much faster than {@link encodeMp4} per clip. A clip's bytes
 * depend on the batch it is encoded in (the encoder's version header is only in the first file, and
 * rate control looks across clips): keep batches fixed for reproducible files. Pixels do not depend on it.
 *
 * @throws UniAdapterError `ERR_ARG` / `ERR_SHAPE` for bad sizes, `ERR_VIDEO` when ffmpeg is missing or
 *   fails, `ERR_ABORTED` when aborted.
 */
export async function encodeMp4Clips(
  clips: ReadonlyArray<readonly Uint8Array[]>,
  width: number,
  height: number,
  options: Mp4Options = {}
): Promise<Buffer[]> {
  const fps = options.fps ?? 8;
  const crf = options.crf ?? 12;
  checkClips(clips, width, height, fps, crf);
  const binary = await findTool('ffmpeg', { ffmpeg: options.ffmpeg });
  const tmpDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'uniadapter-mp4-'));
  try {
    const frames = clips[0].length;
    await runEncoder(binary, mp4EncodeArgs(width, height, frames, clips.length, fps, crf, tmpDir), clips.flat(), options);
    const names = (await fsp.readdir(tmpDir)).filter((n) => /^clip\d{5}\.mp4$/.test(n)).sort();
    if (names.length !== clips.length) {
      throw new UniAdapterError('ERR_VIDEO', `ffmpeg wrote ${names.length} MP4 files for ${clips.length} clips`);
    }
    return await Promise.all(names.map((n) => fsp.readFile(path.join(tmpDir, n))));
  } finally {
    await fsp.rm(tmpDir, { recursive: true, force: true });
  }
}

/**
 * Encodes one clip (frames of `width × height × 3` RGB bytes; width and height even) as an H.264 MP4
 * and returns the file's bytes.
 *
 * @throws UniAdapterError as {@link encodeMp4Clips}.
 */
export async function encodeMp4(
  frames: readonly Uint8Array[],
  width: number,
  height: number,
  options: Mp4Options = {}
): Promise<Buffer> {
  const [file] = await encodeMp4Clips([frames], width, height, options);
  return file;
}

function runEncoder(binary: string, args: string[], frames: readonly Uint8Array[], options: Mp4Options): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60000;
  return new Promise<void>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new UniAdapterError('ERR_ABORTED', 'MP4 encoding was aborted'));
      return;
    }
    const child = spawn(binary, args, { stdio: ['pipe', 'ignore', 'pipe'], windowsHide: true });
    let stderr = '';
    let failure: UniAdapterError | undefined;
    let settled = false;
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const onAbort = () => {
      failure ??= new UniAdapterError('ERR_ABORTED', 'MP4 encoding was aborted');
      kill();
    };
    const timer = setTimeout(() => {
      failure ??= new UniAdapterError('ERR_VIDEO', `ffmpeg did not finish encoding within ${timeoutMs} ms and was stopped`);
      kill();
    }, timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (err?: UniAdapterError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr = (stderr + s).slice(-16384);
    });
    child.stdin.on('error', () => {
      // EPIPE when ffmpeg exits early; the exit code and stderr tell why.
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      kill();
      finish(new UniAdapterError('ERR_VIDEO', `cannot run ffmpeg ('${binary}'): ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      if (failure) finish(failure);
      else if (code !== 0) {
        finish(new UniAdapterError('ERR_VIDEO', `ffmpeg failed to encode an MP4 (${signal ?? `exit ${code}`}): ${ffmpegReason(stderr)}`));
      } else finish();
    });
    // Frames are written one at a time, waiting for the pipe to drain, so a batch is never copied whole.
    const stdin = child.stdin;
    const drained = () =>
      new Promise<void>((res) => {
        const done = () => {
          stdin.off('drain', done);
          stdin.off('close', done);
          res();
        };
        stdin.on('drain', done);
        stdin.on('close', done);
      });
    void (async () => {
      for (const f of frames) {
        if (settled || failure || stdin.destroyed) return;
        if (!stdin.write(Buffer.from(f.buffer, f.byteOffset, f.byteLength))) await drained();
      }
      stdin.end();
    })();
  });
}
