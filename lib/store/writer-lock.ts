/**
 * One writer at a time: a lock file created exclusively, holding the writer's pid. A lock whose process
 * no longer exists (a killed writer) is taken over.
 */
import { promises as fsp } from 'fs';
import { UniAdapterError } from '../errors';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class WriterLock {
  private constructor(readonly path: string) {}

  /** @throws UniAdapterError ERR_STATE when a live process holds the lock */
  static async acquire(path: string): Promise<WriterLock> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const h = await fsp.open(path, 'wx');
        await h.writeFile(String(process.pid));
        await h.close();
        return new WriterLock(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UniAdapterError('ERR_IO', `${path}: cannot create the writer lock: ${(e as Error).message}`);
      }
      const pid = Number((await fsp.readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new UniAdapterError('ERR_STATE', `the store is being written by process ${pid} (${path}); one writer at a time — readers may open it meanwhile`);
      }
      if (pid === process.pid) throw new UniAdapterError('ERR_STATE', `this process already holds the store's writer lock (${path}); use that writer`);
      await fsp.rm(path, { force: true }); // stale: its writer is gone
    }
    throw new UniAdapterError('ERR_STATE', `cannot take the writer lock ${path}`);
  }

  async release(): Promise<void> {
    await fsp.rm(this.path, { force: true });
  }
}
