import { existsSync, promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PthFile } from '../lib/io/pth';
import { TorchTensorRef } from '../lib/io/pickle';
import { RandomAccessFile } from '../lib/io/random-access-file';
import { SafetensorsFile } from '../lib/io/safetensors';
import { canonicalName } from '../lib/weights/key-map';
import { type HostTensor, tensorBytes } from '../lib/tensor';
import { expectUniAdapterError } from './helpers/expect-error';

const GOLDEN = path.resolve(__dirname, 'fixtures', 'golden-tiny');
const RETRIEVAL_PTH = path.join(GOLDEN, 'retrieval/weights.pth');
const RETRIEVAL_ST = path.join(GOLDEN, 'retrieval/weights.safetensors');
const PTH_FIXTURES = path.resolve(__dirname, 'fixtures/pth');
const fixture = (name: string) => path.join(PTH_FIXTURES, name);

interface ExpectedTensor {
  dtype: string;
  shape: number[];
  hex: string;
}
interface ExpectedCheckpoint {
  stateDictEntry: string | null;
  tensors: Record<string, ExpectedTensor>;
  extras: Record<string, unknown>;
}

let dir: string;
let expected: Record<string, ExpectedCheckpoint>;

beforeAll(async () => {
  expected = JSON.parse(await fsp.readFile(fixture('expected.json'), 'utf8'));
});

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'uniadapter-pth-'));
});

afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});


const hex = (t: HostTensor) => Buffer.from(tensorBytes(t)).toString('hex');

describe('the golden retrieval checkpoint', () => {
  test('every tensor of weights.pth equals weights.safetensors: names, dtype, shape and bytes', async () => {
    const pth = await PthFile.open(RETRIEVAL_PTH);
    const st = await SafetensorsFile.open(RETRIEVAL_ST);
    try {
      expect(pth.format).toBe('pth');
      expect(pth.stateDictEntry).toBe('model');
      expect([...pth.names()].sort()).toEqual([...st.names()].sort());
      expect(pth.names().length).toBeGreaterThan(300);
      for (const name of st.names()) {
        const a = await pth.read(name);
        const b = await st.read(name);
        expect({ name, dtype: a.dtype, shape: a.shape }).toEqual({ name, dtype: b.dtype, shape: b.shape });
        expect(a.data.constructor).toBe(b.data.constructor);
        if (hex(a) !== hex(b)) throw new Error(`tensor '${name}' differs between .pth and .safetensors`);
      }
    } finally {
      await pth.close();
      await st.close();
    }
  });

  test('the other top-level entries come out as plain values', async () => {
    const pth = await PthFile.open(RETRIEVAL_PTH);
    try {
      expect(pth.extras.epoch).toBe(3);
      expect(pth.extras.config).toMatchObject({ vit: 'tiny', image_size: 32, modality: 'image', init_lr: 1e-5 });
      expect(Object.keys(pth.extras).sort()).toEqual(['config', 'epoch']);
      expect(pth.metadata).toEqual({});
    } finally {
      await pth.close();
    }
  });
});

