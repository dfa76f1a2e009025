/**
 * Bad checkpoint files: each gives a UniAdapterError with the right code whose message names the file
 * (and the tensor where one is at fault), nothing crashes, and the same model still loads a good
 * checkpoint afterwards and computes the official outputs.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import { PthFile } from '../lib/io/pth';
import { writeSafetensors } from '../lib/io/safetensors';
import { RetrievalModel } from '../lib/model/retrieval-model';
import type { HostTensor } from '../lib/tensor';
import { loadWeights } from '../lib/weights/load-weights';
import { compareTensor } from '../lib/tools/golden/tolerance';
import {
  RETRIEVAL_PTH,
  RETRIEVAL_SAFETENSORS,
  exactDifference,
  expectUniAdapterError,
  makeTempDir,
  readZipEntries,
  removeTempDir,
  retrievalFixture,
  writeStoredZip,
  type RetrievalFixture,
} from './helpers/weights-fixtures';

let fx: RetrievalFixture;
let tmp: string;
let model: RetrievalModel;

beforeAll(async () => {
  fx = await retrievalFixture();
  tmp = await makeTempDir('bad-checkpoints');
  model = await RetrievalModel.create(fx.config);
  await loadWeights(model, RETRIEVAL_SAFETENSORS);
});

afterAll(async () => {
  await model?.dispose();
  await removeTempDir(tmp);
});

/** The model survived: it loads the good checkpoint (alternating formats) and gives the official image features. */
let good = 0;
async function stillWorks(): Promise<void> {
  const file = good++ % 2 ? RETRIEVAL_PTH : RETRIEVAL_SAFETENSORS;
  const r = await loadWeights(model, file);
  expect(r.missing).toEqual([]);
  const img = await model.encodeImages(fx.inputs.image, { tokens: false });
  expect(compareTensor('image_feat', fx.expected.image_feat, img.features)).toBeNull();
  const txt = await model.encodeTexts(fx.inputs.input_ids, fx.inputs.attention_mask);
  expect(compareTensor('text_feat', fx.expected.text_feat, txt.features)).toBeNull();
}

async function param(name: string): Promise<HostTensor> {
  return (await model.stateDict('all', [name]))[name];
}

function f32(shape: number[], f: (i: number) => number): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = f(i);
  return { dtype: 'float32', shape, data };
}

