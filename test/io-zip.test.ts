import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ZipArchive, crc32 } from '../lib/io/zip';
import { expectUniAdapterError } from './helpers/expect-error';

const GOLDEN = path.resolve(__dirname, 'fixtures', 'golden-tiny');
const RETRIEVAL_PTH = path.join(GOLDEN, 'retrieval/weights.pth');
const PTH_FIXTURES = path.resolve(__dirname, 'fixtures/pth');

let dir: string;

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'uniadapter-zip-'));
});

afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});


async function allEntries(file: string): Promise<Map<string, Buffer>> {
  const zip = await ZipArchive.open(file);
  const out = new Map<string, Buffer>();
  try {
    for (const name of zip.names()) out.set(name, Buffer.from(await zip.readEntry(name)));
  } finally {
    await zip.close();
  }
  return out;
}

test('crc32 of the standard check string', () => {
  expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  expect(crc32(new Uint8Array(0))).toBe(0);
});

test('a torch.save archive: directory, whole entries and ranges of stored entries', async () => {
  const zip = await ZipArchive.open(RETRIEVAL_PTH);
  try {
    const names = zip.names();
    expect(names[0]).toBe('weights/data.pkl');
    expect(names).toContain('weights/version');
    expect(names.filter((n) => n.startsWith('weights/data/')).length).toBeGreaterThan(100);
    expect(zip.get('weights/data.pkl')!.method).toBe(0);
    const pickle = await zip.readEntry('weights/data.pkl');
    expect(pickle[0]).toBe(0x80);
    expect(pickle[pickle.byteLength - 1]).toBe(0x2e); // STOP
    const whole = await zip.readEntry('weights/data/0');
    const part = await zip.readRange('weights/data/0', 8, 16);
    expect(part.byteOffset).toBe(0);
    expect(Buffer.from(part).equals(Buffer.from(whole.subarray(8, 24)))).toBe(true);
    await expectUniAdapterError(zip.readRange('weights/data/0', 250, 16), 'ERR_FORMAT', "'weights/data/0'");
    await expectUniAdapterError(zip.readEntry('weights/nope'), 'ERR_FORMAT', RETRIEVAL_PTH, "'weights/nope'");
  } finally {
    await zip.close();
  }
});

test('the ZIP64 fixture really stores saturated offsets in its central directory', async () => {
  const raw = await fsp.readFile(path.join(PTH_FIXTURES, 'zip64.pth'));
  let saturated = 0;
  for (let p = raw.indexOf('PK\x01\x02', 0, 'latin1'); p >= 0; p = raw.indexOf('PK\x01\x02', p + 4, 'latin1')) {
    if (raw.readUInt32LE(p + 42) === 0xffffffff) saturated++;
  }
  expect(saturated).toBeGreaterThan(5);
});

test('deflated and ZIP64 archives hold the same entries as the stored original', async () => {
  const stored = await allEntries(path.join(PTH_FIXTURES, 'views.pth'));
  for (const variant of ['deflated.pth', 'zip64.pth']) {
    const entries = await allEntries(path.join(PTH_FIXTURES, variant));
    expect([...entries.keys()]).toEqual([...stored.keys()]);
    for (const [name, data] of stored) expect(entries.get(name)!.equals(data)).toBe(true);
  }
  const deflated = await ZipArchive.open(path.join(PTH_FIXTURES, 'deflated.pth'));
  try {
    expect(deflated.get('views/data.pkl')!.method).toBe(8);
    const range = await deflated.readRange('views/data/0', 4, 8);
    expect(Buffer.from(range).equals(stored.get('views/data/0')!.subarray(4, 12))).toBe(true);
  } finally {
    await deflated.close();
  }
});

test('a file that is not a zip', async () => {
  const file = path.join(dir, 'plain.txt');
  await fsp.writeFile(file, 'just some text, long enough to be searched for an end record');
  await expectUniAdapterError(ZipArchive.open(file), 'ERR_FORMAT', file, 'not a zip');
});

test('a truncated zip', async () => {
  const file = path.join(dir, 'cut.pth');
  const original = await fsp.readFile(RETRIEVAL_PTH);
  await fsp.writeFile(file, original.subarray(0, original.byteLength - 2000));
  await expectUniAdapterError(ZipArchive.open(file), 'ERR_FORMAT', file, 'truncated');
});

test('a corrupt entry fails its CRC check', async () => {
  const file = path.join(dir, 'corrupt.pth');
  const original = Buffer.from(await fsp.readFile(path.join(PTH_FIXTURES, 'views.pth')));
  // The first entry is data.pkl; its data follows the 30-byte local header, the name and the extra field.
  const dataStart = 30 + original.readUInt16LE(26) + original.readUInt16LE(28);
  original[dataStart + 10] ^= 0xff;
  await fsp.writeFile(file, original);
  const zip = await ZipArchive.open(file);
  try {
    await expectUniAdapterError(zip.readEntry('views/data.pkl'), 'ERR_FORMAT', file, "'views/data.pkl'", 'CRC');
  } finally {
    await zip.close();
  }
});
