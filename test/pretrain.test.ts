/**
 * BLIP's pretraining model: its ITC and ITM equal the retrieval model's on the same weights and
 * batch (with one id per pair, as BLIP_Pretrain's identity targets), its LM loss equals the caption
 * model's with no prompt, the decoder shares every text-encoder weight but its self-attention, and
 * `uniadapter pretrain` writes a checkpoint (with a manifest) that every task model loads.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ModelConfig, Task } from '../lib/config/model-config';
import { CaptionModel } from '../lib/model/caption-model';
import { PretrainModel } from '../lib/model/pretrain-model';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { VqaModel } from '../lib/model/vqa-model';
import { float32, int64, toNumbers, type HostTensor } from '../lib/tensor';
import { validateTrainerConfig, type TrainerConfig } from '../lib/train/trainer-config';
import { loadWeights } from '../lib/weights/load-weights';
import { saveWeights } from '../lib/weights/save-weights';
import { expectUniAdapterError } from './helpers/expect-error';
import { runCli } from './helpers/run-cli';
import { tinyConfig } from './helpers/tiny-models';

jest.setTimeout(300_000);

const B = 4;
const DECODER = { vocabSize: 30524, hidden: 32, layers: 2, heads: 2, intermediate: 64, maxPosition: 64, encoderWidth: 32 };

function config(task: Task, overrides: Partial<ModelConfig> = {}): ModelConfig {
  return tinyConfig(task, { petl: { method: 'full' }, momentumSharesBackbone: false, decoder: DECODER, queueSize: 8, seed: 11, ...overrides });
}

function batch() {
  const ids: number[] = [];
  for (let b = 0; b < B; b++) ids.push(101, 2000 + 7 * b, 2300 + 3 * b, 2500 + b, 102, ...(b % 2 ? [0] : [2600 + b]));
  return {
    pixels: float32(Array.from({ length: B * 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.013) + 0.3 * Math.cos(i * 0.0007)), [B, 3, 32, 32]),
    inputIds: int64(ids, [B, 6]),
    attentionMask: int64(ids.map((x) => (x ? 1 : 0)), [B, 6]),
  };
}

function maxAbsDiff(a: HostTensor, b: HostTensor): number {
  const x = toNumbers(a);
  const y = toNumbers(b);
  expect(x.length).toBe(y.length);
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
}

/** Decoder tensors that are the text encoder's (BLIP_Pretrain ties all but the self-attention). */
function tiedPairs(names: string[]): Array<[string, string]> {
  return names
    .filter((n) => n.startsWith('text_decoder.bert.') && !n.includes('.attention.'))
    .map((n) => [n, n.replace('text_decoder.bert.', 'text_encoder.')] as [string, string])
    .filter(([, enc]) => names.includes(enc));
}

