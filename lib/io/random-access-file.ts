/**
 * Positional reads from a file through an fs.promises handle, with errors that name the file. The
 * checkpoint readers use it to pull single tensors out of files far larger than memory.
 */
import { promises as fsp } from 'fs';
import type { FileHandle } from 'fs/promises';
import { UniAdapterError } from '../errors';
import { READ_NONBLOCKING, notRegularFile, statRegularFile } from './regular-file';

/** The largest length handed to one `read` call (Node rejects reads of 2 GiB or more). */
const MAX_READ_CHUNK = 1 << 30;

/** Says what went wrong in a system error (`ENOENT` ...) in words a user can act on. */
export function describeSystemError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EROFS':
      return 'the file system is read-only';
    default:
      return typeof err?.message === 'string' ? err.message : String(e);
  }
}

/** A file opened for random-access reading. Close it when done. */
export class RandomAccessFile {
  private closed = false;

  private constructor(
    /** The path as the caller gave it; every error message starts with it. */
    readonly path: string,
    /** The file size in bytes at the time it was opened. */
    readonly size: number,
    private readonly handle: FileHandle
  ) {}

  /**
   * Opens `path` for reading; a missing or unreadable file, or anything but a regular file (a folder,
   * a named pipe, a socket, a device), gives ERR_IO naming it, before anything could block on it.
   * `what` names the expected kind of file in the message ('checkpoint', 'image', ...).
   */
  static async open(path: string, what = 'file'): Promise<RandomAccessFile> {
    await statRegularFile(path, describeSystemError, what);
    let handle: FileHandle;
    try {
      handle = await fsp.open(path, READ_NONBLOCKING);
    } catch (e) {
      throw new UniAdapterError('ERR_IO', `${path}: cannot open: ${describeSystemError(e)}`, { cause: e });
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw notRegularFile(path, stat, what);
      return new RandomAccessFile(path, stat.size, handle);
    } catch (e) {
      await handle.close().catch(() => undefined);
      if (e instanceof UniAdapterError) throw e;
      throw new UniAdapterError('ERR_IO', `${path}: cannot read: ${describeSystemError(e)}`, { cause: e });
    }
  }

  /**
   * Reads `length` bytes at `position` into a fresh buffer of its own (offset 0, so any typed array
   * view over it is aligned). `what` names the thing being read for the truncation message.
   */
  async read(position: number, length: number, what: string): Promise<Uint8Array> {
    const out = new Uint8Array(new ArrayBuffer(length));
    await this.readInto(out, position, what);
    return out;
  }

  /** Fills `target` completely from `position` on; a file that ends early gives ERR_FORMAT. */
  async readInto(target: Uint8Array, position: number, what: string): Promise<void> {
    if (this.closed) {
      throw new UniAdapterError('ERR_STATE', `${this.path}: the file was already closed`);
    }
    const end = position + target.byteLength;
    if (position < 0 || end > this.size) {
      throw this.truncated(position, end, what);
    }
    let done = 0;
    while (done < target.byteLength) {
      const chunk = Math.min(target.byteLength - done, MAX_READ_CHUNK);
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.handle.read(target, done, chunk, position + done));
      } catch (e) {
        throw new UniAdapterError('ERR_IO', `${this.path}: cannot read ${what}: ${describeSystemError(e)}`, {
          cause: e,
        });
      }
      if (bytesRead === 0) {
        // The size check above passed, so the file shrank after it was opened.
        throw this.truncated(position, end, what);
      }
      done += bytesRead;
    }
  }

  /** The error for a read past the end of the file. */
  truncated(begin: number, end: number, what: string): UniAdapterError {
    return new UniAdapterError(
      'ERR_FORMAT',
      `${this.path}: ${what} needs bytes ${begin}..${end} but the file has ${this.size} bytes (truncated?)`
    );
  }

  /** Reads the whole file (only for files known to be small enough to hold in memory). */
  async readAll(what: string): Promise<Uint8Array> {
    return this.read(0, this.size, what);
  }

  /** Closes the handle; calling it twice is harmless. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}
