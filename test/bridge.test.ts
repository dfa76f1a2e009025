/**
 * The addon's base: tensors cross in both directions for every dtype, bad tensors are rejected with
 * ERR_SHAPE / ERR_DTYPE, native errors become JS errors with a code (the process survives), and long
 * native work does not block the event loop.
 */
import { rawUtility as runUtility } from './helpers/raw-addon';
import { isUniAdapterError } from '../lib/errors';
import { float32, type DType, type HostTensor } from '../lib/tensor';

function sample(dtype: DType): HostTensor {
  const shape = [2, 3, 2];
  const n = 12;
  switch (dtype) {
    case 'float32':
      return { dtype, shape, data: Float32Array.from({ length: n }, (_, i) => i * 0.5 - 3.25) };
    case 'float64':
      return { dtype, shape, data: Float64Array.from({ length: n }, (_, i) => Math.PI * i - 1e-300) };
    case 'int64':
      return { dtype, shape, data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 1234567890123n - 9007199254740993n) };
    case 'int32':
      return { dtype, shape, data: Int32Array.from({ length: n }, (_, i) => i * 100000 - 2147483647) };
    case 'uint8':
      return { dtype, shape, data: Uint8Array.from({ length: n }, (_, i) => (i * 37) & 255) };
    case 'bool':
      return { dtype, shape, data: Uint8Array.from({ length: n }, (_, i) => i % 2) };
    case 'bfloat16':
    case 'float16':
      return { dtype, shape, data: Uint16Array.from({ length: n }, (_, i) => 0x3c00 + i * 7) };
  }
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(isUniAdapterError(e)).toBe(true);
    return (e as { code: string }).code;
  }
  throw new Error('expected a rejection');
}

describe('tensor bridge', () => {
  const dtypes: DType[] = ['float32', 'float64', 'int64', 'int32', 'uint8', 'bool', 'bfloat16', 'float16'];

  it.each(dtypes)('round trips %s bit for bit', async (dtype) => {
    const t = sample(dtype);
    const r = await runUtility('identity', { t });
    const back = r.tensors.t;
    expect(back.dtype).toBe(dtype);
    expect(back.shape).toEqual(t.shape);
    // (jest runs tests in another realm, so compare the kind by tag, not by constructor identity)
    expect(Object.prototype.toString.call(back.data)).toBe(Object.prototype.toString.call(t.data));
    expect(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength)).toEqual(
      Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)
    );
  });

  it('accepts raw bytes (Buffer) for any dtype and zero-sized tensors', async () => {
    const f = Float32Array.from([1, 2, 3]);
    const r = await runUtility('identity', {
      a: { dtype: 'float32', shape: [3], data: Buffer.from(f.buffer) as unknown as Uint8Array },
      e: { dtype: 'int64', shape: [0, 4], data: new BigInt64Array(0) },
    });
    expect(Array.from(r.tensors.a.data as Float32Array)).toEqual([1, 2, 3]);
    expect(r.tensors.e.shape).toEqual([0, 4]);
  });

  it('rejects a wrong byte length with ERR_SHAPE', async () => {
    await expect(code(runUtility('identity', { t: { dtype: 'float32', shape: [2, 3], data: new Float32Array(5) } }))).resolves.toBe('ERR_SHAPE');
  });

  it('rejects a bad shape with ERR_SHAPE', async () => {
    await expect(code(runUtility('identity', { t: { dtype: 'float32', shape: [2, -3], data: new Float32Array(6) } }))).resolves.toBe('ERR_SHAPE');
    await expect(code(runUtility('identity', { t: { dtype: 'float32', shape: [1.5], data: new Float32Array(1) } }))).resolves.toBe('ERR_SHAPE');
  });

  it('rejects a typed array of another kind than the dtype with ERR_DTYPE', async () => {
    await expect(code(runUtility('identity', { t: { dtype: 'float32', shape: [4], data: new Int32Array(4) as any } }))).resolves.toBe('ERR_DTYPE');
    await expect(code(runUtility('identity', { t: { dtype: 'complex64' as DType, shape: [1], data: new Float32Array(2) } }))).resolves.toBe('ERR_DTYPE');
  });

  it('rejects data that is not a typed array with ERR_ARG', async () => {
    await expect(code(runUtility('identity', { t: { dtype: 'float32', shape: [2], data: [1, 2] as any } }))).resolves.toBe('ERR_ARG');
  });
});

