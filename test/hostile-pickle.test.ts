/**
 * Hostile .pth pickles: bombs of shared references, deep and self-containing nesting, copy loops,
 * huge integers and strided views that repeat a tiny storage. Each must end quickly with a coded error
 * (or load with bounded work), never with a heap or stack exhaustion.
 */
import * as path from 'path';
import { PthFile, MAX_OVERLAPPING_VIEW_BYTES } from '../lib/io/pth';
import { openCheckpoint } from '../lib/io/checkpoint';
import { PICKLE_LIMITS, unpickleCheckpoint } from '../lib/io/pickle';
import { UniAdapterError } from '../lib/errors';
import { expectUniAdapterError } from './helpers/expect-error';
import { makeTempDir, removeTempDir } from './helpers/weights-fixtures';
import { PickleWriter, checkpointWithEntry, endCheckpoint, fourFloats, writePth } from './helpers/pth-builder';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir('hostile-pickle');
});
afterEach(async () => {
  await removeTempDir(dir);
});

/** Writes a checkpoint whose entry `junk` is what `value` writes, and returns its path. */
async function checkpointWithJunk(value: (w: PickleWriter) => void, name = 'junk.pth'): Promise<string> {
  const w = checkpointWithEntry('junk');
  value(w);
  const file = path.join(dir, name);
  await writePth(file, endCheckpoint(w), { '0': fourFloats() });
  return file;
}

/** `levels` lists, each holding the previous one twice (memo slots 0..levels). */
function sharedListBomb(w: PickleWriter, levels: number): void {
  w.op(0x5d).put(0).op(0x30); // [] -> memo 0, popped
  for (let i = 1; i <= levels; i++) w.op(0x28).get(i - 1).get(i - 1).op(0x6c).put(i).op(0x30);
  w.get(levels);
}

describe('shared references are converted once', () => {
  test('a bomb of 80 levels of lists holding the previous list twice opens at once, sharing kept', async () => {
    const file = await checkpointWithJunk((w) => sharedListBomb(w, 80));
    const started = Date.now();
    const pth = await PthFile.open(file);
    try {
      expect(Date.now() - started).toBeLessThan(5000);
      expect(pth.names()).toEqual(['w']);
      let level = pth.extras.junk as unknown[];
      for (let i = 0; i < 80; i++) {
        expect(level).toHaveLength(2);
        // One object, referenced twice, as in the pickle (compared by identity: printing copies would not end).
        expect(level[0] === level[1]).toBe(true);
        level = level[0] as unknown[];
      }
      expect(level).toEqual([]);
    } finally {
      await pth.close();
    }
  }, 10000);

  test('a 22-level bomb keeps its sharing (an expanding reader makes 2^22 copies)', async () => {
    const file = await checkpointWithJunk((w) => sharedListBomb(w, 22));
    const pth = await PthFile.open(file);
    try {
      const top = pth.extras.junk as unknown[];
      expect(top[0] === top[1]).toBe(true);
    } finally {
      await pth.close();
    }
  }, 10000);
});

describe('nesting depth', () => {
  test(`200,000 nested lists are refused with ERR_PICKLE (limit ${PICKLE_LIMITS.maxDepth} levels)`, async () => {
    // 200k EMPTY_LISTs on the stack, then APPEND folds each into the one below it.
    const file = await checkpointWithJunk((w) => w.repeat([0x5d], 200000).repeat([0x61], 199999));
    await expectUniAdapterError(PthFile.open(file), 'ERR_PICKLE', file, "entry 'junk'", `more than ${PICKLE_LIMITS.maxDepth} levels`);
  }, 10000);

  test('a list that contains itself is refused with ERR_PICKLE', async () => {
    const file = await checkpointWithJunk((w) => w.op(0x5d).put(0).get(0).op(0x61));
    await expectUniAdapterError(PthFile.open(file), 'ERR_PICKLE', file, "entry 'junk'", 'contains itself');
  }, 10000);

  test('a list reached at two depths is measured at the deeper one', async () => {
    // memo 0: 60 nested lists; junk = [ memo0, [[...[memo0]...]] 50 deep ] -> 111 levels in all.
    const file = await checkpointWithJunk((w) => {
      w.repeat([0x5d], 60).repeat([0x61], 59).put(0).op(0x30);
      w.op(0x28).get(0).repeat([0x5d], 50).get(0).repeat([0x61], 50).op(0x6c);
    });
    await expectUniAdapterError(PthFile.open(file), 'ERR_PICKLE', `more than ${PICKLE_LIMITS.maxDepth} levels`);
  }, 10000);

  test('a run of 300,000 items appended at once is no stack overflow', () => {
    const bytes = new PickleWriter().op(0x5d, 0x28).repeat([0x4b, 0x01], 300000).op(0x65, 0x2e).bytes();
    const list = unpickleCheckpoint(bytes, 'long.pth') as number[];
    expect(list).toHaveLength(300000);
  }, 10000);
});