describe('small checkpoints made by scripts/make-pth-fixtures.py', () => {
  test.each(['views.pth', 'deflated.pth', 'zip64.pth', 'state-dict-wrapper.pth', 'tied.pth'])(
    '%s: strided, offset and expanded views read as their contiguous copies',
    async (name) => {
      const want = expected[name];
      const pth = await PthFile.open(fixture(name));
      try {
        expect(pth.stateDictEntry).toBe(want.stateDictEntry);
        expect([...pth.names()].sort()).toEqual(Object.keys(want.tensors).sort());
        for (const [tensor, w] of Object.entries(want.tensors)) {
          const t = await pth.read(tensor);
          expect({ tensor, dtype: t.dtype, shape: t.shape }).toEqual({ tensor, dtype: w.dtype, shape: w.shape });
          expect({ tensor, hex: hex(t) }).toEqual({ tensor, hex: w.hex });
        }
      } finally {
        await pth.close();
      }
    }
  );

  test('tied tensors share one storage, fold to one canonical name and each reads correctly', async () => {
    const pth = await PthFile.open(fixture('tied.pth'));
    try {
      const byStorage = new Map<string, string[]>();
      for (const name of pth.names()) {
        const key = pth.layout(name).storageKey;
        byStorage.set(key, [...(byStorage.get(key) ?? []), name]);
      }
      const groups = [...byStorage.values()].map((names) => [...names].sort());
      expect(groups).toEqual(
        expect.arrayContaining([
          ['adapters.0.weight', 'visual_encoder.blocks.0.adapter.weight'],
          ['adapters.0.bias', 'visual_encoder.blocks.0.adapter.bias'],
          ['text_decoder.bert.embeddings.word_embeddings.weight', 'text_decoder.cls.predictions.decoder.weight'],
          ['text_decoder.cls.predictions.bias', 'text_decoder.cls.predictions.decoder.bias'],
        ])
      );
      for (const names of groups) {
        expect(new Set(names.map((n) => canonicalName(n).name)).size).toBe(1);
        const first = hex(await pth.read(names[0]));
        for (const n of names.slice(1)) expect(hex(await pth.read(n))).toBe(first);
      }
    } finally {
      await pth.close();
    }
  });

  test('views keep their layout: shared storage, offsets and strides', async () => {
    const pth = await PthFile.open(fixture('views.pth'));
    try {
      const base = pth.layout('base');
      expect(pth.layout('transposed')).toMatchObject({ storageKey: base.storageKey, storageOffset: 0, stride: [1, 4, 12] });
      expect(pth.layout('slice_offset')).toMatchObject({ storageKey: base.storageKey, storageOffset: 12 });
      expect(pth.info('slice_offset')).toEqual({ dtype: 'float32', shape: [3, 4] });
      expect(pth.layout('column')).toMatchObject({ storageKey: base.storageKey, storageOffset: 1, stride: [12, 4] });
      expect(pth.layout('stepped')).toMatchObject({ storageOffset: 2, stride: [5] });
      expect(pth.layout('expanded').stride).toEqual([0, 1]);
      expect(pth.info('scalar')).toEqual({ dtype: 'float32', shape: [] });
      expect(pth.info('empty')).toEqual({ dtype: 'float32', shape: [0, 3] });
      expect(base.location).toBe('cpu');
      const transposed = await pth.read('transposed');
      expect(Array.from(transposed.data as Float32Array).slice(0, 6)).toEqual([0, 12, 4, 16, 8, 20]);
    } finally {
      await pth.close();
    }
  });

  test('a tensor read pulls only the bytes its view covers', async () => {
    const pth = await PthFile.open(fixture('views.pth'));
    const lengths: number[] = [];
    const spy = jest.spyOn(RandomAccessFile.prototype, 'read').mockImplementation(async function (
      this: RandomAccessFile,
      position: number,
      length: number,
      what: string
    ) {
      lengths.push(length);
      const out = new Uint8Array(length);
      await this.readInto(out, position, what);
      return out;
    });
    try {
      await pth.read('slice_offset'); // 12 of the 24 floats of the shared storage
      expect(lengths[lengths.length - 1]).toBe(48);
      expect(Math.max(...lengths)).toBeLessThan(96);
    } finally {
      spy.mockRestore();
      await pth.close();
    }
  });

  test('state-dict wrapper: the state_dict entry is found and the other entries are plain values', async () => {
    const pth = await PthFile.open(fixture('state-dict-wrapper.pth'));
    try {
      expect(pth.names()).toEqual([
        '0.weight',
        '0.bias',
        '1.weight',
        '1.bias',
        '1.running_mean',
        '1.running_var',
        '1.num_batches_tracked',
      ]);
      expect(pth.info('1.num_batches_tracked')).toMatchObject({ dtype: 'int64', shape: [] });
      const { blob, big, ...rest } = pth.extras;
      const want = expected['state-dict-wrapper.pth'].extras as Record<string, unknown>;
      expect(Buffer.from(blob as Uint8Array).toString('hex')).toBe(want.blob);
      expect(big).toBe(BigInt(want.big as string));
      const { blob: _b, big: _g, ...wantRest } = want;
      expect(rest).toEqual(wantRest);
    } finally {
      await pth.close();
    }
  });

  test('readRef reads a bare tensor reference like read does', async () => {
    const pth = await PthFile.open(RETRIEVAL_PTH);
    try {
      const ref = pth.ref('temp');
      expect(ref).toBeInstanceOf(TorchTensorRef);
      expect(hex(await pth.readRef(ref, 'temp'))).toBe(hex(await pth.read('temp')));
    } finally {
      await pth.close();
    }
  });
});

