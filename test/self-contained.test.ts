/**
 * A plain clone runs everything: nothing in test/, lib/, scripts/, benchmarks/ or .ci/ reaches for a
 * folder beside the repository (the golden fixtures live in test/fixtures/).
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const FOLDERS = ['test', 'lib', 'scripts', 'benchmarks', '.ci'];
const TEXT = /\.(ts|js|sh|py|json|yaml|md)$|^run$/;

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || p === path.join(ROOT, 'test', 'fixtures') ? [] : files(p);
    return TEXT.test(e.name) ? [p] : [];
  });
}

it('no source refers to a folder outside the repository', () => {
  const outside = /(\.\.\/)+shared\b|\/work\/shared|SHARED_DIR/;
  const hits = FOLDERS.flatMap((f) => files(path.join(ROOT, f)))
    .filter((f) => f !== __filename)
    .flatMap((f) =>
      fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${path.relative(ROOT, f)}:${i + 1}`, line }))
        .filter((l) => outside.test(l.line))
    )
    .map((l) => `${l.where}: ${l.line.trim()}`);
  expect(hits).toEqual([]);
});

it('the golden fixtures are inside the repository', () => {
  for (const c of ['caption', 'retrieval', 'retrieval-video', 'train-step', 'train-step-video', 'vqa']) {
    expect(fs.existsSync(path.join(ROOT, 'test', 'fixtures', 'golden-tiny', c, 'outputs.safetensors'))).toBe(true);
  }
});