describe('PretrainModel', () => {
  it("computes the retrieval model's ITC/ITM and the caption model's LM loss on the same weights", async () => {
    const pre = await PretrainModel.create(config('pretrain'));
    const ret = await RetrievalModel.create(config('retrieval'));
    const cap = await CaptionModel.create(config('caption'));
    try {
      const weights = await pre.stateDict('all');
      await ret.loadTensors(weights);
      await cap.loadTensors(weights);
      const b = batch();
      const options = { lr: 0, alpha: 0.4, train: false, update: false, hardNegatives: 'argmax' as const };
      const p = await pre.trainStep(b, options);
      const r = await ret.trainStep({ ...b, idx: int64([0, 1, 2, 3], [B]) }, options);
      const c = await cap.forward({ pixels: b.pixels, captionIds: b.inputIds, captionMask: b.attentionMask, promptLength: 0 });
      expect(p.stats.lossIta).toBeCloseTo(r.stats.lossIta, 5);
      expect(p.stats.lossItm).toBeCloseTo(r.stats.lossItm, 5);
      expect(p.stats.lossLm).toBeCloseTo(c.loss, 5);
      expect(p.stats.loss).toBeCloseTo(p.stats.lossIta + p.stats.lossItm + p.stats.lossLm, 5);
      // Not a vacuous match: a language model of random weights over BERT's vocabulary is near ln(30524).
      expect(p.stats.lossLm).toBeGreaterThan(5);
    } finally {
      await Promise.all([pre.dispose(), ret.dispose(), cap.dispose()]);
    }
  });

  it('keeps the tied decoder tensors identical to the encoder through training, and counts them once', async () => {
    const model = await PretrainModel.create(config('pretrain'));
    try {
      const info = await model.parameterInfo();
      const names = info.entries.map((e) => e.name);
      const pairs = tiedPairs(names);
      // Embeddings, and per layer cross-attention (query/key/value/output/norm), intermediate and output.
      expect(pairs.length).toBeGreaterThanOrEqual(5 + DECODER.layers * 12);
      const numel = new Map(info.entries.map((e) => [e.name, e.numel]));
      const listed = info.entries.filter((e) => e.group !== 'momentum').reduce((s, e) => s + e.numel, 0);
      const tiedNumel = pairs.reduce((s, [d]) => s + (numel.get(d) as number), 0);
      expect(info.counts.trainable).toBeLessThanOrEqual(listed - tiedNumel);

      const before = await model.stateDict('all');
      for (let step = 0; step < 2; step++) await model.trainStep(batch(), { lr: 5e-3, alpha: 0.4, train: false, hardNegatives: 'argmax' });
      const after = await model.stateDict('all');
      for (const [dec, enc] of pairs) {
        expect([dec, maxAbsDiff(after[dec], after[enc])]).toEqual([dec, 0]);
      }
      const changed = (n: string) => maxAbsDiff(before[n], after[n]) > 0;
      expect(changed('text_encoder.encoder.layer.0.crossattention.self.query.weight')).toBe(true);
      expect(changed('text_decoder.bert.encoder.layer.0.attention.self.query.weight')).toBe(true);
      // The self-attention is the decoder's own.
      expect(maxAbsDiff(after['text_decoder.bert.encoder.layer.0.attention.self.query.weight'], after['text_encoder.encoder.layer.0.attention.self.query.weight'])).toBeGreaterThan(0);
    } finally {
      await model.dispose();
    }
  });

  it('refuses ids, adapters and a shared momentum backbone with clear errors', async () => {
    const model = await PretrainModel.create(config('pretrain'));
    try {
      const ops = (model as unknown as { ops: { train_step: (i: object, o: object) => Promise<unknown> } }).ops;
      const b = batch();
      await expectUniAdapterError(
        ops.train_step({ pixels: b.pixels, input_ids: b.inputIds, attention_mask: b.attentionMask, idx: int64([0, 0, 1, 1], [B]) }, { lr: 0, alpha: 0.4 }),
        'ERR_ARG',
        'idx'
      );
    } finally {
      await model.dispose();
    }
    await expectUniAdapterError(PretrainModel.create(config('pretrain', { petl: { method: 'uniadapter', bottleneck: 8 } })), 'ERR_CONFIG', 'full');
    await expectUniAdapterError(PretrainModel.create(config('pretrain', { momentumSharesBackbone: true })), 'ERR_CONFIG', 'momentumSharesBackbone');
    await expectUniAdapterError(PretrainModel.create(config('retrieval')), 'ERR_CONFIG', 'pretrain');
  });
});

describe('saveWeights of a pretrained model', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-pretrain-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("with tied: 'once' stores each tied tensor once, and the caption model reads the same values as from a full file", async () => {
    const pre = await PretrainModel.create(config('pretrain'));
    const full = path.join(dir, 'full.safetensors');
    const once = path.join(dir, 'once.safetensors');
    try {
      await pre.trainStep(batch(), { lr: 5e-3, alpha: 0.4, train: false, hardNegatives: 'argmax' });
      const a = await saveWeights(pre, full, { momentum: false });
      const b = await saveWeights(pre, once, { momentum: false, tied: 'once' });
      const wordEmbeddingBytes = 30524 * 32 * 4;
      // The decoder's word embeddings (the encoder's, also the LM head's) and its cross-attention and FFN are not stored again.
      expect(a.bytes - b.bytes).toBeGreaterThan(wordEmbeddingBytes);
      const models = [await CaptionModel.create(config('caption', { seed: 1 })), await CaptionModel.create(config('caption', { seed: 2 }))];
      try {
        const reports = [await loadWeights(models[0], full), await loadWeights(models[1], once)];
        expect(reports[1].missing).toEqual(reports[0].missing);
        const [x, y] = [await models[0].stateDict('all'), await models[1].stateDict('all')];
        for (const n of Object.keys(x)) if (!/_m\.|_queue$|queue_ptr$/.test(n)) expect([n, maxAbsDiff(x[n], y[n])]).toEqual([n, 0]);
      } finally {
        await Promise.all(models.map((m) => m.dispose()));
      }
      await expectUniAdapterError(saveWeights(pre, once, { tied: 'sometimes' as 'once' }), 'ERR_ARG', 'tied');
    } finally {
      await pre.dispose();
    }
  });

  it('writes a BLIP checkpoint that loads into the retrieval, VQA and caption models with no backbone tensor missing', async () => {
    const pre = await PretrainModel.create(config('pretrain'));
    const file = path.join(dir, 'model.safetensors');
    try {
      await pre.trainStep(batch(), { lr: 5e-3, alpha: 0.4, train: false, hardNegatives: 'argmax' });
      const saved = await saveWeights(pre, file, { dtype: 'float16', momentum: false });
      expect(saved.bytes).toBe(fs.statSync(file).size);
      const weights = await pre.stateDict('all');
      for (const task of ['retrieval', 'vqa', 'caption'] as const) {
        const cfg = task === 'vqa' ? config('vqa', { decoder: { ...DECODER } }) : config(task);
        const model = task === 'retrieval' ? await RetrievalModel.create(cfg) : task === 'vqa' ? await VqaModel.create(cfg) : await CaptionModel.create(cfg);
        try {
          const report = await loadWeights(model, file);
          const backboneMissing = report.missing.filter((n) => !/_m\.|_queue$|queue_ptr$|^adapters/.test(n));
          // VQA's answer decoder is not in a pretraining checkpoint (BLIP initializes it from the text encoder).
          if (task === 'vqa') for (const n of backboneMissing) expect(n).toMatch(/^text_decoder\./);
          else expect(backboneMissing).toEqual([]);
          expect(report.mismatched).toEqual([]);
          const got = await model.stateDict('all', ['visual_encoder.blocks.1.mlp.fc1.weight', 'text_encoder.encoder.layer.1.crossattention.output.dense.weight']);
          for (const [n, t] of Object.entries(got)) expect([task, n, maxAbsDiff(t, weights[n]) < 2e-3]).toEqual([task, n, true]);
        } finally {
          await model.dispose();
        }
      }
    } finally {
      await pre.dispose();
    }
  });
});

