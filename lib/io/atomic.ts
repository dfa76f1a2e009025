/**
 * Atomic file writes: the bytes go to a temporary file in the destination's folder, which is flushed
 * to disk and then renamed over the destination, so a reader sees either the old file or the complete
 * new one, never a half-written file, even after a crash. Every file uniadapter writes goes through here.
 *
 * Replacing an existing file: a read-only file (no write permission bit, or not writable by this
 * process) is refused with ERR_IO and left as it is; a symbolic link is written through, atomically,
 * to the file it points to, and stays a link; the new file keeps the permission bits of the one it
 * replaces. Anything else at the path (a folder, a pipe, a link to nothing) is refused with ERR_IO.
 * Temporary files left by writers that were killed (`.<name>.<pid>.<hex>.tmp` whose process no longer
 * exists) are removed by the next write of the same file.
 */
import { constants as fsConstants, promises as fsp, type Stats } from 'fs';
import type { FileHandle } from 'fs/promises';
import * as nodePath from 'path';
import { randomBytes } from 'crypto';
import { UniAdapterError } from '../errors';
import { describeSystemError } from './random-access-file';
import { fileKind } from './regular-file';

/** What can be written: one buffer, or chunks written one after the other in order. */
export type AtomicContent = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** The largest length handed to one `write` call. */
const MAX_WRITE_CHUNK = 1 << 30;

/**
 * A file being written atomically. Nothing is visible at `path` until `commit()`; `abort()` (or a failed
 * write) removes the temporary file and leaves any existing file at `path` untouched.
 */
export class AtomicFileWriter {
  private position = 0;
  private state: 'open' | 'committed' | 'aborted' = 'open';

  private constructor(
    /** The destination path, as the caller gave it. */
    readonly path: string,
    /** The file that is replaced: `path`, or the file a symbolic link at `path` points to. */
    readonly target: string,
    /** The temporary file, in the same folder as the target so that the rename is atomic. */
    readonly tempPath: string,
    private readonly handle: FileHandle
  ) {}

  /**
   * Creates the temporary file next to the target of `path`, after removing stale temporaries of the
   * same target.
   *
   * @throws UniAdapterError ERR_IO when `path` is a read-only file, a folder or other non-file, a
   *   symbolic link to nothing, or its folder cannot be written
   */
  static async open(path: string): Promise<AtomicFileWriter> {
    const { target, mode } = await writableTarget(path);
    await removeStaleTemporaries(target);
    const tempPath = temporaryPath(target, process.pid, randomBytes(6).toString('hex'));
    let handle: FileHandle;
    try {
      handle = await fsp.open(tempPath, 'wx');
    } catch (e) {
      throw new UniAdapterError('ERR_IO', `${path}: cannot write: ${describeSystemError(e)}`, { cause: e });
    }
    if (mode !== undefined) {
      try {
        await handle.chmod(mode);
      } catch (e) {
        await handle.close().catch(() => undefined);
        await fsp.rm(tempPath, { force: true }).catch(() => undefined);
        throw new UniAdapterError('ERR_IO', `${path}: cannot write: ${describeSystemError(e)}`, { cause: e });
      }
    }
    return new AtomicFileWriter(path, target, tempPath, handle);
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.position;
  }

  /** Appends `bytes`. On failure the temporary file is removed and the error says which file. */
  async write(bytes: Uint8Array): Promise<void> {
    this.assertOpen();
    try {
      let done = 0;
      while (done < bytes.byteLength) {
        const length = Math.min(bytes.byteLength - done, MAX_WRITE_CHUNK);
        const { bytesWritten } = await this.handle.write(bytes, done, length, this.position);
        done += bytesWritten;
        this.position += bytesWritten;
      }
    } catch (e) {
      await this.abort();
      throw new UniAdapterError('ERR_IO', `${this.path}: cannot write: ${describeSystemError(e)}`, { cause: e });
    }
  }

  /** Flushes the data to disk, renames the temporary file over `path` and flushes the folder entry. */
  async commit(): Promise<void> {
    this.assertOpen();
    try {
      await this.handle.sync();
      await this.handle.close();
      await fsp.rename(this.tempPath, this.target);
    } catch (e) {
      await this.abort();
      throw new UniAdapterError('ERR_IO', `${this.path}: cannot write: ${describeSystemError(e)}`, { cause: e });
    }
    this.state = 'committed';
    await syncFolder(nodePath.dirname(this.target));
  }

