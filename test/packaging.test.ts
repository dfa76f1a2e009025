/**
 * Packaging: prebuildify (through the cmake-js shim) writes prebuilds/linux-x64; `npm pack` ships it
 * (its prepack step makes the prebuild, so a fresh clone packs a binary too); installing the tarball
 * into an empty folder loads that prebuild with nothing compiled.
 *
 * Everything is built and packed in a temporary copy of the package: other test processes have the
 * repository's build/Release binary loaded, and rebuilding it under them can crash them.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The package's sources in a fresh folder (no build/, no prebuilds/), sharing the repository's node_modules. */
function copyPackage(dest: string): void {
  const entries = ['package.json', 'package-lock.json', 'README.md', 'CMakeLists.txt', 'binding.gyp', 'tsconfig.json', 'tsconfig.build.json', 'native', 'scripts', 'lib', 'configs', 'models'];
  fs.mkdirSync(dest, { recursive: true });
  for (const e of entries) fs.cpSync(path.join(ROOT, e), path.join(dest, e), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dest, 'node_modules'), 'dir');
}

describe('pack, install, load (in a temporary copy)', () => {
  jest.setTimeout(1_200_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-pack-'));
  const pkg = path.join(tmp, 'uniadapter');
  const repoBinary = path.join(ROOT, 'build', 'Release', 'uniadapter.node');
  const before = fs.existsSync(repoBinary) ? fs.statSync(repoBinary).mtimeMs : undefined;
  beforeAll(() => copyPackage(pkg));

  it('a source install says in one plain line that it builds, with no stack trace', () => {
    const r = spawnSync(process.execPath, ['scripts/install.js'], { cwd: pkg, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const first = r.stderr.split('\n')[0];
    expect(first).toMatch(/^uniadapter: no prebuilt binary loads on this machine \(linux-x64, Node ABI \d+\); building from source/);
    expect(r.stderr + r.stdout).not.toMatch(/No native build was found|^\s+at /m);
    expect(fs.statSync(path.join(pkg, 'build', 'Release', 'uniadapter.node')).size).toBeGreaterThan(100_000);
  });

  let tarball = '';
  it('npm pack makes the prebuild and ships it with the compiled TypeScript and the build files', () => {
    expect(fs.existsSync(path.join(pkg, 'prebuilds'))).toBe(false);
    const stdout = run('npm', ['pack', '--json', '--pack-destination', tmp], pkg);
    // The prepack step's build log comes first; the JSON report is the last thing printed.
    const out = JSON.parse(stdout.slice(stdout.search(/^\[\s*\{/m)));
    const prebuild = path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`, 'uniadapter.node');
    expect(fs.statSync(prebuild).size).toBeGreaterThan(100_000);
    const files: string[] = out[0].files.map((f: { path: string }) => f.path);
    expect(files).toContain(`prebuilds/${process.platform}-${process.arch}/uniadapter.node`);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('CMakeLists.txt');
    expect(files).toContain('binding.gyp');
    expect(files).toContain('scripts/build-config.js');
    expect(files).toEqual(expect.arrayContaining(['lib/serve/page/index.html', 'lib/serve/page/app.js'])); // the service's search page
    expect(files.some((f) => f.startsWith('test/'))).toBe(false);
    // The embedded pretrained backbone, and the VQA one that holds only its difference from it.
    expect(files).toEqual(expect.arrayContaining(['models/demo-blip.safetensors', 'models/demo-blip.json', 'models/demo-blip-vqa.safetensors', 'models/demo-blip-vqa.json']));
    tarball = path.join(tmp, out[0].filename);
    expect(fs.existsSync(tarball)).toBe(true);
  });

  it('installs into an empty folder and loads the prebuild without compiling', () => {
    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app);
    const installed = path.join(app, 'node_modules', 'uniadapter');
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
    const script = [
      "const u = require('uniadapter');",
      "(async () => {",
      "  const r = await u.runtimeReport({ measure: false });",
      "  const m = await u.createModel({ task: 'retrieval', vision: { imageSize: 32, patchSize: 16, width: 32, depth: 1, heads: 2, mlpHidden: 64 },",
      "    text: { vocabSize: 50, hidden: 32, layers: 1, heads: 2, intermediate: 64, maxPosition: 16 }, petl: { method: 'uniadapter', bottleneck: 8, kvBottleneck: 4 }, embedDim: 8, queueSize: 4 });",
      "  const info = await m.parameterInfo();",
      "  await m.dispose();",
      "  const embedded = await u.embeddedModel();",
      "  const vqa = await u.embeddedModel('vqa');",
      "  console.log(JSON.stringify({ binary: u.binarySource(), torch: r.libtorch.version, trainable: info.counts.trainable, embedded: embedded.weights, sha256: embedded.manifest.sha256, vqa: vqa.weights, vqaBase: vqa.manifest.base }));",
      "})().catch((e) => { console.error(e); process.exit(1); });",
    ].join('\n');
    const out = JSON.parse(run(process.execPath, ['-e', script], app).trim().split('\n').pop() as string);
    expect(out.binary.kind).toBe('prebuild');
    expect(out.binary.path).toContain(path.join('node_modules', 'uniadapter', 'prebuilds'));
    expect(out.trainable).toBeGreaterThan(0);
    // The embedded backbone is installed with the package, and verified against its manifest.
    expect(out.embedded).toBe(path.join(fs.realpathSync(installed), 'models', 'demo-blip.safetensors'));
    expect(out.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(out.vqa).toBe(path.join(fs.realpathSync(installed), 'models', 'demo-blip-vqa.safetensors'));
    expect(out.vqaBase).toMatchObject({ file: 'demo-blip.safetensors', sha256: out.sha256 });
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
  });

  it("left the repository's own binary untouched", () => {
    if (before !== undefined) expect(fs.statSync(repoBinary).mtimeMs).toBe(before);
  });
});
