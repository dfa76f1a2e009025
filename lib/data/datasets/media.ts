/**
 * Media files named by annotation records: resolving a name against the configured root, and the
 * optional eager check that the files exist.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import { UniAdapterError } from '../../errors';
import type { BadRecordLog } from './bad-records';
import type { Located } from './annotation-file';

/** Extensions recognised as video files when a record names a video without one. */
export const VIDEO_EXTENSIONS: readonly string[] = ['.mp4', '.mkv', '.webm', '.avi', '.mov', '.m4v', '.mpg', '.mpeg', '.3gp', '.flv', '.wmv'];

/** Options shared by every annotation reader. */
export interface MediaOptions {
  /** Folder that the image/video names of the records are relative to. */
  mediaRoot: string;
  /**
   * Check that every media file exists while reading (default false: a missing file is found when
   * the record is loaded, and is then a bad record of the data loader).
   */
  checkFiles?: boolean;
  /** Parallel file checks when `checkFiles` is on (default 32). */
  checkConcurrency?: number;
}

/** Joins a record's media name to the root (absolute names are kept as they are). */
export function resolveMedia(root: string, name: string): string {
  return path.resolve(root, name);
}

/**
 * The path of a video named by a record: names with a known video extension are used as they are;
 * names without one get `defaultExtension` (".mp4", the MSR-VTT convention) appended.
 */
export function resolveVideo(root: string, name: string, defaultExtension = '.mp4'): string {
  const ext = path.extname(name).toLowerCase();
  return resolveMedia(root, VIDEO_EXTENSIONS.includes(ext) ? name : name + defaultExtension);
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await fsp.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Finds a video for a name without extension by trying the known extensions in turn. */
async function findVideoAlternative(file: string): Promise<string | undefined> {
  const base = file.slice(0, file.length - path.extname(file).length);
  for (const ext of VIDEO_EXTENSIONS) {
    if (await exists(base + ext)) return base + ext;
  }
  return undefined;
}

/**
 * With `checkFiles`, keeps only the records whose media files exist and reports the others to
 * `log` as bad records ("media file not found"). For videos named without an extension, other known
 * extensions are tried and the path is corrected in place via `setPath`.
 */
export async function checkMediaFiles<T>(
  items: Array<Located<T>>,
  paths: (record: T) => string[],
  log: BadRecordLog,
  options: MediaOptions & { video?: boolean; setPath?: (record: T, from: string, to: string) => void }
): Promise<Array<Located<T>>> {
  if (!options.checkFiles) return items;
  const limit = options.checkConcurrency ?? 32;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new UniAdapterError('ERR_ARG', `checkConcurrency must be a positive integer, got ${limit}`);
  }
  const cache = new Map<string, Promise<string | undefined>>();
  const lookup = (file: string): Promise<string | undefined> => {
    let p = cache.get(file);
    if (p === undefined) {
      p = exists(file).then((ok) => (ok ? file : options.video ? findVideoAlternative(file) : undefined));
      cache.set(file, p);
    }
    return p;
  };
  const missing = new Array<string | undefined>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const rec = items[i].value;
      for (const file of paths(rec)) {
        const found = await lookup(file);
        if (found === undefined) {
          missing[i] = file;
          break;
        }
        if (found !== file) options.setPath?.(rec, file, found);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  const kept: Array<Located<T>> = [];
  items.forEach((it, i) => {
    const file = missing[i];
    if (file === undefined) kept.push(it);
    else log.report(it.loc, `media file not found: '${file}'`);
  });
  return kept;
}
