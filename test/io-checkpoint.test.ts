import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openCheckpoint, sniffCheckpointFormat } from '../lib/io/checkpoint';
import { tensorBytes } from '../lib/tensor';
import { expectUniAdapterError } from './helpers/expect-error';

const GOLDEN = path.resolve(__dirname, 'fixtures', 'golden-tiny');
const PTH_FIXTURES = path.resolve(__dirname, 'fixtures/pth');

let dir: string;

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'uniadapter-checkpoint-'));
});

afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});


test('the format is chosen by the first bytes, not the file name', async () => {
  const stCopy = path.join(dir, 'weights.pth'); // a safetensors file with a misleading extension
  await fsp.copyFile(path.join(GOLDEN, 'retrieval/weights.safetensors'), stCopy);
  const pthCopy = path.join(dir, 'weights.safetensors'); // and the other way round
  await fsp.copyFile(path.join(GOLDEN, 'retrieval/weights.pth'), pthCopy);

  const st = await openCheckpoint(stCopy);
  const pth = await openCheckpoint(pthCopy);
  try {
    expect(st.format).toBe('safetensors');
    expect(pth.format).toBe('pth');
    expect(st.path).toBe(stCopy);
    expect(Object.keys(st.metadata).length).toBeGreaterThan(0);
    expect(pth.metadata).toEqual({});
    expect([...pth.names()].sort()).toEqual([...st.names()].sort());
    for (const name of ['temp', 'visual_encoder.pos_embed', 'text_encoder.embeddings.position_ids']) {
      expect(pth.info(name)).toEqual(st.info(name));
      const a = await pth.read(name);
      const b = await st.read(name);
      expect(Buffer.from(tensorBytes(a)).equals(Buffer.from(tensorBytes(b)))).toBe(true);
    }
  } finally {
    await st.close();
    await pth.close();
  }
});

test('legacy torch files go to the .pth reader and get its advice', async () => {
  const file = path.join(PTH_FIXTURES, 'legacy.pth');
  await expectUniAdapterError(openCheckpoint(file), 'ERR_FORMAT', file, 'legacy', 're-save');
});

test('an unknown format names the file and what it starts with', async () => {
  const text = path.join(dir, 'notes.pth');
  await fsp.writeFile(text, 'this is not a checkpoint at all');
  await expectUniAdapterError(openCheckpoint(text), 'ERR_FORMAT', text, 'not a checkpoint', '74 68 69 73');
  const empty = path.join(dir, 'empty.safetensors');
  await fsp.writeFile(empty, '');
  await expectUniAdapterError(openCheckpoint(empty), 'ERR_FORMAT', empty, 'an empty file');
});

test('a missing file gives ERR_IO', async () => {
  const missing = path.join(dir, 'missing.pth');
  await expectUniAdapterError(openCheckpoint(missing), 'ERR_IO', missing, 'no such file');
});

test('sniffing', () => {
  expect(sniffCheckpointFormat(Buffer.from('PK\x03\x04rest', 'latin1'))).toBe('pth');
  expect(sniffCheckpointFormat(Buffer.from('PK\x05\x06', 'latin1'))).toBe('pth');
  expect(sniffCheckpointFormat(Buffer.from('\x80\x02\x8a\x0a', 'latin1'))).toBe('pth');
  expect(sniffCheckpointFormat(Buffer.from('\x10\x00\x00\x00\x00\x00\x00\x00{"a"', 'latin1'))).toBe('safetensors');
  expect(sniffCheckpointFormat(Buffer.from('GIF89a', 'latin1'))).toEqual({
    unknown: 'a file starting with bytes 47 49 46 38 39 61',
  });
});
