import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AtomicFileWriter, withAtomicFile, writeFileAtomic } from '../lib/io/atomic';
import { expectUniAdapterError } from './helpers/expect-error';

let dir: string;

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'uniadapter-atomic-'));
});

afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});


const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('writeFileAtomic', () => {
  test('writes one buffer and leaves no temporary file', async () => {
    const file = path.join(dir, 'out.bin');
    await writeFileAtomic(file, bytes('hello'));
    expect(await fsp.readFile(file, 'utf8')).toBe('hello');
    expect(await fsp.readdir(dir)).toEqual(['out.bin']);
  });

  test('writes chunks in order and replaces an existing file', async () => {
    const file = path.join(dir, 'out.bin');
    await fsp.writeFile(file, 'old content that is longer');
    await writeFileAtomic(file, [bytes('a'), new Uint8Array(0), bytes('bc'), bytes('def')]);
    expect(await fsp.readFile(file, 'utf8')).toBe('abcdef');
    expect(await fsp.readdir(dir)).toEqual(['out.bin']);
  });

  test('writes chunks from an async iterable', async () => {
    const file = path.join(dir, 'out.bin');
    async function* produce() {
      for (let i = 0; i < 5; i++) yield bytes(String(i));
    }
    await writeFileAtomic(file, produce());
    expect(await fsp.readFile(file, 'utf8')).toBe('01234');
  });

  test('a failing producer leaves the old file untouched and removes the temporary file', async () => {
    const file = path.join(dir, 'out.bin');
    await fsp.writeFile(file, 'old');
    async function* produce() {
      yield bytes('new partial data');
      throw new Error('producer failed');
    }
    await expect(writeFileAtomic(file, produce())).rejects.toThrow('producer failed');
    expect(await fsp.readFile(file, 'utf8')).toBe('old');
    expect(await fsp.readdir(dir)).toEqual(['out.bin']);
  });

  test('a missing folder gives ERR_IO naming the file', async () => {
    const file = path.join(dir, 'no', 'such', 'out.bin');
    await expectUniAdapterError(writeFileAtomic(file, bytes('x')), 'ERR_IO', file, 'no such file');
  });

  test('a destination that is a folder gives ERR_IO and leaves no temporary file', async () => {
    const target = path.join(dir, 'taken');
    await fsp.mkdir(target);
    await fsp.writeFile(path.join(target, 'inside'), 'x');
    await expectUniAdapterError(writeFileAtomic(target, bytes('x')), 'ERR_IO', target);
    expect(await fsp.readdir(dir)).toEqual(['taken']);
  });
});

describe('withAtomicFile (streaming)', () => {
  test('commits what the producer wrote and returns its result', async () => {
    const file = path.join(dir, 'stream.bin');
    const result = await withAtomicFile(file, async (w) => {
      await w.write(bytes('part1,'));
      expect(await fsp.readdir(dir)).not.toContain('stream.bin'); // nothing visible before commit
      await w.write(bytes('part2'));
      return w.bytesWritten;
    });
    expect(result).toBe(11);
    expect(await fsp.readFile(file, 'utf8')).toBe('part1,part2');
    expect(await fsp.readdir(dir)).toEqual(['stream.bin']);
  });

  test('a throwing producer leaves nothing behind', async () => {
    const file = path.join(dir, 'stream.bin');
    await expect(
      withAtomicFile(file, async (w) => {
        await w.write(bytes('partial'));
        throw new Error('stop');
      })
    ).rejects.toThrow('stop');
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  test('a writer cannot be used after it was committed or aborted', async () => {
    const writer = await AtomicFileWriter.open(path.join(dir, 'w.bin'));
    await writer.write(bytes('x'));
    await writer.commit();
    await expectUniAdapterError(writer.write(bytes('y')), 'ERR_STATE', 'committed');
    const aborted = await AtomicFileWriter.open(path.join(dir, 'a.bin'));
    await aborted.abort();
    await aborted.abort();
    await expectUniAdapterError(aborted.commit(), 'ERR_STATE', 'aborted');
    expect(await fsp.readdir(dir)).toEqual(['w.bin']);
  });
});
