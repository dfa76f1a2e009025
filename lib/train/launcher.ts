/**
 * Multi-process launcher (`uniadapter train --nproc N`): starts one process per rank with the
 * torchrun-style environment (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), prefixes the
 * output of ranks > 0, and supervises them: when one fails, every other is stopped and the launcher
 * says which rank failed and how.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as net from 'net';
import { UniAdapterError } from '../errors';

export interface LaunchOptions {
  nproc: number;
  /** The command run by every rank (default: this Node process's own script and flags). */
  command?: string;
  args: string[];
  masterAddr?: string;
  masterPort?: number;
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Grace period between SIGTERM and SIGKILL when stopping the others. */
  killAfterMs?: number;
}

/** A free TCP port on the loopback interface. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function pipeWithPrefix(from: NodeJS.ReadableStream | null, to: NodeJS.WritableStream, prefix: string): void {
  if (!from) return;
  let pending = '';
  from.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) to.write(`${prefix}${l}\n`);
  });
  from.on('end', () => {
    if (pending) to.write(`${prefix}${pending}\n`);
  });
}

/** Runs the ranks to completion; resolves with 0 when all succeed, else 1 (after stopping the rest). */
export async function launch(options: LaunchOptions): Promise<number> {
  const { nproc } = options;
  if (!Number.isInteger(nproc) || nproc < 1) throw new UniAdapterError('ERR_ARG', `--nproc must be a positive integer, got ${nproc}`);
  const addr = options.masterAddr ?? '127.0.0.1';
  const port = options.masterPort ?? (await freePort(addr));
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const command = options.command ?? process.execPath;
  const children: ChildProcess[] = [];
  let failed: { rank: number; how: string } | undefined;
  const stopOthers = (except: number) => {
    for (let r = 0; r < children.length; r++) {
      const c = children[r];
      if (r === except || c.exitCode !== null || c.signalCode !== null) continue;
      c.kill('SIGTERM');
      setTimeout(() => {
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }, options.killAfterMs ?? 5000).unref();
    }
  };
  const onSignal = () => stopOthers(-1);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const exits = Array.from({ length: nproc }, (_, rank) => {
      const child = spawn(command, options.args, {
        env: {
          ...process.env,
          ...options.env,
          RANK: String(rank),
          LOCAL_RANK: String(rank),
          WORLD_SIZE: String(nproc),
          MASTER_ADDR: addr,
          MASTER_PORT: String(port),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      pipeWithPrefix(child.stdout, stdout, rank === 0 ? '' : `[rank ${rank}] `);
      pipeWithPrefix(child.stderr, stderr, rank === 0 ? '' : `[rank ${rank}] `);
      return new Promise<void>((resolve) => {
        child.on('exit', (code, signal) => {
          if ((code !== 0 || signal) && !failed) {
            failed = { rank, how: signal ? `was killed by ${signal}` : `exited with code ${code}` };
            stderr.write(`uniadapter train: process rank ${rank} ${failed.how}; stopping the other ${nproc - 1} process(es)\n`);
            stopOthers(rank);
          }
          resolve();
        });
        child.on('error', (e) => {
          if (!failed) {
            failed = { rank, how: `could not start (${e.message})` };
            stderr.write(`uniadapter train: process rank ${rank} ${failed.how}\n`);
            stopOthers(rank);
          }
          resolve();
        });
      });
    });
    await Promise.all(exits);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  return failed ? 1 : 0;
}