describe('native errors', () => {
  it('a LibTorch error becomes ERR_TORCH with a one-line message and the process goes on', async () => {
    // Half-precision matmul is not implemented on the CPU in LibTorch 1.13 (and is in 2.x: then it succeeds).
    let err: any;
    try {
      await runUtility('gemm', { }, { n: 8, iterations: 1, dtype: 'float16' });
    } catch (e) {
      err = e;
    }
    if (err) {
      expect(err.code).toBe('ERR_TORCH');
      expect(err.message).not.toMatch(/\n/);
      expect(err.message).not.toMatch(/Exception raised from/);
    }
    const again = await runUtility('gemm', {}, { n: 8, iterations: 1 });
    expect(again.info.gflops).toBeGreaterThan(0);
  });

  it('a core argument error keeps its code', async () => {
    await expect(code(runUtility('gemm', {}, { n: -5 }))).resolves.toBe('ERR_ARG');
    await expect(code(runUtility('no-such-op'))).resolves.toBe('ERR_ARG');
    await expect(code(runUtility('resize', { image: { dtype: 'float32', shape: [2, 2, 3], data: new Float32Array(12) } }, { height: 4, width: 4 }))).resolves.toBe('ERR_DTYPE');
  });

  it('bad options are rejected, not crashed on', async () => {
    await expect(code(runUtility('gemm', {}, { n: 'big' as any }))).resolves.toBe('ERR_CONFIG');
    await expect(code(runUtility('gemm', {}, { n: [1, 'a'] as any }))).resolves.toBe('ERR_ARG');
  });
});

describe('asynchronous execution', () => {
  it('keeps the event loop ticking during a long native operation', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = Date.now();
    const r = await runUtility('gemm', {}, { n: 768, iterations: 40 });
    const elapsed = Date.now() - started;
    clearInterval(timer);
    expect(r.info.gflops).toBeGreaterThan(0);
    expect(elapsed).toBeGreaterThan(100);
    // A blocked loop would tick at most once; a free one ticks about every 5 ms.
    expect(ticks).toBeGreaterThan(Math.min(10, elapsed / 20));
  });
});

describe('fork safety', () => {
  it('spawning processes while threaded matmuls run does not deadlock', async () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { spawn } = require('child_process') as typeof import('child_process');
    const run = runUtility('gemm', {}, { n: 1024, iterations: 30 });
    const spawns = Array.from({ length: 20 }, (_, i) =>
      new Promise<number>((resolve, reject) => {
        setTimeout(() => {
          const c = spawn('true');
          c.on('error', reject);
          c.on('exit', (code) => resolve(code ?? -1));
        }, i * 15);
      })
    );
    const [r, codes] = await Promise.all([run, Promise.all(spawns)]);
    expect(r.info.gflops).toBeGreaterThan(0);
    expect(codes.every((c) => c === 0)).toBe(true);
  }, 60_000);
});

describe('process lifetime', () => {
  it('a process that created several models (disposed or not) exits cleanly', () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { spawnSync } = require('child_process') as typeof import('child_process');
    const path = require('path') as typeof import('path');
    const script = [
      "import { RetrievalModel } from './lib/model/retrieval-model';",
      "import { tinyConfig } from './test/helpers/tiny-models';",
      '(async () => {',
      "  const models = await Promise.all([0, 1, 2].map(() => RetrievalModel.create(tinyConfig('retrieval'))));",
      '  await models[0].dispose();',
      '  await models[1].dispose();',
      "  process.stdout.write('ok');",
      '})();',
    ].join('\n');
    const root = path.resolve(__dirname, '..');
    const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), '--eval', script], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toBe('ok');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
  });
});

describe('names that come back from native', () => {
  it('a tensor named __proto__ is an own entry of the result, not its prototype', async () => {
    const inputs: Record<string, HostTensor> = Object.create(null);
    Object.defineProperty(inputs, '__proto__', { value: float32([1, 2, 3], [3]), enumerable: true });
    inputs.other = float32([4], [1]);
    const r = await runUtility('identity', inputs);
    expect(Object.keys(r.tensors).sort()).toEqual(['__proto__', 'other']);
    expect(Object.getPrototypeOf(r.tensors)).toBeNull();
    expect(Array.from(Object.getOwnPropertyDescriptor(r.tensors, '__proto__')?.value.data)).toEqual([1, 2, 3]);
  });
});
