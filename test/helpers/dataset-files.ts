/** Small annotation files and media trees in a temporary folder, for the dataset reader tests. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UniAdapterError } from '../../lib/errors';

export function tempTree(prefix = 'ua-data-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes text to `root/rel`, creating folders. Returns the absolute path. */
export function put(root: string, rel: string, text: string | Buffer = ''): string {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

/** Writes a JSON value pretty-printed (one key per line, like the real BLIP files). */
export function putJson(root: string, rel: string, value: unknown): string {
  return put(root, rel, JSON.stringify(value, null, 2));
}

/** Writes JSON lines. */
export function putJsonl(root: string, rel: string, values: unknown[]): string {
  return put(root, rel, values.map((v) => JSON.stringify(v)).join('\n') + '\n');
}

/** Creates empty media files. */
export function touch(root: string, rels: string[]): void {
  for (const r of rels) put(root, r, '');
}

/** Awaits a rejection and returns it as a UniAdapterError. */
export async function rejection(p: Promise<unknown>): Promise<UniAdapterError> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof UniAdapterError)) throw e;
    return e;
  }
  throw new Error('expected a rejection');
}
