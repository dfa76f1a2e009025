/**
 * A full fine-tuning that keeps some weights frozen (petl.freeze), written as a difference from its base
 * checkpoint (saveWeights `base`): the file holds only what changed, names its base by checksum, and
 * loads into a fresh model exactly as the whole checkpoint does; a missing or different base is an error
 * that says so.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ModelConfig } from '../lib/config/model-config';
import { SafetensorsFile, writeSafetensors } from '../lib/io/safetensors';
import { PretrainModel } from '../lib/model/pretrain-model';
import { VqaModel } from '../lib/model/vqa-model';
import { float32, int64, toNumbers, type HostTensor } from '../lib/tensor';
import { BASE_METADATA_KEY, TIED_METADATA_KEY } from '../lib/weights/checkpoint-view';
import { loadWeights } from '../lib/weights/load-weights';
import { saveWeights } from '../lib/weights/save-weights';
import { expectUniAdapterError } from './helpers/expect-error';
import { tinyConfig } from './helpers/tiny-models';

jest.setTimeout(120_000);

const DECODER = { vocabSize: 30524, hidden: 32, layers: 2, heads: 2, intermediate: 64, maxPosition: 64, encoderWidth: 32 };
const FROZEN = /word_embeddings|cls\.predictions\.decoder/;

function vqaConfig(seed: number, freeze?: string[]): ModelConfig {
  return tinyConfig('vqa', { petl: { method: 'full', ...(freeze ? { freeze } : {}) }, decoder: DECODER, seed });
}

function vqaBatch() {
  const B = 2;
  return {
    pixels: float32(Array.from({ length: B * 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.017)), [B, 3, 32, 32]),
    questionIds: int64([101, 2054, 3609, 102, 101, 2129, 2116, 102], [B, 4]),
    questionMask: int64([1, 1, 1, 1, 1, 1, 1, 1], [B, 4]),
    answerIds: int64([30522, 2417, 102, 30522, 2048, 102, 30522, 2093, 102], [3, 3]),
    answerMask: int64([1, 1, 1, 1, 1, 1, 1, 1, 1], [3, 3]),
    answerCount: int64([1, 2], [B]),
    answerWeights: float32([1, 0.5, 0.5], [3]),
  };
}

function maxAbsDiff(a: HostTensor, b: HostTensor): number {
  const x = toNumbers(a);
  const y = toNumbers(b);
  expect(x.length).toBe(y.length);
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
}

describe('petl.freeze', () => {
  it('keeps every parameter a pattern matches frozen under full fine-tuning, tied names included, and reports the patterns', async () => {
    await using model = await VqaModel.create(vqaConfig(1, ['word_embeddings']));
    expect(model.config.petl.freeze).toEqual(['word_embeddings']);
    await using plain = await VqaModel.create(vqaConfig(1));
    expect(plain.config.petl.freeze).toEqual([]);
    const frozenNames = async (m: VqaModel) => (await m.parameterInfo()).entries.filter((e) => !e.trainable).map((e) => e.name);
    const before = new Set(await frozenNames(plain));
    const newlyFrozen = (await frozenNames(model)).filter((n) => !before.has(n));
    expect(newlyFrozen.length).toBeGreaterThan(0);
    for (const name of newlyFrozen) expect(name).toMatch(FROZEN);
    for (const e of (await model.parameterInfo()).entries) if (FROZEN.test(e.name)) expect([e.name, e.trainable]).toEqual([e.name, false]);
  });

  it('is an ERR_CONFIG for a pattern that is not a regular expression', async () => {
    await expectUniAdapterError(VqaModel.create(vqaConfig(1, ['word_(embeddings'])), 'ERR_CONFIG', "petl.freeze: 'word_(embeddings' is not a regular expression");
  });
});

describe('saveWeights with a base', () => {
  let dir: string;
  let base: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-base-'));
    base = path.join(dir, 'base.safetensors');
    await using pre = await PretrainModel.create(tinyConfig('pretrain', { petl: { method: 'full' }, momentumSharesBackbone: false, decoder: DECODER, queueSize: 8, seed: 11 }));
    await saveWeights(pre, base, { dtype: 'float16', momentum: false, tied: 'once' });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A VQA model fine-tuned from the base for one step with the word embeddings frozen. */
  async function tuned(): Promise<VqaModel> {
    const model = await VqaModel.create(vqaConfig(2, ['word_embeddings']));
    await loadWeights(model, base);
    await model.trainStep(vqaBatch(), { lr: 1e-2, train: false });
    return model;
  }

  it('writes only what differs from the base, and loads as the whole checkpoint does', async () => {
    await using model = await tuned();
    const whole = path.join(dir, 'whole.safetensors');
    const delta = path.join(dir, 'models', 'delta.safetensors');
    fs.mkdirSync(path.dirname(delta));
    const w = await saveWeights(model, whole, { dtype: 'float16' });
    const d = await saveWeights(model, delta, { dtype: 'float16', base });
    // Both word-embedding tables (text encoder and answer decoder, 30524 × 32 each) stay with the base.
    expect(w.bytes - d.bytes).toBeGreaterThan(2 * 30524 * 32 * 2);
    const file = await SafetensorsFile.open(delta);
    try {
      expect(file.names().filter((n) => FROZEN.test(n))).toEqual([]);
      expect(JSON.parse(file.metadata[BASE_METADATA_KEY])).toEqual({ file: '../base.safetensors', bytes: fs.statSync(base).size, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    } finally {
      await file.close();
    }
    await using a = await VqaModel.create(vqaConfig(3));
    await using b = await VqaModel.create(vqaConfig(4));
    await loadWeights(a, whole, { strict: true });
    const report = await loadWeights(b, delta);
    expect(report.file).toBe(delta);
    expect(report.missing).toEqual([]);
    // The base is a pretraining checkpoint: its retrieval heads have no place in a VQA model.
    for (const n of report.unexpected) expect(n).toMatch(/^(itm_head|text_proj|vision_proj|temp)\b/);
    const [x, y] = [await a.stateDict('all'), await b.stateDict('all')];
    expect(Object.keys(y).sort()).toEqual(Object.keys(x).sort());
    for (const n of Object.keys(x)) expect([n, maxAbsDiff(x[n], y[n])]).toEqual([n, 0]);
  });

  it('finds its base relative to itself, and refuses one that is missing or is another file, saying which', async () => {
    await using model = await tuned();
    const delta = path.join(dir, 'copies', 'delta.safetensors');
    fs.mkdirSync(path.dirname(delta));
    await saveWeights(model, delta, { dtype: 'float16', base });
    await using fresh = await VqaModel.create(vqaConfig(5));
    const place = (name: string, baseBytes?: Buffer) => {
      const d = path.join(dir, name, 'models');
      fs.mkdirSync(d, { recursive: true });
      fs.copyFileSync(delta, path.join(d, 'delta.safetensors'));
      if (baseBytes) fs.writeFileSync(path.join(dir, name, 'base.safetensors'), baseBytes);
      return path.join(d, 'delta.safetensors');
    };
    // Moved together with its base (same relative place): it loads.
    await loadWeights(fresh, place('together', fs.readFileSync(base)));
    await expectUniAdapterError(loadWeights(fresh, place('alone')), 'ERR_WEIGHTS', 'which is not at');
    const changed = fs.readFileSync(base);
    changed[changed.length - 1] ^= 1;
    await expectUniAdapterError(loadWeights(fresh, place('changed', changed)), 'ERR_WEIGHTS', 'is not that base');
  });

  it('is an ERR_STATE when nothing differs from the base, and an ERR_ARG for a base that does not exist', async () => {
    await using model = await VqaModel.create(vqaConfig(2, ['word_embeddings']));
    const full = path.join(dir, 'vqa-base.safetensors');
    await loadWeights(model, base);
    await saveWeights(model, full, { dtype: 'float16' });
    await expectUniAdapterError(saveWeights(model, path.join(dir, 'none.safetensors'), { dtype: 'float16', base: full }), 'ERR_STATE', 'every tensor equals the base');
    expect(fs.existsSync(path.join(dir, 'none.safetensors'))).toBe(false);
    await expectUniAdapterError(saveWeights(model, path.join(dir, 'x.safetensors'), { base: path.join(dir, 'absent.safetensors') }), 'ERR_ARG', 'no checkpoint at');
  });

  it('refuses a header whose base or tied-name entry is malformed, naming the entry', async () => {
    await using model = await VqaModel.create(vqaConfig(6));
    const t = float32([1, 2], [2]);
    const cases: Array<[Record<string, string>, string]> = [
      [{ [BASE_METADATA_KEY]: '{"file": 3}' }, `header entry '${BASE_METADATA_KEY}' must be a JSON object with file, bytes and sha256`],
      [{ [BASE_METADATA_KEY]: 'not json' }, `header entry '${BASE_METADATA_KEY}' must be`],
      [{ [TIED_METADATA_KEY]: '["a"]' }, `header entry '${TIED_METADATA_KEY}' must be a JSON object of tensor name to stored name`],
      [{ [TIED_METADATA_KEY]: '{"text_encoder.pooler.dense.bias": "absent"}' }, "'text_encoder.pooler.dense.bias' is tied to 'absent', which the file does not hold"],
    ];
    for (const [i, [metadata, message]] of cases.entries()) {
      const file = path.join(dir, `bad-header-${i}.safetensors`);
      await writeSafetensors(file, { 'text_encoder.pooler.dense.bias': t }, metadata);
      await expectUniAdapterError(loadWeights(model, file), 'ERR_WEIGHTS', message);
    }
  });
});
