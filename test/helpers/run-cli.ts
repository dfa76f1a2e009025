/** Runs the CLI's main() in-process with in-memory streams: exit code, standard output and error. */
import { PassThrough, Readable } from 'stream';
import { main } from '../../lib/cli';

export async function runCli(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const code = await main(argv, { stdout, stderr, stdin: Readable.from(stdin ? [stdin] : []) });
  return { code, out, err };
}