  /** Gives up: closes and removes the temporary file. Harmless after commit or a previous abort. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.handle.close().catch(() => undefined);
    await fsp.rm(this.tempPath, { force: true }).catch(() => undefined);
  }

  private assertOpen(): void {
    if (this.state !== 'open') {
      throw new UniAdapterError('ERR_STATE', `${this.path}: the atomic write was already ${this.state}`);
    }
  }
}

/** The temporary file of a write of `target` by process `pid`: `.<name>.<pid>.<hex>.tmp` beside it. */
function temporaryPath(target: string, pid: number, tag: string): string {
  return nodePath.join(nodePath.dirname(target), `.${nodePath.basename(target)}.${pid}.${tag}.tmp`);
}

/**
 * The file a write of `path` replaces (a symbolic link's target), with the permission bits to give the
 * new file when one exists.
 */
async function writableTarget(path: string): Promise<{ target: string; mode?: number }> {
  const fail = (why: string, cause?: unknown) =>
    new UniAdapterError('ERR_IO', `${path}: cannot write: ${why}`, cause === undefined ? undefined : { cause });
  let stat: Stats;
  try {
    stat = await fsp.lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { target: path };
    throw fail(describeSystemError(e), e);
  }
  let target = path;
  if (stat.isSymbolicLink()) {
    try {
      target = await fsp.realpath(path);
      stat = await fsp.stat(target);
    } catch (e) {
      const dangling = (e as NodeJS.ErrnoException).code === 'ENOENT';
      throw fail(dangling ? 'it is a symbolic link to a file that does not exist; remove the link or point it at a file' : describeSystemError(e), e);
    }
  }
  if (!stat.isFile()) throw fail(`it is ${fileKind(stat)}, not a regular file`);
  let writable = (stat.mode & 0o222) !== 0;
  if (writable) {
    try {
      await fsp.access(target, fsConstants.W_OK);
    } catch {
      writable = false;
    }
  }
  if (!writable) {
    throw fail(`${target === path ? 'the file' : `its target ${target}`} is read-only; make it writable (chmod u+w) or write to another path`);
  }
  return { target, mode: stat.mode & 0o7777 };
}

/** Whether a process with this id exists (EPERM: it does, but belongs to someone else). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files of earlier writes of `target` whose writing process no longer exists
 * (killed mid-write). Temporaries of live processes, of this one and of other targets are kept;
 * failures are ignored, since the write itself does not depend on them.
 */
async function removeStaleTemporaries(target: string): Promise<void> {
  const dir = nodePath.dirname(target);
  const prefix = `.${nodePath.basename(target)}.`;
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const m = /^(\d+)\.[0-9a-f]+$/.exec(name.slice(prefix.length, -'.tmp'.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processExists(pid)) continue;
    await fsp.rm(nodePath.join(dir, name), { force: true }).catch(() => undefined);
  }
}

/**
 * Flushes a folder's entries to disk so that a rename inside it survives a crash. Some platforms and file
 * systems (Windows, some network mounts) cannot open or fsync a folder; there the rename is as durable as
 * the system makes it, so those errors are ignored.
 */
async function syncFolder(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // See the function's comment: not every system can fsync a folder.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function isAsyncIterable(x: unknown): x is AsyncIterable<Uint8Array> {
  return typeof (x as AsyncIterable<Uint8Array>)?.[Symbol.asyncIterator] === 'function';
}

/**
 * Writes `content` (one buffer, or chunks in order, possibly produced asynchronously) to `path`
 * atomically: temporary file in the same folder, fsync, rename, fsync of the folder. If anything fails,
 * including the iterable throwing, the temporary file is removed and an existing file at `path` is left
 * as it was.
 */
export async function writeFileAtomic(path: string, content: AtomicContent): Promise<void> {
  const writer = await AtomicFileWriter.open(path);
  try {
    if (content instanceof Uint8Array) {
      await writer.write(content);
    } else if (isAsyncIterable(content)) {
      for await (const chunk of content) await writer.write(chunk);
    } else {
      for (const chunk of content) await writer.write(chunk);
    }
    await writer.commit();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

/**
 * The streaming form: opens an atomic writer for `path`, lets `produce` write to it as it goes, and
 * commits when `produce` resolves. If `produce` throws, the temporary file is removed and the error is
 * passed on.
 */
export async function withAtomicFile<T>(
  path: string,
  produce: (writer: AtomicFileWriter) => Promise<T>
): Promise<T> {
  const writer = await AtomicFileWriter.open(path);
  try {
    const result = await produce(writer);
    await writer.commit();
    return result;
  } catch (e) {
    await writer.abort();
    throw e;
  }
}
