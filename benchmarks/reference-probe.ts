/**
 * Finds a Python interpreter that can run the plain-PyTorch reference (imports torch). A missing
 * python3 or torch makes the comparison unavailable, not the run a failure.
 */
import { spawn } from 'child_process';

/** Interpreters tried when none is named: the PATH's python3, then the system one (Debian's python3-torch). */
export const DEFAULT_PYTHONS = ['python3', '/usr/bin/python3'];

export type ProbeResult = { ok: true; torch: string; python: string; interpreter: string } | { ok: false; reason: string };

function probeOne(python: string): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(python, ['-c', 'import sys, torch; print(torch.__version__); print(sys.version.split()[0])'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `${python} could not be started (${e.message})` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        const last = stderr.trim().split('\n').pop() ?? '';
        resolve({ ok: false, reason: `${python} cannot import torch (${last || `exit code ${code}`})` });
        return;
      }
      const [torch, version] = stdout.trim().split('\n');
      resolve({ ok: true, torch, python: version, interpreter: python });
    });
  });
}

/**
 * The first interpreter that runs and imports torch.
 *
 * @param candidates interpreters to try in order
 * @returns its torch and Python versions, or why none can run the reference
 */
export async function probeReference(candidates: string[]): Promise<ProbeResult> {
  const reasons: string[] = [];
  for (const python of candidates) {
    const r = await probeOne(python);
    if (r.ok) return r;
    reasons.push(r.reason);
  }
  return { ok: false, reason: reasons.join('; ') };
}
