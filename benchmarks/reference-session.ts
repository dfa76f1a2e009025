/**
 * A running plain-PyTorch reference (benchmarks/reference/blip_reference.py --serve): one Python
 * process for the whole run, asked to time one computation right after the suite timed its own, so
 * that both sides see the same machine load. Requests are answered one JSON line each.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import * as path from 'path';
import type { ResolvedModelConfig } from '../lib/config/model-config';
import type { ReferenceCase, ReferenceCaseOutput, ReferenceInit, ReferenceVersions } from './reference-spec';

export const REFERENCE_SCRIPT = path.join(__dirname, 'reference', 'blip_reference.py');

export class ReferenceSession {
  private stdoutBuffer = '';
  private stderrTail = '';
  private waiting: { resolve: (line: string) => void; reject: (e: Error) => void } | undefined;
  private exited: Error | undefined;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    onLog: (line: string) => void
  ) {
    let pendingErr = '';
    child.stdout.on('data', (c: Buffer) => {
      this.stdoutBuffer += c.toString('utf8');
      this.deliver();
    });
    child.stderr.on('data', (c: Buffer) => {
      const text = c.toString('utf8');
      this.stderrTail = (this.stderrTail + text).slice(-8000);
      pendingErr += text;
      const lines = pendingErr.split('\n');
      pendingErr = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) onLog(l);
    });
    const fail = (e: Error) => {
      this.exited = e;
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(e);
    };
    child.on('error', (e) => fail(new Error(`the reference process failed: ${e.message}`)));
    child.on('close', (code, signal) => fail(new Error(`the reference exited (${signal ?? `code ${code}`}): ${this.stderrTail.trim().split('\n').slice(-4).join(' | ')}`)));
  }

  /** Hands the next complete stdout line to the request waiting for it. */
  private deliver(): void {
    const nl = this.stdoutBuffer.indexOf('\n');
    if (nl < 0 || !this.waiting) return;
    const line = this.stdoutBuffer.slice(0, nl);
    this.stdoutBuffer = this.stdoutBuffer.slice(nl + 1);
    const w = this.waiting;
    this.waiting = undefined;
    w.resolve(line);
  }

  /** Python, torch and thread settings of the running reference. */
  versions!: ReferenceVersions;

  /**
   * Starts the reference and applies the run's thread settings.
   *
   * @param interpreter a Python that imports torch (see probeReference)
   * @param onLog receives the reference's progress lines
   */
  static async start(interpreter: string, init: ReferenceInit, onLog: (line: string) => void): Promise<ReferenceSession> {
    const child = spawn(interpreter, [REFERENCE_SCRIPT, '--serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const s = new ReferenceSession(child, onLog);
    s.versions = JSON.parse(await s.request(init, 120000)) as ReferenceVersions;
    return s;
  }

  private request(message: unknown, timeoutMs: number): Promise<string> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        this.child.kill('SIGKILL');
        reject(new Error(`the reference gave no answer within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.waiting = {
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.child.stdin.write(JSON.stringify(message) + '\n');
      this.deliver();
    });
  }

  /**
   * Times one computation (the reference builds the model of `model` unless it holds it already).
   *
   * @throws Error when the process died or did not answer in time
   */
  async run(c: ReferenceCase, model: ResolvedModelConfig, timeoutMs: number): Promise<ReferenceCaseOutput> {
    return JSON.parse(await this.request({ case: c, model }, timeoutMs)) as ReferenceCaseOutput;
  }

  /** Lets the reference free its model (memory for what follows). */
  async release(): Promise<void> {
    if (!this.exited) await this.request({ release: true }, 60000);
  }

  /** Ends the process (closing its input ends its loop). */
  async close(): Promise<void> {
    if (this.exited) return;
    await new Promise<void>((resolve) => {
      this.child.once('close', () => resolve());
      this.child.stdin.end();
    });
  }
}
