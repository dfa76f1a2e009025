/**
 * Atomic file writes: the bytes go to a temporary file in the destination's folder, which is flushed
 * to disk and then renamed over the destination, so a reader sees either the old file or the complete
 * new one, never a half-written file, even after a crash. Every file uniadapter writes goes through here.
 */
import { promises as fsp } from 'fs';
import type { FileHandle } from 'fs/promises';
import * as nodePath from 'path';
import { randomBytes } from 'crypto';
import { UniAdapterError } from '../errors';
import { describeSystemError } from './random-access-file';

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
    /** The destination path. */
    readonly path: string,
    /** The temporary file, in the same folder as the destination so that the rename is atomic. */
    readonly tempPath: string,
    private readonly handle: FileHandle
  ) {}

  /** Creates the temporary file next to `path`. */
  static async open(path: string): Promise<AtomicFileWriter> {
    const dir = nodePath.dirname(path);
    const tempPath = nodePath.join(
      dir,
      `.${nodePath.basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
    );
    let handle: FileHandle;
    try {
      handle = await fsp.open(tempPath, 'wx');
    } catch (e) {
      throw new UniAdapterError('ERR_IO', `${path}: cannot write: ${describeSystemError(e)}`, { cause: e });
    }
    return new AtomicFileWriter(path, tempPath, handle);
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
      await fsp.rename(this.tempPath, this.path);
    } catch (e) {
      await this.abort();
      throw new UniAdapterError('ERR_IO', `${this.path}: cannot write: ${describeSystemError(e)}`, { cause: e });
    }
    this.state = 'committed';
    await syncFolder(nodePath.dirname(this.path));
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