describe('uniadapter pretrain', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-pretrain-cli-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // The tiny model's architecture, as a YAML model config of a task.
  const tinyModel = (task: string, petl = 'full') => `
    task: ${task}
    vision: { imageSize: 32, patchSize: 16, width: 32, depth: 2, heads: 2, mlpHidden: 64 }
    text: { vocabSize: 30524, hidden: 32, layers: 2, heads: 2, intermediate: 64, maxPosition: 64 }
    decoder: { vocabSize: 30524, hidden: 32, layers: 2, heads: 2, intermediate: 64, maxPosition: 64, encoderWidth: 32 }
    petl: { method: ${petl} }`;
  const yaml = (task = 'pretrain', extra = '') => `
task: ${task}
model:
  config:${tinyModel('pretrain')}
    embedDim: 16
    queueSize: 8
    momentum: 0.995
    momentumSharesBackbone: false
    backboneInit: variance-preserving
    seed: 3
synthetic: { seed: 5, imageSize: 32, numTrainImages: 16, numTestImages: 4, numValImages: 4, captionsPerImage: 1 }
data: { folder: ./data }
batchSize: 8
epochs: 1
lr: 1.0e-3
seed: 9
outputDir: ./run
export: { dtype: float16, momentum: false, tied: once }
${extra}`;

  it('generates its split, trains and writes the checkpoint with a manifest whose checksum is the file', async () => {
    const cfgFile = path.join(dir, 'pre.yaml');
    fs.writeFileSync(cfgFile, yaml());
    const r = await runCli(['pretrain', '--config', cfgFile]);
    expect({ code: r.code, err: r.code ? r.err : '' }).toEqual({ code: 0, err: '' });
    // The progress of a log that is not a terminal: the first step, then the end (2 steps of 8 images).
    expect(r.err).toMatch(/^step {2}1\/2 {3}50% {2}elapsed \d\d:\d\d {2}ETA \d\d:\d\d {2}loss \d+\.\d{4} \(ita [\d.]+ itm [\d.]+ lm [\d.]+\) {2}lr /m);
    expect(r.err).toMatch(/^step {2}2\/2 {2}100% .* epoch 1 {2}rss /m);
    const weights = path.join(dir, 'run', 'model.safetensors');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'model.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'uniadapter-pretrained/1', weights: 'model.safetensors', seed: 9, steps: 2, bytes: fs.statSync(weights).size });
    expect(manifest.sha256).toBe(createHash('sha256').update(fs.readFileSync(weights)).digest('hex'));
    expect(manifest.config.synthetic).toMatchObject({ numTrainImages: 16 });
    expect(Number.isFinite(manifest.finalLoss)).toBe(true);
    const model = await CaptionModel.create(config('caption'));
    try {
      const report = await loadWeights(model, weights, { strict: false });
      expect(report.missing.filter((n) => !/_m\.|_queue$|queue_ptr$/.test(n))).toEqual([]);
    } finally {
      await model.dispose();
    }
  });

  it("task 'vqa' fine-tunes the whole pretrained backbone on a synthetic split's questions (types omitted as asked) and writes a VQA checkpoint", async () => {
    const base = path.join(dir, 'run', 'model.safetensors');
    expect(fs.existsSync(base)).toBe(true);
    const vqaYaml = (petl: string, weights = 'weights: ./run/model.safetensors') => `
task: vqa
model:
  config:${tinyModel('vqa', petl)}
    backboneInit: variance-preserving
    seed: 3
${weights}
synthetic: { seed: 6, imageSize: 32, numTrainImages: 8, numTestImages: 4, numValImages: 4, questionsPerImage: 2, omitQuestionTypes: ['is there', 'how many'] }
data: { folder: ./vqa-data }
batchSize: 8
epochs: 1
lr: 1.0e-4
seed: 9
outputDir: ./run-vqa
`;
    const cfgFile = path.join(dir, 'vqa.yaml');
    fs.writeFileSync(cfgFile, vqaYaml('full'));
    const r = await runCli(['pretrain', '--config', cfgFile]);
    expect({ code: r.code, err: r.code ? r.err : '' }).toEqual({ code: 0, err: '' });
    const questions = JSON.parse(fs.readFileSync(path.join(dir, 'vqa-data', 'annotations', 'vqa_train.json'), 'utf8')) as Array<{ question: string }>;
    expect(questions).toHaveLength(16);
    expect(questions.filter((q) => /^(is there|how many)\b/.test(q.question))).toEqual([]);
    const weights = path.join(dir, 'run-vqa', 'model.safetensors');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'run-vqa', 'model.json'), 'utf8'));
    expect(manifest).toMatchObject({ weights: 'model.safetensors', steps: 2, command: expect.stringContaining('uniadapter pretrain --config') });
    expect(manifest.sha256).toBe(createHash('sha256').update(fs.readFileSync(weights)).digest('hex'));
    const model = await VqaModel.create(config('vqa', { petl: { method: 'uniadapter', bottleneck: 8 } }));
    try {
      const report = await loadWeights(model, weights, { strict: false });
      expect(report.missing.filter((n) => !/adapter/.test(n))).toEqual([]);
      expect(report.mismatched).toEqual([]);
      // Fine-tuned: the decoder moved away from the pretrained one it started from.
      const name = 'text_decoder.bert.encoder.layer.0.crossattention.self.query.weight';
      const [tuned, pretrained] = [(await model.stateDict('all', [name]))[name], (await (async () => {
        const p = await VqaModel.create(config('vqa'));
        try {
          await loadWeights(p, base, { strict: false });
          return (await p.stateDict('all', [name]))[name];
        } finally {
          await p.dispose();
        }
      })())];
      expect(maxAbsDiff(tuned, pretrained)).toBeGreaterThan(1e-4);
    } finally {
      await model.dispose();
    }
    for (const [yamlText, message] of [
      [vqaYaml('uniadapter'), "the config lacks petl.method 'full'"],
      [vqaYaml('full', ''), "the config lacks 'weights'"],
    ]) {
      fs.writeFileSync(cfgFile, yamlText);
      const bad = await runCli(['pretrain', '--config', cfgFile]);
      expect(bad.code).not.toBe(0);
      expect(bad.err).toContain(message);
    }
  });

  it('rejects another task, and export on a task that writes an adapter', async () => {
    const cfgFile = path.join(dir, 'wrong.yaml');
    fs.writeFileSync(cfgFile, yaml('retrieval'));
    const r = await runCli(['pretrain', '--config', cfgFile]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("uniadapter pretrain runs task 'pretrain'");
    const c = { task: 'retrieval', model: { preset: 'blip-base' }, data: { folder: dir }, batchSize: 2, outputDir: dir, export: { dtype: 'float16' } } as unknown as TrainerConfig;
    expect(() => validateTrainerConfig(c)).toThrow(/'export' is for runs that change the whole model/);
    expect(() => validateTrainerConfig({ ...c, model: { preset: 'blip-base', petl: { method: 'full' } } })).not.toThrow();
    const pre = { ...c, task: 'pretrain', batchSize: 6, export: undefined } as unknown as TrainerConfig;
    expect(() => validateTrainerConfig({ ...pre, shuffleBlock: 4 })).toThrow(/shuffleBlock must be a positive integer that divides batchSize 6, got 4/);
    expect(() => validateTrainerConfig({ ...pre, shuffleBlock: 0 })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => validateTrainerConfig({ ...pre, shuffleBlock: 3 })).not.toThrow();
  });
});
