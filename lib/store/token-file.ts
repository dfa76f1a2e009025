/**
 * An append-only file of fixed-size token records, one per item, addressed by record number. A batch is
 * appended and flushed to disk before the items that point at it are committed, so an acknowledged item
 * always finds its record; a record written by a process killed before its commit is never referenced.
 * Reads are positioned reads of the records asked for, so memory does not grow with the store.
 */
import { promises as fsp } from 'fs';
import type { FileHandle } from 'fs/promises';
import { UniAdapterError } from '../errors';
import { describeSystemError } from '../io/random-access-file';

export class TokenFile {
  private constructor(
    readonly path: string,
    readonly recordSize: number,
    private readonly handle: FileHandle,
    private records: number
  ) {}

  /**
   * Opens (creating with `write`) the file. A writer cuts a partial record left by a killed writer.
   *
   * @throws UniAdapterError ERR_IO when the file cannot be opened; ERR_FORMAT for a reader that finds a
   *   file shorter than the records the table refers to (checked by the store)
   */
  static async open(path: string, recordSize: number, write: boolean): Promise<TokenFile> {
    let handle: FileHandle;
    try {
      handle = await fsp.open(path, write ? 'a+' : 'r');
    } catch (e) {
      throw new UniAdapterError('ERR_IO', `${path}: cannot open the token file: ${describeSystemError(e)}`, { cause: e });
    }
    const size = (await handle.stat()).size;
    const records = Math.floor(size / recordSize);
    if (write && records * recordSize !== size) await handle.truncate(records * recordSize);
    return new TokenFile(path, recordSize, handle, records);
  }

  get count(): number {
    return this.records;
  }

  /** Appends `n` records (`bytes` = n · recordSize) and flushes them; returns the first record number. */
  async append(bytes: Uint8Array): Promise<number> {
    if (bytes.length % this.recordSize !== 0) throw new UniAdapterError('ERR_STATE', `${this.path}: a partial token record`);
    const first = this.records;
    try {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, first * this.recordSize + done);
        done += bytesWritten;
      }
      await this.handle.sync();
    } catch (e) {
      throw new UniAdapterError('ERR_IO', `${this.path}: cannot write token records: ${describeSystemError(e)}`, { cause: e });
    }
    this.records += bytes.length / this.recordSize;
    return first;
  }

  /** Reads one record. */
  async read(record: number, into: Uint8Array = new Uint8Array(this.recordSize)): Promise<Uint8Array> {
    const { bytesRead } = await this.handle.read(into, 0, this.recordSize, record * this.recordSize);
    if (bytesRead !== this.recordSize) {
      throw new UniAdapterError('ERR_FORMAT', `${this.path}: token record ${record} is truncated (the file is damaged; rebuild the store)`);
    }
    return into;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
