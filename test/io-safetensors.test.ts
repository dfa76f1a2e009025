import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UniAdapterError } from '../lib/errors';
import { SafetensorsFile, readSafetensors, writeSafetensors } from '../lib/io/safetensors';
import { type HostTensor, itemSize, tensorBytes } from '../lib/tensor';
import { expectUniAdapterError } from './helpers/expect-error';

const GOLDEN = path.resolve(__dirname, 'fixtures', 'golden-tiny');
const RETRIEVAL = path.join(GOLDEN, 'retrieval/weights.safetensors');

let dir: string;

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'uniadapter-safetensors-'));
});

afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});


const hex = (t: HostTensor) => Buffer.from(tensorBytes(t)).toString('hex');

/** A safetensors file from a raw header (object or text) and data, with an optional wrong length field. */
function rawSafetensors(header: unknown, data: Uint8Array, declaredLength?: bigint): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(declaredLength ?? BigInt(json.byteLength));
  return Buffer.concat([length, json, data]);
}

function everyDType(): Array<[string, HostTensor]> {
  return [
    ['f32', { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1.5, -2, 0, NaN, Infinity, -0]) }],
    ['f64', { dtype: 'float64', shape: [3], data: Float64Array.from([Math.PI, -1e300, 5e-324]) }],
    ['f16', { dtype: 'float16', shape: [2, 2], data: Uint16Array.from([0x3c00, 0xc000, 0x7c00, 0x0001]) }],
    ['bf16', { dtype: 'bfloat16', shape: [4], data: Uint16Array.from([0x3f80, 0xbf80, 0x7fc0, 0x0000]) }],
    ['i64', { dtype: 'int64', shape: [2], data: BigInt64Array.from([-(2n ** 62n), 2n ** 63n - 1n]) }],
    ['i32', { dtype: 'int32', shape: [1, 3], data: Int32Array.from([-5, 0, 2 ** 31 - 1]) }],
    ['u8', { dtype: 'uint8', shape: [5], data: Uint8Array.from([0, 1, 127, 128, 255]) }],
    ['bool', { dtype: 'bool', shape: [3], data: Uint8Array.from([1, 0, 1]) }],
    ['scalar', { dtype: 'float32', shape: [], data: Float32Array.from([42]) }],
    ['empty', { dtype: 'int64', shape: [0, 4], data: new BigInt64Array(0) }],
    ['0', { dtype: 'uint8', shape: [1], data: Uint8Array.from([9]) }], // integer-like name keeps its place
  ];
}