/** Deterministic pseudo-random bytes (an LCG), not starting like any checkpoint format. */
function noise(n: number): Buffer {
  const b = Buffer.alloc(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}

describe('truncated files', () => {
  test('safetensors cut in the middle of the data: ERR_FORMAT naming the file and a tensor', async () => {
    const whole = await fsp.readFile(RETRIEVAL_SAFETENSORS);
    const file = path.join(tmp, 'cut.safetensors');
    await fsp.writeFile(file, whole.subarray(0, Math.floor(whole.length / 2)));
    await expectUniAdapterError(loadWeights(model, file), 'ERR_FORMAT', file, 'truncated');
    const e = await loadWeights(model, file).catch((err: Error) => err);
    expect((e as Error).message).toMatch(/tensor '[^']+' needs bytes \d+\.\.\d+/);
    await stillWorks();
  });

  test('safetensors cut inside the header: ERR_FORMAT', async () => {
    const whole = await fsp.readFile(RETRIEVAL_SAFETENSORS);
    const file = path.join(tmp, 'cut-header.safetensors');
    await fsp.writeFile(file, whole.subarray(0, 200));
    await expectUniAdapterError(loadWeights(model, file), 'ERR_FORMAT', file, 'header', 'truncated');
    await stillWorks();
  });

  test('.pth cut in half or missing its last bytes: ERR_FORMAT naming the file', async () => {
    const whole = await fsp.readFile(RETRIEVAL_PTH);
    for (const [label, end] of [['half', Math.floor(whole.length / 2)], ['tail', whole.length - 10]] as const) {
      const file = path.join(tmp, `cut-${label}.pth`);
      await fsp.writeFile(file, whole.subarray(0, end));
      await expectUniAdapterError(loadWeights(model, file), 'ERR_FORMAT', file, 'truncated');
      await stillWorks();
    }
  });

  test('.pth whose storage of one tensor is short: ERR_FORMAT naming the file and the tensor', async () => {
    const pth = await PthFile.open(RETRIEVAL_PTH);
    const key = pth.layout('itm_head.weight').storageKey;
    const sharing = pth.names().filter((n) => pth.layout(n).storageKey === key);
    await pth.close();
    expect(sharing).toEqual(['itm_head.weight']);
    const entries = await readZipEntries(RETRIEVAL_PTH);
    const target = entries.find(([n]) => n.endsWith(`/data/${key}`));
    expect(target).toBeDefined();
    target![1] = target![1].subarray(0, 100);
    const file = path.join(tmp, 'short-storage.pth');
    await writeStoredZip(file, entries);
    await expectUniAdapterError(loadWeights(model, file), 'ERR_FORMAT', file, "'itm_head.weight'", `storage '${key}'`);
    await stillWorks();
  });
});

describe('files that are not checkpoints', () => {
  test('random bytes: ERR_FORMAT naming the file and saying what was expected', async () => {
    const file = path.join(tmp, 'random.bin');
    await fsp.writeFile(file, noise(64 * 1024));
    await expectUniAdapterError(loadWeights(model, file), 'ERR_FORMAT', file, 'not a checkpoint', 'safetensors');
    await stillWorks();
  });

  test('an empty file: ERR_FORMAT', async () => {
    const file = path.join(tmp, 'empty.pth');
    await fsp.writeFile(file, Buffer.alloc(0));
    await expectUniAdapterError(loadWeights(model, file), 'ERR_FORMAT', file, 'empty');
    await stillWorks();
  });

  test('a directory: ERR_IO', async () => {
    const dir = path.join(tmp, 'a-folder.safetensors');
    await fsp.mkdir(dir);
    await expectUniAdapterError(loadWeights(model, dir), 'ERR_IO', dir, 'not a regular file');
    await stillWorks();
  });

  test('a missing file: ERR_IO', async () => {
    const file = path.join(tmp, 'no-such-file.pth');
    await expectUniAdapterError(loadWeights(model, file), 'ERR_IO', file, 'no such file');
    await stillWorks();
  });
});

describe('pickles outside the allow-list', () => {
  test('a real checkpoint whose pickle calls os.system instead of the tensor rebuild: ERR_PICKLE, nothing runs', async () => {
    const entries = await readZipEntries(RETRIEVAL_PTH);
    const pkl = entries.find(([n]) => n.endsWith('/data.pkl'))!;
    const rebuild = Buffer.from('ctorch._utils\n_rebuild_tensor_v2\n', 'latin1');
    const at = pkl[1].indexOf(rebuild);
    expect(at).toBeGreaterThan(0);
    // GLOBAL os.system; the memo slot that follows keeps the rest of the pickle consistent.
    pkl[1] = Buffer.concat([pkl[1].subarray(0, at), Buffer.from('cos\nsystem\n', 'latin1'), pkl[1].subarray(at + rebuild.length)]);
    const file = path.join(tmp, 'evil.pth');
    await writeStoredZip(file, entries);
    await expectUniAdapterError(loadWeights(model, file), 'ERR_PICKLE', file, 'os.system', 'not allowed');
    await stillWorks();
  });

  test('the io fixture evil-reduce.pth (posix.system via REDUCE): ERR_PICKLE, its command never runs', async () => {
    const file = path.resolve(__dirname, 'fixtures/pth/evil-reduce.pth');
    const marker = '/tmp/uniadapter-pickle-was-executed'; // what its command would create (see io-pth.test.ts)
    await fsp.rm(marker, { force: true });
    await expectUniAdapterError(loadWeights(model, file), 'ERR_PICKLE', file, 'system', 'not allowed');
    await expect(fsp.access(marker)).rejects.toThrow();
    await stillWorks();
  });
});

describe('checkpoints that do not fit the model', () => {
  test('an int64 itm_head.weight: ERR_DTYPE naming the file and the key; nothing was loaded', async () => {
    const file = path.join(tmp, 'int64-itm.safetensors');
    const textProj = fx.weights['text_proj.weight'];
    await writeSafetensors(file, {
      ...fx.weights,
      'text_proj.weight': f32(textProj.shape, (i) => (textProj.data as Float32Array)[i] + 1),
      'itm_head.weight': { dtype: 'int64', shape: [2, 64], data: new BigInt64Array(128).fill(1n) },
    });
    await expectUniAdapterError(loadWeights(model, file), 'ERR_DTYPE', file, "'itm_head.weight'", 'int64', 'float32');
    expect(exactDifference('text_proj.weight', await param('text_proj.weight'), fx.weights['text_proj.weight'])).toBeNull();
    await stillWorks();
  });

  test('names that match no naming scheme: ERR_WEIGHTS naming the file and the keys', async () => {
    const file = path.join(tmp, 'unrelated.safetensors');
    await writeSafetensors(file, { 'conv1.weight': f32([4, 3], (i) => i), 'fc.bias': f32([4], (i) => i) });
    await expectUniAdapterError(loadWeights(model, file), 'ERR_WEIGHTS', file, 'conv1.weight');
    await stillWorks();
  });

  test('BLIP-looking names that match no parameter: ERR_WEIGHTS', async () => {
    const file = path.join(tmp, 'no-match.safetensors');
    await writeSafetensors(file, { 'visual_encoder.head.weight': f32([4, 3], (i) => i), 'text_encoder.pooler.dense.bias': f32([4], (i) => i) });
    await expectUniAdapterError(loadWeights(model, file), 'ERR_WEIGHTS', file, 'none of its 2 tensors', 'visual_encoder.head.weight');
    await stillWorks();
  });

  test('a safetensors file whose header length starts with the byte 0x80 is not taken for a pickle', async () => {
    // Header length 0x180 = 384: its first bytes 80 01 look like a pickle PROTO opcode.
    const tensors: Array<[string, HostTensor]> = [
      ['itm_head.weight', fx.weights['itm_head.weight']],
      ['itm_head.bias', fx.weights['itm_head.bias']],
    ];
    let offset = 0;
    const header: Record<string, unknown> = {};
    for (const [name, t] of tensors) {
      const size = t.data.byteLength;
      header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + size] };
      offset += size;
    }
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    expect(json.length).toBeLessThanOrEqual(384);
    const head = Buffer.alloc(8 + 384, 0x20);
    head.writeBigUInt64LE(384n, 0);
    json.copy(head, 8);
    const file = path.join(tmp, 'header-0x180.safetensors');
    await fsp.writeFile(file, Buffer.concat([head, ...tensors.map(([, t]) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))]));
    expect([...(await fsp.readFile(file)).subarray(0, 2)]).toEqual([0x80, 0x01]);
    const r = await loadWeights(model, file);
    expect([...r.loaded].sort()).toEqual(['itm_head.bias', 'itm_head.weight']);
    // And with unrelated names the error is about the names, not about a bare pickle.
    header['x.weight'] = header['itm_head.weight'];
    delete header['itm_head.weight'];
    delete header['itm_head.bias'];
    header['y.bias'] = { dtype: 'F32', shape: [2], data_offsets: [512, 520] };
    const json2 = Buffer.from(JSON.stringify(header), 'utf8');
    const head2 = Buffer.alloc(8 + 384, 0x20);
    head2.writeBigUInt64LE(384n, 0);
    json2.copy(head2, 8);
    const file2 = path.join(tmp, 'header-0x180-unrelated.safetensors');
    await fsp.writeFile(file2, Buffer.concat([head2, Buffer.alloc(520)]));
    await expectUniAdapterError(loadWeights(model, file2), 'ERR_WEIGHTS', file2, 'x.weight');
    await stillWorks();
  });
});

test('many failures in a row leave the model usable and the process alive', async () => {
  const missing = path.join(tmp, 'nope.safetensors');
  for (let i = 0; i < 20; i++) await expect(loadWeights(model, missing)).rejects.toMatchObject({ code: 'ERR_IO' });
  await stillWorks();
  expect(model.disposed).toBe(false);
});
