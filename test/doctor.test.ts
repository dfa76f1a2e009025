/** `uniadapter doctor --json` prints valid JSON with every field it promises. */
import { Readable, Writable } from 'stream';
import { main } from '../lib/cli';

async function run(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const stdout = new Writable({ write(c, _e, cb) { out += c.toString(); cb(); } });
  const stderr = new Writable({ write(_c, _e, cb) { cb(); } });
  const code = await main(args, { stdout, stderr, stdin: Readable.from([]) });
  return { code, out };
}

describe('uniadapter doctor', () => {
  it('--json reports LibTorch, CUDA, BLAS, threads and the binary', async () => {
    const { code, out } = await run(['doctor', '--json']);
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(r.libtorch.version).toMatch(/^\d+\.\d+/);
    expect(r.libtorch.library).toMatch(/libtorch_cpu\.so/);
    expect(typeof r.libtorch.distributed).toBe('boolean');
    expect(typeof r.cuda.available).toBe('boolean');
    expect(Array.isArray(r.cuda.devices)).toBe(true);
    expect(r.cuda.deviceCount).toBe(r.cuda.devices.length);
    expect(['openblas-pthread', 'openblas-openmp', 'openblas', 'mkl', 'blis', 'reference', 'bundled', 'unknown']).toContain(r.blas.kind);
    expect(r.blas.gflopsMeasured).toBeGreaterThan(0);
    expect(r.threads.intraop).toBeGreaterThanOrEqual(1);
    expect(r.threads.recommendedIntraop).toBeGreaterThanOrEqual(1);
    expect(['local-build', 'prebuild']).toContain(r.binary.kind);
    expect(Array.isArray(r.warnings)).toBe(true);
    if (r.blas.kind === 'reference') expect(r.warnings.join(' ')).toMatch(/libopenblas0-pthread/);
  });

  it('prints a readable report', async () => {
    const { code, out } = await run(['doctor', '--no-measure']);
    expect(code).toBe(0);
    expect(out).toMatch(/LibTorch\s+\d/);
    expect(out).toMatch(/BLAS\s+\S+/);
  });
});