describe('files the .pth reader refuses', () => {
  test('the legacy non-zip torch format, with advice to re-save', async () => {
    await expectUniAdapterError(
      PthFile.open(fixture('legacy.pth')),
      'ERR_FORMAT',
      fixture('legacy.pth'),
      'legacy PyTorch format',
      're-save it with a recent PyTorch'
    );
  });

  test('a zip that is not a torch checkpoint', async () => {
    await expectUniAdapterError(
      PthFile.open(fixture('not-a-checkpoint.zip')),
      'ERR_FORMAT',
      fixture('not-a-checkpoint.zip'),
      'not a PyTorch checkpoint',
      'hello/readme.txt'
    );
  });

  test.each([0.5, 0.999])('a truncated .pth (cut to %f of its size)', async (fraction) => {
    const original = await fsp.readFile(RETRIEVAL_PTH);
    const file = path.join(dir, 'weights.pth');
    await fsp.writeFile(file, original.subarray(0, Math.floor(original.byteLength * fraction)));
    await expectUniAdapterError(PthFile.open(file), 'ERR_FORMAT', file, 'truncated');
  });

  test('a storage whose zip entry is missing names the tensor', async () => {
    const original = Buffer.from(await fsp.readFile(fixture('views.pth')));
    // Rename entry views/data/1 to views/data/X in the central directory only.
    const needle = Buffer.from('views/data/1', 'latin1');
    let p = original.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1'));
    for (; p >= 0; p = original.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1'), p - 1)) {
      const nameLength = original.readUInt16LE(p + 28);
      if (original.subarray(p + 46, p + 46 + nameLength).equals(needle)) break;
    }
    expect(p).toBeGreaterThan(0);
    original[p + 46 + needle.byteLength - 1] = 'X'.charCodeAt(0);
    const file = path.join(dir, 'missing-storage.pth');
    await fsp.writeFile(file, original);
    await expectUniAdapterError(PthFile.open(file), 'ERR_FORMAT', file, "storage '1'", 'missing');
  });

  test('a pickle that calls os.system is refused and nothing runs', async () => {
    const marker = '/tmp/uniadapter-pickle-was-executed';
    await fsp.rm(marker, { force: true });
    await expectUniAdapterError(
      PthFile.open(fixture('evil-reduce.pth')),
      'ERR_PICKLE',
      fixture('evil-reduce.pth'),
      'system, which is not allowed in a checkpoint'
    );
    expect(existsSync(marker)).toBe(false);
  });

  test('an int16 tensor gives ERR_DTYPE naming it', async () => {
    await expectUniAdapterError(PthFile.open(fixture('short.pth')), 'ERR_DTYPE', fixture('short.pth'), "'x'", 'int16');
  });

  test('an unknown tensor name and a missing file', async () => {
    const pth = await PthFile.open(fixture('views.pth'));
    try {
      await expectUniAdapterError(pth.read('nope'), 'ERR_WEIGHTS', fixture('views.pth'), "'nope'");
    } finally {
      await pth.close();
    }
    const missing = path.join(dir, 'missing.pth');
    await expectUniAdapterError(PthFile.open(missing), 'ERR_IO', missing);
  });
});
