/**
 * Locating and running the ffmpeg command-line tools (ffmpeg, ffprobe) as child processes.
 *
 * The binaries are found, in order, from an explicit option, the environment variables
 * `UNIADAPTER_FFMPEG` / `UNIADAPTER_FFPROBE`, or the `PATH`. Processes are started with
 * `child_process.spawn` (never a shell) and their output is collected with bounded buffers, so a
 * misbehaving file can neither block the event loop nor exhaust memory.
 */
import { spawn } from 'child_process';
import { promises as fsp, constants as fsConstants } from 'fs';
import * as path from 'path';
import { UniAdapterError } from '../../errors';

/** Which of the two tools. */
export type FfmpegTool = 'ffmpeg' | 'ffprobe';

/** Explicit locations of the tools; each overrides the environment and the PATH. */
export interface FfmpegLocation {
  /** Path to the ffmpeg binary. */
  ffmpeg?: string;
  /** Path to the ffprobe binary. */
  ffprobe?: string;
}

const ENV_NAME: Record<FfmpegTool, string> = {
  ffmpeg: 'UNIADAPTER_FFMPEG',
  ffprobe: 'UNIADAPTER_FFPROBE',
};

const found = new Map<string, Promise<string>>();

function missingMessage(tool: FfmpegTool, detail: string): string {
  return (
    `${tool} was not found (${detail}). uniadapter decodes video with the ffmpeg tools: ` +
    `install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg), ` +
    `or set ${ENV_NAME[tool]} to the path of the ${tool} binary`
  );
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const st = await fsp.stat(file);
    if (!st.isFile()) return false;
    await fsp.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function searchPath(name: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d.length > 0);
  const exts = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext.toLowerCase());
      if (await isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

async function locate(tool: FfmpegTool, explicit: string | undefined): Promise<string> {
  if (explicit !== undefined && explicit !== '') {
    if (await isExecutable(explicit)) return explicit;
    throw new UniAdapterError('ERR_VIDEO', missingMessage(tool, `the path given, '${explicit}', is not an executable file`));
  }
  const env = process.env[ENV_NAME[tool]];
  if (env !== undefined && env !== '') {
    if (await isExecutable(env)) return env;
    throw new UniAdapterError('ERR_VIDEO', missingMessage(tool, `${ENV_NAME[tool]}='${env}' is not an executable file`));
  }
  const onPath = await searchPath(tool);
  if (onPath !== undefined) return onPath;
  throw new UniAdapterError('ERR_VIDEO', missingMessage(tool, 'not on the PATH'));
}

/**
 * Finds an ffmpeg tool: the explicit location if given, else `UNIADAPTER_FFMPEG` /
 * `UNIADAPTER_FFPROBE`, else the first match on the `PATH`. Results are cached per location.
 *
 * @throws UniAdapterError `ERR_VIDEO` with installation advice when the tool cannot be found.
 */
export function findTool(tool: FfmpegTool, location: FfmpegLocation = {}): Promise<string> {
  const explicit = location[tool];
  const key = `${tool}\0${explicit ?? ''}\0${process.env[ENV_NAME[tool]] ?? ''}\0${process.env.PATH ?? ''}`;
  let p = found.get(key);
  if (p === undefined) {
    p = locate(tool, explicit);
    found.set(key, p);
    p.catch(() => found.delete(key)); // do not cache failures: the user may install the tool
  }
  return p;
}

/** Options for {@link runTool}. */
export interface RunToolOptions {
  /** Most bytes of stdout kept when no `onStdout` is given (default 16 MiB); more is an error. */
  maxStdoutBytes?: number;
  /** Receives stdout chunks instead of buffering them; return `false` to stop the process early. */
  onStdout?: (chunk: Buffer) => boolean | void;
  /** Bytes of stderr kept (the last ones; default 64 KiB). */
  maxStderrBytes?: number;
  /** Kills the process after this many milliseconds (default: no limit). */
  timeoutMs?: number;
  /** Kills the process when aborted; the promise then rejects with `ERR_ABORTED`. */
  signal?: AbortSignal;
}

/** The outcome of a finished process. */
export interface ToolResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  /** The signal that ended the process, if any. */
  signal: NodeJS.Signals | null;
  /** Buffered stdout (empty when `onStdout` was given). */
  stdout: Buffer;
  /** The tail of stderr, as text. */
  stderr: string;
  /** True when the process was stopped on purpose (by `onStdout` returning false). */
  stoppedEarly: boolean;
}