describe('safetensors round trip', () => {
  test('every dtype, a scalar and an empty tensor read back with identical bytes, in the given order', async () => {
    const file = path.join(dir, 'all.safetensors');
    const tensors = everyDType();
    await writeSafetensors(file, tensors, { format: 'pt', '1': 'one' });

    const raw = await fsp.readFile(file);
    const headerLength = Number(raw.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    const headerText = raw.subarray(8, 8 + headerLength).toString('utf8');
    expect(headerText.trimEnd().endsWith('}')).toBe(true);
    expect(/^ *$/.test(headerText.slice(headerText.lastIndexOf('}') + 1))).toBe(true);

    const st = await SafetensorsFile.open(file);
    try {
      expect(st.format).toBe('safetensors');
      expect(st.path).toBe(file);
      expect(st.names()).toEqual(tensors.map(([n]) => n));
      expect(st.metadata).toEqual({ format: 'pt', '1': 'one' });
      for (const [name, t] of tensors) {
        expect(st.info(name)).toEqual({ dtype: t.dtype, shape: t.shape });
        const back = await st.read(name);
        expect(back.dtype).toBe(t.dtype);
        expect(back.shape).toEqual(t.shape);
        expect(back.data.constructor).toBe(t.data.constructor);
        expect(back.data.byteOffset % itemSize(t.dtype)).toBe(0);
        expect(hex(back)).toBe(hex(t));
      }
    } finally {
      await st.close();
    }
  });

  test('a record of tensors and no metadata', async () => {
    const file = path.join(dir, 'record.safetensors');
    await writeSafetensors(file, Object.fromEntries(everyDType().slice(0, 3)));
    const back = await readSafetensors(file);
    expect(Object.keys(back)).toEqual(['f32', 'f64', 'f16']);
    const st = await SafetensorsFile.open(file);
    expect(st.metadata).toEqual({});
    await st.close();
  });

  test('re-writing the golden weights gives the same data section', async () => {
    const st = await SafetensorsFile.open(RETRIEVAL);
    const list: Array<[string, HostTensor]> = [];
    for (const name of st.names()) list.push([name, await st.read(name)]);
    const metadata = st.metadata;
    const firstData = st.entry(st.names()[0]).begin;
    await st.close();
    expect(Object.keys(metadata).length).toBeGreaterThan(0);

    const file = path.join(dir, 'copy.safetensors');
    await writeSafetensors(file, list, metadata);
    const original = await fsp.readFile(RETRIEVAL);
    const copy = await fsp.readFile(file);
    const copyData = 8 + Number(copy.readBigUInt64LE(0));
    expect(copy.subarray(copyData).equals(original.subarray(firstData))).toBe(true);
    const reread = await SafetensorsFile.open(file);
    expect(reread.names()).toEqual(list.map(([n]) => n));
    expect(reread.metadata).toEqual(metadata);
    await reread.close();
  });

  test('writing refuses tensors whose data does not match the shape, and duplicate names', async () => {
    const file = path.join(dir, 'bad.safetensors');
    await expectUniAdapterError(
      writeSafetensors(file, [['x', { dtype: 'float32', shape: [3], data: new Float32Array(2) }]]),
      'ERR_SHAPE',
      "'x'"
    );
    const t: HostTensor = { dtype: 'uint8', shape: [1], data: new Uint8Array(1) };
    await expectUniAdapterError(writeSafetensors(file, [['x', t], ['x', t]]), 'ERR_ARG', "'x'", 'twice');
    expect(await fsp.readdir(dir)).toEqual([]);
  });
});

describe('golden tied tensors', () => {
  test.each(['vqa', 'caption'])('%s: the LM head decoder holds the word embeddings and the output bias', async (folder) => {
    const st = await SafetensorsFile.open(path.join(GOLDEN, folder, 'weights.safetensors'));
    try {
      const pairs = [
        ['text_decoder.cls.predictions.decoder.weight', 'text_decoder.bert.embeddings.word_embeddings.weight'],
        ['text_decoder.cls.predictions.decoder.bias', 'text_decoder.cls.predictions.bias'],
      ];
      for (const [tied, owner] of pairs) {
        const a = await st.read(tied);
        const b = await st.read(owner);
        expect(a.shape).toEqual(b.shape);
        expect(hex(a)).toBe(hex(b));
      }
    } finally {
      await st.close();
    }
  });
});

describe('bad safetensors files', () => {
  test('a truncated file names the file and the first tensor that does not fit', async () => {
    const original = await fsp.readFile(RETRIEVAL);
    const file = path.join(dir, 'weights.safetensors');
    await fsp.writeFile(file, original.subarray(0, Math.floor(original.byteLength * 0.6)));
    const st = await SafetensorsFile.open(RETRIEVAL);
    const entries = st.names().map((n) => [n, st.entry(n)] as const);
    await st.close();
    const cut = Math.floor(original.byteLength * 0.6);
    const [firstMissing, entry] = entries.find(([, e]) => e.end > cut)!;
    await expectUniAdapterError(
      SafetensorsFile.open(file),
      'ERR_FORMAT',
      file,
      `'${firstMissing}'`,
      `${entry.begin}..${entry.end}`,
      `${cut} bytes`,
      'truncated'
    );
  });

  test('a file shorter than the length field', async () => {
    const file = path.join(dir, 'tiny.safetensors');
    await fsp.writeFile(file, Buffer.from([1, 2, 3]));
    await expectUniAdapterError(SafetensorsFile.open(file), 'ERR_FORMAT', file, 'too short');
  });

  test('a header length larger than the file', async () => {
    const file = path.join(dir, 'long-header.safetensors');
    await fsp.writeFile(file, rawSafetensors({}, new Uint8Array(0), 5000n));
    await expectUniAdapterError(SafetensorsFile.open(file), 'ERR_FORMAT', file, 'header', 'truncated');
  });

  test('an absurd header length', async () => {
    const file = path.join(dir, 'huge-header.safetensors');
    await fsp.writeFile(file, rawSafetensors({}, new Uint8Array(0), 2n ** 60n));
    await expectUniAdapterError(SafetensorsFile.open(file), 'ERR_FORMAT', file, 'header length');
  });

  test('a header that is not JSON', async () => {
    const file = path.join(dir, 'bad-json.safetensors');
    await fsp.writeFile(file, rawSafetensors('{"x": {"dtype": "F32", ', new Uint8Array(0)));
    await expectUniAdapterError(SafetensorsFile.open(file), 'ERR_FORMAT', file, 'not valid JSON');
  });

  test('data_offsets beyond the end of the file', async () => {
    const file = path.join(dir, 'weights.safetensors');
    const header = { x: { dtype: 'F32', shape: [25, 2], data_offsets: [0, 200] } };
    await fsp.writeFile(file, rawSafetensors(header, new Uint8Array(100)));
    const headerBytes = Buffer.byteLength(JSON.stringify(header));
    await expectUniAdapterError(
      SafetensorsFile.open(file),
      'ERR_FORMAT',
      `${file}: tensor 'x' needs bytes ${8 + headerBytes}..${8 + headerBytes + 200} but the file has ${
        8 + headerBytes + 100
      } bytes (truncated?)`
    );
  });

  test('data_offsets that do not match the shape, or run backwards', async () => {
    const file = path.join(dir, 'mismatch.safetensors');
    await fsp.writeFile(file, rawSafetensors({ y: { dtype: 'I64', shape: [3], data_offsets: [0, 16] } }, new Uint8Array(24)));
    await expectUniAdapterError(SafetensorsFile.open(file), 'ERR_FORMAT', file, "'y'", '24 bytes', 'span 16');
    await fsp.writeFile(file, rawSafetensors({ y: { dtype: 'U8', shape: [0], data_offsets: [8, 0] } }, new Uint8Array(8)));
    await expectUniAdapterError(SafetensorsFile.open(file), 'ERR_FORMAT', "'y'", 'invalid data_offsets');
  });

  test('overlapping tensors', async () => {
    const file = path.join(dir, 'overlap.safetensors');
    const header = {
      a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
      b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
    };
    await fsp.writeFile(file, rawSafetensors(header, new Uint8Array(16)));
    await expectUniAdapterError(SafetensorsFile.open(file), 'ERR_FORMAT', file, "'a'", "'b'", 'overlap');
  });

  test('an unsupported dtype, a bad shape and bad metadata', async () => {
    const file = path.join(dir, 'odd.safetensors');
    await fsp.writeFile(file, rawSafetensors({ q: { dtype: 'I16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)));
    await expectUniAdapterError(SafetensorsFile.open(file), 'ERR_DTYPE', file, "'q'", 'I16');
    await fsp.writeFile(file, rawSafetensors({ q: { dtype: 'U8', shape: [-1], data_offsets: [0, 0] } }, new Uint8Array(0)));
    await expectUniAdapterError(SafetensorsFile.open(file), 'ERR_FORMAT', "'q'", 'shape');
    await fsp.writeFile(file, rawSafetensors({ __metadata__: { n: 3 } }, new Uint8Array(0)));
    await expectUniAdapterError(SafetensorsFile.open(file), 'ERR_FORMAT', '__metadata__', "'n'");
  });

  test('a missing file, and a tensor that is not there', async () => {
    const missing = path.join(dir, 'missing.safetensors');
    await expectUniAdapterError(SafetensorsFile.open(missing), 'ERR_IO', missing, 'no such file');
    const st = await SafetensorsFile.open(RETRIEVAL);
    try {
      expect(() => st.info('nope')).toThrow(UniAdapterError);
      await expectUniAdapterError(st.read('nope'), 'ERR_WEIGHTS', RETRIEVAL, "'nope'");
    } finally {
      await st.close();
    }
  });
});
