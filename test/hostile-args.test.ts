/**
 * Arguments checked in TypeScript before they cross to the native side, over-long texts, unknown
 * tasks, and the files saveAdapter replaces: each gets a coded error that names what was wrong, or a
 * documented behaviour.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import { encodePng } from '../lib/tools/synthetic/png';
import { UniAdapterError, fromNative } from '../lib/errors';
import { utility } from '../lib/native/dispatch';
import { readSafetensors, SafetensorsFile, writeSafetensors } from '../lib/io/safetensors';
import { answerQuestions } from '../lib/inference/answer';
import { captionImages } from '../lib/inference/caption';
import { Gallery } from '../lib/inference/gallery';
import { retrieveByImage, retrieveByText } from '../lib/inference/retrieve';
import { TextGallery } from '../lib/inference/text-gallery';
import { CaptionModel } from '../lib/model/caption-model';
import { createModel } from '../lib/model/create-model';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { VqaModel } from '../lib/model/vqa-model';
import type { ModelConfig } from '../lib/config/model-config';
import { BlipTokenizer, MAX_TEXT_CHARS } from '../lib/text/tokenizer';
import { float32, uint8, type HostTensor } from '../lib/tensor';
import { loadAdapter, readAdapterMetadata, saveAdapter } from '../lib/weights/adapter-file';
import { loadWeights } from '../lib/weights/load-weights';
import { expectUniAdapterError } from './helpers/expect-error';
import { tinyConfig } from './helpers/tiny-models';
import { makeTempDir, removeTempDir } from './helpers/weights-fixtures';

jest.setTimeout(60_000);

const tok = BlipTokenizer.bertBaseUncased();
let dir: string;
let retrieval: RetrievalModel;
let vqa: VqaModel;
let caption: CaptionModel;
let images: Uint8Array[];
let gallery: Gallery;
let texts: TextGallery;

beforeAll(async () => {
  dir = await makeTempDir('hostile-args');
  retrieval = await RetrievalModel.create(tinyConfig('retrieval'));
  vqa = await VqaModel.create(tinyConfig('vqa'));
  caption = await CaptionModel.create(tinyConfig('caption'));
  images = await Promise.all(
    [40, 200].map((v) => encodePng(new Uint8Array(32 * 32 * 3).fill(v), 32, 32))
  );
  gallery = await Gallery.build(retrieval, images);
  texts = await TextGallery.build(retrieval, ['a red square', 'a blue circle'], { tokenizer: tok });
});

afterAll(async () => {
  await Promise.all([retrieval?.dispose(), vqa?.dispose(), caption?.dispose()]);
  await removeTempDir(dir);
});

describe('over-long text', () => {
  test('a 400,000-character query with normalize: false is tokenised up to the model length', async () => {
    const [res] = await retrieveByText(retrieval, gallery, ['a '.repeat(200000)], { tokenizer: tok, normalize: false, k: 2 });
    expect(res).toHaveLength(2);
    const punctuation = await retrieveByText(retrieval, gallery, ['!'.repeat(400000)], { tokenizer: tok, normalize: false, k: 1 });
    expect(punctuation[0]).toHaveLength(1);
  });

  test('a text gallery of over-long captions builds', async () => {
    const g = await TextGallery.build(retrieval, ['\u4e00'.repeat(400000)], { tokenizer: tok, normalize: false });
    expect(g.inputIds.shape).toEqual([1, 35]);
  });

  test('the first tokens of a long text are exactly those of the whole text', () => {
    const words = ['ΟΔΟΣ', 'café', '東京', "don't", '[SEP]', 'x'.repeat(150), 'naïve,', 'Straße!'];
    let text = ' '.repeat(9000);
    for (let i = 0; i < 3000; i++) text += words[i % words.length] + (i % 7 === 0 ? '\t ' : ' ');
    const whole = tok.tokenize(text);
    expect(whole.length).toBeGreaterThan(600);
    for (const maxLength of [2, 35, 512]) {
      const ids = tok.encode(text, { maxLength });
      expect(ids.slice(1, -1)).toEqual(whole.slice(0, maxLength - 2).map((t) => tok.tokenToId(t)));
    }
  });

  test(`a text over ${MAX_TEXT_CHARS} characters is refused with ERR_ARG`, () => {
    let caught: unknown;
    try {
      tok.encode('a'.repeat(MAX_TEXT_CHARS + 1), { maxLength: 35 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UniAdapterError);
    expect((caught as UniAdapterError).code).toBe('ERR_ARG');
    expect((caught as UniAdapterError).message).toContain(`longer than the ${MAX_TEXT_CHARS} accepted`);
  });
});

describe('createModel', () => {
  test("an unknown task or none is ERR_CONFIG naming the valid tasks", async () => {
    const bogus = { ...tinyConfig('retrieval'), task: 'bogus' } as unknown as ModelConfig;
    await expectUniAdapterError(createModel(bogus), 'ERR_CONFIG', "'bogus'", "'retrieval', 'vqa', 'caption'");
    const none = { ...tinyConfig('retrieval'), task: undefined } as unknown as ModelConfig;
    await expectUniAdapterError(createModel(none), 'ERR_CONFIG', "'undefined'", "'retrieval', 'vqa', 'caption'");
  });

  test('a seed of 2^64 is ERR_CONFIG', async () => {
    await expectUniAdapterError(createModel(tinyConfig('retrieval', { seed: 2 ** 64 })), 'ERR_CONFIG', 'seed');
  });

  test("mlpHidden 2^40 is ERR_OOM, not ERR_TORCH", async () => {
    const config = tinyConfig('retrieval');
    await expectUniAdapterError(createModel({ ...config, vision: { ...config.vision, mlpHidden: 2 ** 40 } }), 'ERR_OOM', 'out of memory');
  });

  test("LibTorch's \"can't allocate memory\" is mapped to ERR_OOM", () => {
    const e = fromNative(Object.assign(new Error("DefaultCPUAllocator: can't allocate memory: you tried to allocate 4398046511104 bytes"), { code: 'ERR_TORCH' }));
    expect(e.code).toBe('ERR_OOM');
    expect(fromNative(Object.assign(new Error('shape mismatch'), { code: 'ERR_TORCH' })).code).toBe('ERR_TORCH');
  });
});

describe('inference options', () => {
  test('beta NaN or ±∞ is ERR_ARG', async () => {
    for (const beta of [NaN, Infinity, -Infinity]) {
      await expectUniAdapterError(retrieveByText(retrieval, gallery, ['a square'], { tokenizer: tok, beta }), 'ERR_ARG', 'beta', String(beta));
      await expectUniAdapterError(retrieveByImage(retrieval, texts, [images[0]], { beta }), 'ERR_ARG', 'beta');
    }
  });

  test("VQA mode 'bogus' is ERR_ARG", async () => {
    const options = { tokenizer: tok, mode: 'bogus' as 'rank', answerList: ['yes', 'no'] };
    await expectUniAdapterError(answerQuestions(vqa, [images[0]], ['is it red?'], options), 'ERR_ARG', "'bogus'", "'rank'", "'generate'");
  });

  test('repetitionPenalty NaN or 0 is ERR_ARG', async () => {
    for (const repetitionPenalty of [NaN, 0, -1, Infinity]) {
      await expectUniAdapterError(captionImages(caption, [images[0]], { tokenizer: tok, repetitionPenalty }), 'ERR_ARG', 'repetitionPenalty');
    }
  });

  test('minLength > maxLength is ERR_ARG, for captions and VQA generation', async () => {
    await expectUniAdapterError(captionImages(caption, [images[0]], { tokenizer: tok, minLength: 12, maxLength: 8 }), 'ERR_ARG', 'minLength 12', 'maxLength 8');
    const px = uint8(new Uint8Array(32 * 32 * 3), [1, 32, 32, 3]);
    const q = { dtype: 'int64' as const, shape: [1, 3], data: BigInt64Array.from([101n, 2054n, 102n]) };
    const m = { dtype: 'int64' as const, shape: [1, 3], data: BigInt64Array.from([1n, 1n, 1n]) };
    await expectUniAdapterError(vqa.generate({ pixels: px, questionIds: q, questionMask: m }, { minLength: 5, maxLength: 3 }), 'ERR_ARG', 'minLength 5');
  });

  test("kind 'audio' is ERR_ARG", async () => {
    await expectUniAdapterError(Gallery.build(retrieval, images, { kind: 'audio' as 'image' }), 'ERR_ARG', "'audio'");
    await expectUniAdapterError(retrieveByImage(retrieval, texts, [images[0]], { kind: 'audio' as 'image' }), 'ERR_ARG', "'audio'");
    await expectUniAdapterError(
      answerQuestions(vqa, [images[0]], ['is it red?'], { tokenizer: tok, answerList: ['yes'], kind: 'audio' as 'image' }),
      'ERR_ARG',
      "'audio'"
    );
  });

  test('setSeed(2^64) is ERR_ARG', async () => {
    await expectUniAdapterError(retrieval.setSeed(2 ** 64), 'ERR_ARG', 'seed', '2^53');
    await retrieval.setSeed(2 ** 53 - 1);
  });
});

describe('what crosses to the native side', () => {
  const pixels = (data: Uint8Array): HostTensor => ({ dtype: 'uint8', shape: [1, 32, 32, 3], data });

  test('a tensor in a SharedArrayBuffer is ERR_ARG naming the tensor', async () => {
    const shared = new Uint8Array(new SharedArrayBuffer(32 * 32 * 3));
    await expectUniAdapterError(retrieval.encodeImages(pixels(shared)), 'ERR_ARG', "tensor 'pixels'", 'SharedArrayBuffer');
  });

  test('a throwing option getter or tensor field is ERR_ARG naming it', async () => {
    const options = Object.defineProperty({}, 'n', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    }) as { n?: number };
    await expectUniAdapterError(utility.gemm({}, options), 'ERR_ARG', "option 'n'", 'boom');
    const tensor = Object.defineProperty({ dtype: 'uint8', shape: [1, 32, 32, 3] }, 'data', {
      enumerable: true,
      get() {
        throw new Error('no data');
      },
    }) as HostTensor;
    await expectUniAdapterError(retrieval.encodeImages(tensor), 'ERR_ARG', "tensor 'pixels'", 'no data');
  });

  test('a checkpoint tensor named __proto__ is an unexpected tensor like any other', async () => {
    const [name, t] = Object.entries(await retrieval.stateDict('all', ['itm_head.bias']))[0];
    const file = path.join(dir, 'proto.safetensors');
    await writeSafetensors(file, [
      [name, t],
      ['__proto__', float32([1, 2, 3], [3])],
    ]);
    const report = await loadWeights(retrieval, file);
    expect(report.loaded).toEqual([name]);
    expect(report.unexpected).toEqual(['__proto__']);
    await expectUniAdapterError(loadWeights(retrieval, file, { strict: true }), 'ERR_WEIGHTS', 'unexpected: __proto__');
  });
});

describe('adapter files', () => {
  test('an adapter file holding NaN is refused with ERR_WEIGHTS naming the tensor', async () => {
    const file = path.join(dir, 'adapter.safetensors');
    await saveAdapter(retrieval, file);
    const { metadata } = await SafetensorsFile.open(file).then(async (f) => {
      await f.close();
      return f;
    });
    const tensors = await readSafetensors(file);
    const [first] = Object.keys(tensors).sort();
    (tensors[first].data as Float32Array).fill(NaN);
    const poisoned = path.join(dir, 'nan.safetensors');
    await writeSafetensors(poisoned, tensors, metadata);
    await expectUniAdapterError(loadAdapter(retrieval, poisoned), 'ERR_WEIGHTS', poisoned, `'${first}'`, 'non-finite');
    await loadAdapter(retrieval, file); // the clean one still loads
  });

  test('saveAdapter refuses to replace a read-only file, and leaves it as it was', async () => {
    const file = path.join(dir, 'read-only.safetensors');
    await fsp.writeFile(file, 'keep me');
    await fsp.chmod(file, 0o444);
    await expectUniAdapterError(saveAdapter(retrieval, file), 'ERR_IO', file, 'read-only');
    expect(await fsp.readFile(file, 'utf8')).toBe('keep me');
    expect((await fsp.stat(file)).mode & 0o777).toBe(0o444);
  });

  test('saveAdapter writes through a symbolic link to its target, which keeps its mode; the link stays', async () => {
    const target = path.join(dir, 'real-adapter.safetensors');
    await fsp.writeFile(target, 'old');
    await fsp.chmod(target, 0o600);
    const link = path.join(dir, 'adapter-link.safetensors');
    await fsp.symlink(target, link);
    await saveAdapter(retrieval, link, { step: 9 });
    expect((await fsp.lstat(link)).isSymbolicLink()).toBe(true);
    expect(await fsp.readlink(link)).toBe(target);
    expect((await readAdapterMetadata(target)).step).toBe(9);
    expect((await fsp.stat(target)).mode & 0o777).toBe(0o600);
    expect((await fsp.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  test('saveAdapter over a symbolic link to nothing is ERR_IO', async () => {
    const link = path.join(dir, 'dangling.safetensors');
    await fsp.symlink(path.join(dir, 'nowhere.safetensors'), link);
    await expectUniAdapterError(saveAdapter(retrieval, link), 'ERR_IO', link, 'symbolic link to a file that does not exist');
  });
});
