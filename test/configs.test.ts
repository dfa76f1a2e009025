/** The shipped configurations for the paper's tasks read, validate and describe the intended models. */
import * as fs from 'fs';
import * as path from 'path';
import { readTrainConfig } from '../lib/cli/train';
import { presetConfig } from '../lib/config/presets';
import { resolveConfig } from '../lib/config/resolve-config';
import type { EvalConfig } from '../lib/evaluation/eval-config';
import { evalModelConfig } from '../lib/evaluation/run-evaluation';
import { Trainer } from '../lib/train/trainer';
import type { TrainerConfig } from '../lib/train/trainer-config';
import { resolveSyntheticOptions } from '../lib/tools/synthetic/options';

const dir = path.resolve(__dirname, '..', 'configs');
const all = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
/** The paper's downstream tasks; pretrain-*.yaml make backbones. */
const files = all.filter((f) => !f.startsWith('pretrain-'));

describe('configs/', () => {
  it('has one configuration per task of the paper', () => {
    expect(files).toEqual([
      'coco-caption.yaml',
      'coco-retrieval.yaml',
      'didemo-retrieval.yaml',
      'flickr30k-retrieval.yaml',
      'msrvtt-qa.yaml',
      'msrvtt-retrieval.yaml',
      'vqav2.yaml',
    ]);
  });

  it.each(files)('%s validates and builds a model configuration', async (f) => {
    const c = readTrainConfig(path.join(dir, f));
    const t = new Trainer(c);
    const m = await resolveConfig(t.modelConfig());
    expect(m.petl.method).toBe('uniadapter');
    expect(m.petl.bottleneck).toBe(512);
    expect(path.isAbsolute(c.outputDir)).toBe(true);
    expect(c.lr).toBeGreaterThan(0);
    if (c.task === 'vqa') expect(m.vision.imageSize).toBe(480);
    if (c.task === 'video-retrieval') expect(m.vision.imageSize).toBe(224);
    if (c.task === 'retrieval' || c.task === 'video-retrieval') expect((m.queueSize as number) % c.batchSize).toBe(0);
  });
});

describe('configs/pretrain-demo.yaml', () => {
  it('pretrains the embedded backbone and exports it under models/', async () => {
    expect(all.filter((f) => f.startsWith('pretrain-'))).toEqual(['pretrain-demo-vqa.yaml', 'pretrain-demo.yaml']);
    // `uniadapter pretrain` takes the synthetic section off before the trainer sees the rest.
    const { synthetic, ...c } = readTrainConfig(path.join(dir, 'pretrain-demo.yaml')) as TrainerConfig & { synthetic?: unknown };
    expect(synthetic).toBeDefined();
    expect(c.task).toBe('pretrain');
    const m = await resolveConfig(new Trainer(c).modelConfig());
    expect(m.task).toBe('pretrain');
    expect(m.petl.method).toBe('full');
    expect(m.momentumSharesBackbone).toBe(false);
    expect((m.queueSize as number) % c.batchSize).toBe(0);
    expect(c.export?.path).toBe(path.resolve(__dirname, '..', 'models', 'demo-blip.safetensors'));
    expect(c.export).toMatchObject({ dtype: 'float16', momentum: false, tied: 'once' });
  });
});

describe('configs/pretrain-demo-vqa.yaml', () => {
  it("fine-tunes every weight but the word embeddings of the embedded backbone's VQA model on its own split's questions, 'is there' left out, and exports the difference into the package", async () => {
    const { synthetic, ...c } = readTrainConfig(path.join(dir, 'pretrain-demo-vqa.yaml')) as TrainerConfig & { synthetic?: Parameters<typeof resolveSyntheticOptions>[0] };
    expect(c.task).toBe('vqa');
    expect(c.weights).toBe(path.resolve(__dirname, '..', 'models', 'demo-blip.safetensors'));
    const m = await resolveConfig(new Trainer(c).modelConfig());
    expect(m.petl.method).toBe('full');
    expect(m.petl.freeze).toEqual(['word_embeddings']);
    const pretrain = readTrainConfig(path.join(dir, 'pretrain-demo.yaml'));
    const p = pretrain.model.config!;
    expect([m.vision.imageSize, m.vision.width, m.vision.depth, m.text.hidden, m.text.layers]).toEqual([p.vision!.imageSize, p.vision!.width, p.vision!.depth, p.text!.hidden, p.text!.layers]);
    const s = resolveSyntheticOptions(synthetic);
    expect(s.omitQuestionTypes).toEqual(['is there']);
    expect(s.patterns).toBe(false);
    expect(s.seed).toBe((pretrain as unknown as { synthetic: { seed: number } }).synthetic.seed);
    expect(c.export?.path).toBe(path.resolve(__dirname, '..', 'models', 'demo-blip-vqa.safetensors'));
    expect(c.export?.base).toBe(c.weights);
    expect(c.export).toMatchObject({ dtype: 'float16', momentum: false });
  });
});

describe('official behaviour by default', () => {
  const officialNegatives: Record<string, boolean> = {
    'coco-retrieval.yaml': true, // configs/retrieval_coco.yaml: negative_all_rank True
    'flickr30k-retrieval.yaml': false, // configs/retrieval_flickr.yaml: negative_all_rank False
    'msrvtt-retrieval.yaml': true, // video: PFA needs the all-rank branch in the official forward
    'didemo-retrieval.yaml': true,
  };

  it('presetConfig builds the separate momentum backbone of the official model', async () => {
    for (const task of ['retrieval', 'vqa', 'caption'] as const) {
      expect((await resolveConfig(presetConfig('blip-base', task))).momentumSharesBackbone).toBe(false);
      expect((await resolveConfig(presetConfig('blip-large', task))).momentumSharesBackbone).toBe(false);
    }
  });

  it.each(files)('%s keeps the momentum backbone and samples negatives as the official config', async (f) => {
    const c = readTrainConfig(path.join(dir, f));
    const m = await resolveConfig(new Trainer(c).modelConfig());
    expect(m.momentumSharesBackbone).toBe(false);
    if (f in officialNegatives) expect(m.negativeAllRank).toBe(officialNegatives[f]);
    // Evaluation resolves the same model configuration as training.
    expect(await resolveConfig(evalModelConfig(c as unknown as EvalConfig))).toEqual(m);
  });

  it('DiDeMo uses one text length, 64 tokens, in training and evaluation', () => {
    const c = readTrainConfig(path.join(dir, 'didemo-retrieval.yaml')) as ReturnType<typeof readTrainConfig> & { evaluation?: Record<string, unknown> };
    expect(c.maxTextLength).toBe(64);
    expect(c.evaluation).not.toHaveProperty('maxLength');
    for (const f of files.filter((x) => x !== 'didemo-retrieval.yaml')) expect(readTrainConfig(path.join(dir, f)).maxTextLength).toBeUndefined();
  });
});