describe('work and size limits', () => {
  test('copying one memoised list again and again is stopped with ERR_PICKLE', () => {
    // list(x) of a 10,000-element list, 2,000 times: 2e7 copied elements for 12 KB of pickle.
    const w = new PickleWriter();
    w.op(0x5d, 0x28).repeat([0x4b, 0x07], 10000).op(0x65).put(0).op(0x30);
    w.global('builtins', 'list').put(1).op(0x30);
    w.repeat([0x68, 1, 0x68, 0, 0x85, 0x52, 0x30], 2000);
    w.get(0).op(0x2e);
    const started = Date.now();
    let caught: unknown;
    try {
      unpickleCheckpoint(w.bytes(), 'copies.pth');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UniAdapterError);
    expect((caught as UniAdapterError).code).toBe('ERR_PICKLE');
    expect((caught as UniAdapterError).message).toContain(`more than ${PICKLE_LIMITS.maxWork} opcodes and copied elements`);
    expect(Date.now() - started).toBeLessThan(5000);
  }, 10000);

  test('a 64 KB integer is refused before it is decoded', () => {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(65536);
    const bytes = Buffer.concat([Buffer.from([0x80, 0x02, 0x8b]), len, Buffer.alloc(65536, 0x7f), Buffer.from([0x2e])]);
    let caught: unknown;
    try {
      unpickleCheckpoint(bytes, 'int.pth');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UniAdapterError);
    expect((caught as UniAdapterError).code).toBe('ERR_PICKLE');
    expect((caught as UniAdapterError).message).toContain('an integer of 65536 bytes');
  }, 10000);

  test(`a data.pkl over ${PICKLE_LIMITS.maxBytes} bytes is refused before it is read`, async () => {
    const file = await checkpointWithJunk((w) => w.zeroBytes(PICKLE_LIMITS.maxBytes));
    await expectUniAdapterError(PthFile.open(file), 'ERR_PICKLE', file, `more than the ${PICKLE_LIMITS.maxBytes} accepted`);
  }, 20000);
});

describe('strided views over a tiny storage', () => {
  /** A checkpoint whose state dict holds `w` of `shape` with stride [0, 1] over 64 floats. */
  async function repeatedView(rows: number): Promise<string> {
    const w = new PickleWriter();
    w.orderedDict().op(0x28).str('w').tensor('0', 64, [rows, 64], [0, 1]).op(0x75, 0x2e);
    const file = path.join(dir, `view-${rows}.pth`);
    await writePth(file, w.bytes(), { '0': new Uint8Array(256) });
    return file;
  }

  test('[2^18, 64] with stride [0, 1] over 256 bytes: read() refuses to allocate 64 MiB', async () => {
    const file = await repeatedView(1 << 18);
    const reader = await openCheckpoint(file);
    try {
      expect(reader.info('w').shape).toEqual([1 << 18, 64]);
      await expectUniAdapterError(reader.read('w'), 'ERR_FORMAT', file, "tensor 'w'", 'stride [0, 1]', `${MAX_OVERLAPPING_VIEW_BYTES} bytes`);
    } finally {
      await reader.close();
    }
  }, 10000);

  test('[2^25, 64] (8 GiB from 256 bytes) gives ERR_FORMAT, not a RangeError', async () => {
    const file = await repeatedView(1 << 25);
    const reader = await openCheckpoint(file);
    try {
      await expectUniAdapterError(reader.read('w'), 'ERR_FORMAT', "tensor 'w'");
    } finally {
      await reader.close();
    }
  }, 10000);

  test('a small expanded view is still read (64 rows of the same 64 floats)', async () => {
    const file = await repeatedView(64);
    const reader = await openCheckpoint(file);
    try {
      const t = await reader.read('w');
      expect(t.shape).toEqual([64, 64]);
      expect(t.data.length).toBe(64 * 64);
    } finally {
      await reader.close();
    }
  }, 10000);
});
