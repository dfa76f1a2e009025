/** `uniadapter tokenize` through main() with in-memory streams. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli as runMain } from './helpers/run-cli';

const runCli = (args: string[], stdin: string) => runMain(['tokenize', ...args], stdin);

const lines = (s: string) => s.split('\n').filter((l) => l !== '');

describe('uniadapter tokenize', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-cli-tok-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints one JSON array of ids per input line', async () => {
    const r = await runCli([], 'Hello world!\nWhat is [ENC] this?\n\nlast line without newline');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(lines(r.out).map((l) => JSON.parse(l))).toEqual([
      [101, 7592, 2088, 999, 102],
      [101, 2054, 2003, 30523, 2023, 1029, 102],
      [101, 102],
      [101, 2197, 2240, 2302, 2047, 4179, 102],
    ]);
  });

  it('accepts CRLF input', async () => {
    const r = await runCli([], 'Hello\r\nworld\r\n');
    expect(lines(r.out)).toEqual(['[101,7592,102]', '[101,2088,102]']);
  });

  it('--json prints text, ids and tokens', async () => {
    const r = await runCli(['--json'], "don't\n");
    expect(r.code).toBe(0);
    expect(JSON.parse(lines(r.out)[0])).toEqual({
      text: "don't",
      ids: [101, 2123, 1005, 1056, 102],
      tokens: ['[CLS]', 'don', "'", 't', '[SEP]'],
    });
  });

  it('--max-length truncates; with --pad it pads to that length', async () => {
    const text = 'a dog sitting on the grass near a tree';
    const cut = await runCli(['--max-length', '5'], text + '\n');
    expect(JSON.parse(lines(cut.out)[0])).toEqual([101, 1037, 3899, 3564, 102]);
    const padded = await runCli(['--max-length', '8', '--pad', '--json'], 'a dog\n' + text + '\n');
    const rows = lines(padded.out).map((l) => JSON.parse(l) as { ids: number[]; tokens: string[] });
    expect(rows[0].ids).toEqual([101, 1037, 3899, 102, 0, 0, 0, 0]);
    expect(rows[0].tokens.slice(4)).toEqual(['[PAD]', '[PAD]', '[PAD]', '[PAD]']);
    expect(rows[1].ids).toHaveLength(8);
    expect(rows[1].ids[7]).toBe(102);
  });

  it('--vocab uses another vocabulary', async () => {
    const vocab = path.join(dir, 'tiny.json');
    fs.writeFileSync(vocab, JSON.stringify(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'dog', '##s', '[DEC]', '[ENC]']));
    const r = await runCli(['--vocab', vocab], 'A dogs cat\n');
    expect(r.code).toBe(0);
    expect(JSON.parse(lines(r.out)[0])).toEqual([2, 5, 6, 7, 1, 3]);
  });

  it('reports bad usage with a code and exit status 1', async () => {
    const noMax = await runCli(['--pad'], 'x\n');
    expect(noMax.code).toBe(1);
    expect(noMax.err).toContain('--pad needs --max-length');
    expect(noMax.err).toContain('[ERR_ARG]');
    const badMax = await runCli(['--max-length', 'ten'], 'x\n');
    expect(badMax.err).toContain('[ERR_ARG]');
    const tooSmall = await runCli(['--max-length', '1'], 'x\n');
    expect(tooSmall.err).toContain('at least 2');
    const unknown = await runCli(['--frobnicate'], 'x\n');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('[ERR_ARG]');
    const missing = await runCli(['--vocab', path.join(dir, 'nope.txt')], 'x\n');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('[ERR_IO]');
    expect(missing.out).toBe('');
  });

  it('prints its usage with --help', async () => {
    const r = await runCli(['--help'], '');
    expect(r.code).toBe(0);
    expect(r.out).toContain('uniadapter tokenize');
  });
});
