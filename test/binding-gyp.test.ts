/**
 * binding.gyp is a real build path: node-gyp (no CMake) builds the addon from the same sources,
 * defines and LibTorch location as CMake (both come from scripts/build-config.js), and the result
 * loads and runs a model.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

jest.setTimeout(1_200_000);

const ROOT = path.resolve(__dirname, '..');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const buildConfig = require('../scripts/build-config.js') as { sources(): string[] };

describe('node-gyp build (binding.gyp)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-gyp-'));
  beforeAll(() => {
    for (const f of ['binding.gyp', 'package.json']) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    fs.cpSync(path.join(ROOT, 'scripts'), path.join(dir, 'scripts'), { recursive: true });
    fs.cpSync(path.join(ROOT, 'native'), path.join(dir, 'native'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  });

  it('configures with exactly the sources CMake builds', () => {
    const r = spawnSync(process.execPath, [require.resolve('node-gyp/bin/node-gyp.js'), 'configure', '--nodedir=/usr'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const mk = fs.readFileSync(path.join(dir, 'build', 'uniadapter.target.mk'), 'utf8');
    const objects = [...mk.matchAll(/\$\(obj\)\.target\/\$\(TARGET\)\/(\S+)\.o/g)].map((m) => `${m[1]}.cpp`).sort();
    expect(objects).toEqual(buildConfig.sources().slice().sort());
    expect(mk).toMatch(/-DNAPI_VERSION=8/);
    expect(mk).toMatch(/-std=c\+\+20/);
  });

  it('builds, and the binary loads and runs a model', () => {
    // The compile runs at the lowest priority: the other jest worker's model runs keep the cores, as a
    // compile at normal priority slowed them fivefold on two cores and timed a suite out.
    const gyp = [require.resolve('node-gyp/bin/node-gyp.js'), 'build', '--nodedir=/usr', '-j', String(Math.min(2, os.cpus().length))];
    const build = spawnSync('nice', ['-n', '19', process.execPath, ...gyp], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (build.status !== 0) throw new Error(`node-gyp build failed:\n${build.stderr.slice(-4000)}`);
    const binary = path.join(dir, 'build', 'Release', 'uniadapter.node');
    const script = [
      `const b = require(${JSON.stringify(binary)});`,
      '(async () => {',
      "  const m = await b.createModel({ task: 'retrieval', vision: { imageSize: 32, patchSize: 16, width: 32, depth: 1, heads: 2, mlpHidden: 64 },",
      "    text: { vocabSize: 50, hidden: 32, layers: 1, heads: 2, intermediate: 64, maxPosition: 16 }, petl: { bottleneck: 8, kvBottleneck: 4 }, embedDim: 8, queueSize: 4 });",
      "  const r = await m.run('encode_image', { pixels: { dtype: 'float32', shape: [1, 3, 32, 32], data: new Float32Array(3072) } }, {});",
      "  await m.dispose();",
      "  console.log(JSON.stringify(r.tensors.image_feat.shape));",
      '})().catch((e) => { console.error(e); process.exit(1); });',
    ].join('\n');
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('[1,8]');
  });
});