/**
 * Runs a tool with arguments (no shell), collecting stdout in a bounded buffer or streaming it
 * to `onStdout`, and the last bytes of stderr. Resolves when the process exits, whatever its exit
 * code; rejects only when it cannot be started, overflows its buffer, times out or is aborted.
 */
export function runTool(binary: string, args: readonly string[], options: RunToolOptions = {}): Promise<ToolResult> {
  const maxStdout = options.maxStdoutBytes ?? 16 * 1024 * 1024;
  const maxStderr = options.maxStderrBytes ?? 64 * 1024;
  return new Promise<ToolResult>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new UniAdapterError('ERR_ABORTED', `${path.basename(binary)} was aborted before it started`));
      return;
    }
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = Buffer.alloc(0);
    let failure: UniAdapterError | undefined;
    let stoppedEarly = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;

    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const onAbort = () => {
      failure ??= new UniAdapterError('ERR_ABORTED', `${path.basename(binary)} was aborted`);
      kill();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
      timer = setTimeout(() => {
        failure ??= new UniAdapterError(
          'ERR_VIDEO',
          `${path.basename(binary)} did not finish within ${options.timeoutMs} ms and was stopped`
        );
        kill();
      }, options.timeoutMs);
    }
    const cleanup = () => {
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };

    child.stdout.on('data', (chunk: Buffer) => {
      if (failure !== undefined || stoppedEarly) return;
      if (options.onStdout !== undefined) {
        let keepGoing: boolean | void;
        try {
          keepGoing = options.onStdout(chunk);
        } catch (e) {
          failure = e instanceof UniAdapterError ? e : new UniAdapterError('ERR_VIDEO', String(e), { cause: e });
          kill();
          return;
        }
        if (keepGoing === false) {
          stoppedEarly = true;
          kill();
        }
        return;
      }
      outBytes += chunk.length;
      if (outBytes > maxStdout) {
        failure = new UniAdapterError(
          'ERR_VIDEO',
          `${path.basename(binary)} wrote more than ${maxStdout} bytes to stdout; stopped it`
        );
        kill();
        return;
      }
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err = Buffer.concat([err, chunk]);
      if (err.length > maxStderr) err = err.subarray(err.length - maxStderr);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      cleanup();
      kill();
      if (e.code === 'ENOENT' || e.code === 'EACCES') {
        const tool: FfmpegTool = path.basename(binary).startsWith('ffprobe') ? 'ffprobe' : 'ffmpeg';
        reject(new UniAdapterError('ERR_VIDEO', missingMessage(tool, `cannot run '${binary}': ${e.code}`), { cause: e }));
      } else {
        reject(new UniAdapterError('ERR_VIDEO', `cannot run '${binary}': ${e.message}`, { cause: e }));
      }
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      cleanup();
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err.toString('utf8'), stoppedEarly });
    });
  });
}

/**
 * The most useful line(s) of an ffmpeg/ffprobe stderr: the last few non-empty lines, which hold
 * the reason for a failure ("Invalid data found when processing input", "moov atom not found"…).
 */
export function ffmpegReason(stderr: string, lines = 3): string {
  const kept = stderr
    .split(/\r?\n/)
    .map((l) => l.replace(/^\[[^\]]* @ 0x[0-9a-f]+\]\s*/i, '').trim()) // drop "[mov,mp4,… @ 0x55…]" prefixes
    .filter((l) => l.length > 0);
  if (kept.length === 0) return 'no message';
  return kept.slice(-lines).join(' | ');
}

const versions = new Map<string, Promise<[number, number] | undefined>>();

/**
 * The major and minor version of an ffmpeg binary (from `ffmpeg -version`), or undefined when it
 * cannot be parsed (git builds): callers should then assume a recent version.
 */
export function ffmpegVersion(binary: string): Promise<[number, number] | undefined> {
  let p = versions.get(binary);
  if (p === undefined) {
    p = runTool(binary, ['-hide_banner', '-version'], { maxStdoutBytes: 1 << 20, timeoutMs: 30000 }).then(
      (r) => {
        const m = /version\s+n?(\d+)\.(\d+)/.exec(r.stdout.toString('utf8'));
        return m ? ([Number(m[1]), Number(m[2])] as [number, number]) : undefined;
      },
      () => undefined
    );
    versions.set(binary, p);
  }
  return p;
}
