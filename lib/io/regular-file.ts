/**
 * The check that a path names a regular file, made before anything opens it. Opening a named pipe
 * (FIFO) for reading blocks until some process writes to it, which may be never, and holds a thread
 * of Node's pool while it waits; sockets and devices stream without end. So every file uniadapter
 * reads (checkpoints, adapters, galleries, images, videos) is checked first, and opened without
 * blocking so that a file swapped for a pipe between the check and the open is caught too.
 */
import { constants as fsConstants, promises as fsp, type Stats } from 'fs';
import { UniAdapterError } from '../errors';

/** Open flags for reading that never wait on a FIFO (O_NONBLOCK does nothing to regular files). */
export const READ_NONBLOCKING = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0);

/** What a non-regular file is, in words. */
export function fileKind(stat: Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a file';
}

/** The ERR_IO for a path that exists but is not a regular file. */
export function notRegularFile(path: string, stat: Stats, what = 'file'): UniAdapterError {
  return new UniAdapterError(
    'ERR_IO',
    `${path}: cannot open: it is ${fileKind(stat)}, not a regular file; give the path of a ${what} on disk`
  );
}

/**
 * The stat of `path` (symbolic links followed) when it is a regular file; ERR_IO naming the path
 * when it is missing, unreadable, or a folder, pipe, socket or device. `describe` turns a system
 * error into words.
 */
export async function statRegularFile(path: string, describe: (e: unknown) => string, what = 'file'): Promise<Stats> {
  let stat: Stats;
  try {
    stat = await fsp.stat(path);
  } catch (e) {
    throw new UniAdapterError('ERR_IO', `${path}: cannot open: ${describe(e)}`, { cause: e });
  }
  if (!stat.isFile()) throw notRegularFile(path, stat, what);
  return stat;
}
