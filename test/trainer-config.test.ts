/**
 * A training configuration with a key the trainer does not know is refused (ERR_CONFIG naming it)
 * instead of silently ignored, as a misspelt `warmupStep` would be, before anything runs, at the top
 * level and inside its `model` and `data` sections; the sections other commands read from the same
 * file pass, and every shipped configuration validates.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readTrainConfig } from '../lib/cli/train';
import { resolveModelConfig } from '../lib/config/model-choice';
import { openTaskDataset } from '../lib/data/task-data';
import { validateTrainerConfig, type TrainerConfig } from '../lib/train/trainer-config';
import { runCli } from './helpers/run-cli';

const base = { task: 'retrieval', model: { preset: 'blip-base' }, data: { folder: '/data' }, batchSize: 4, epochs: 1, lr: 1e-4, outputDir: '/out' } as TrainerConfig;

describe('training configuration keys', () => {
  it('refuses an unknown key with its name and the known ones', () => {
    expect(() => validateTrainerConfig({ ...base, warmupStep: 10 } as unknown as TrainerConfig)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG', message: expect.stringMatching(/unknown key 'warmupStep' in the training configuration \(known: .*warmupSteps/) })
    );
    expect(() => validateTrainerConfig({ ...base, synthetic: { seed: 1 } } as unknown as TrainerConfig)).toThrow(/'synthetic'.*read by `uniadapter pretrain` only/);
    expect(() => validateTrainerConfig([] as unknown as TrainerConfig)).toThrow(/must be a mapping/);
    // The evaluation section `uniadapter eval` reads is checked the same way.
    expect(() => validateTrainerConfig({ ...base, evaluation: { numbeams: 3 } } as unknown as TrainerConfig)).toThrow(/evaluation: unknown key 'numbeams' \(known: .*numBeams/);
    expect(() => validateTrainerConfig({ ...base, evaluation: { maxLength: 35 } } as unknown as TrainerConfig)).toThrow(/evaluation.maxLength is now the top-level maxTextLength/);
    expect(() => validateTrainerConfig({ ...base, evaluation: 3 } as unknown as TrainerConfig)).toThrow(/'evaluation' must be a mapping/);
  });

  it('refuses an unknown key inside model and data, and a data section of neither kind', async () => {
    const refuses = (c: unknown, message: RegExp) => expect(() => validateTrainerConfig(c as TrainerConfig)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG', message: expect.stringMatching(message) }));
    refuses({ ...base, model: { preset: 'blip-base', imagesize: 384 } }, /model: unknown key 'imagesize' \(known: preset, config, imageSize,/);
    refuses({ ...base, model: { imageSize: 384 } }, /model needs a 'preset' or a 'config'/);
    refuses({ ...base, model: 'blip-base' }, /'model' must be a mapping/);
    refuses({ ...base, data: { folder: '/data', split: 'train' } }, /data: unknown key 'split' for a dataset folder \(it takes folder;.*evaluation takes the split at the top level or with --split/);
    refuses({ ...base, data: { folder: '' } }, /data.folder must be a path/);
    refuses({ ...base, data: { format: 'coco-karpathy', annotations: 'a.json', mediaRoot: '/m', mediaroot: '/m' } }, /data: unknown key 'mediaroot' for annotation files \(it takes format, annotations, mediaRoot/);
    refuses({ ...base, data: { annotations: 'a.json', mediaRoot: '/m' } }, /data.format must be one of .*\('data' is \{ folder \}/);
    refuses({ ...base, data: { format: 'coco-karpathy', annotations: [], mediaRoot: '/m' } }, /data.annotations must be a path, a list of paths, or the files per split/);
    refuses({ ...base, data: { format: 'coco-karpathy', annotations: { tset: 't.json' }, mediaRoot: '/m' } }, /data.annotations: unknown key 'tset' \(the files per split are train, val, test/);
    refuses({ ...base, data: { format: 'coco-caption', annotations: { gt: { train: 'g.json' } }, mediaRoot: '/m' } }, /data.annotations.gt must be a path, or \{ val, test \} paths/);
    refuses({ ...base, data: { format: 'coco-karpathy', annotations: { test: 't.json', gt: 'g.json' }, mediaRoot: '/m' } }, /data.annotations.gt is only for coco-caption; format 'coco-karpathy' would ignore it/);
    refuses({ ...base, data: { format: 'msrvtt-qa', annotations: { test: 't.json', vgMediaRoot: '/vg' }, mediaRoot: '/m' } }, /data.annotations.vgMediaRoot is only for vqa-v2;/);
    refuses({ ...base, data: { format: 'coco-karpathy', annotations: 'a.json' } }, /data.mediaRoot must be the folder/);
    refuses({ ...base, data: [] }, /'data' must be a mapping/);
    refuses({ ...base, data: { fodler: '/data' } }, /data has neither 'folder' nor 'format', 'annotations', 'mediaRoot' \(it has: fodler\)/);
    refuses({ ...base, model: { preset: 'blip-base', config: { task: 'retrieval' } } }, /model: 'preset' has no effect beside 'config'/);
    refuses({ ...base, model: { config: { task: 'retrieval' }, imageSize: 224 } }, /model: 'imageSize' has no effect beside 'config'/);
    expect(() => validateTrainerConfig({ ...base, data: { format: 'coco-karpathy', annotations: 'a.json', mediaRoot: '/m' } } as TrainerConfig)).not.toThrow();
    const perSplit = { format: 'coco-caption', annotations: { train: ['a.json', 'b.json'], test: 't.json', gt: { test: 'g.json' } }, mediaRoot: '/m' };
    expect(() => validateTrainerConfig({ ...base, data: perSplit } as TrainerConfig)).not.toThrow();
    // Evaluation resolves the same sections through the same checks.
    expect(() => resolveModelConfig('retrieval', { preset: 'blip-base', precison: 'bf16' } as never)).toThrow(/model: unknown key 'precison'/);
    await expect(openTaskDataset('retrieval', { folder: '/data', spilt: 'test' } as never)).rejects.toThrow(/data: unknown key 'spilt'/);
    await expect(openTaskDataset('vqa', { format: 'coco-karpathy', annotations: 'a.json', mediaRoot: '/m' })).rejects.toThrow(
      /data.format 'coco-karpathy' holds retrieval annotations; task 'vqa' reads vqa data \(formats: vqa-v2\)/
    );
    await expect(openTaskDataset('pretrain', { format: 'msrvtt', annotations: 'a.json', mediaRoot: '/m' })).rejects.toThrow(/task 'pretrain' reads retrieval data \(formats: coco-karpathy, flickr30k\)/);
  });

  it('accepts every documented key and the evaluation section', () => {
    expect(() => validateTrainerConfig({ ...base, evaluation: { k: 16 }, warmupSteps: 10, shuffleBlock: 2, threads: 1 } as TrainerConfig)).not.toThrow();
  });

  it('validates every shipped configuration (pretraining without its synthetic section, which pretrain takes off)', () => {
    const dir = path.join(__dirname, '..', 'configs');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const { synthetic: _synthetic, ...config } = readTrainConfig(path.join(dir, f)) as TrainerConfig & { synthetic?: unknown };
      expect(() => validateTrainerConfig(config as TrainerConfig)).not.toThrow();
    }
  });

  it('resolves every path of a configuration against its own folder, the per-split ground truth included', () => {
    const dir = path.join(__dirname, '..', 'configs');
    const c = readTrainConfig(path.join(dir, 'coco-caption.yaml'));
    expect(c.data).toEqual({
      format: 'coco-caption',
      annotations: {
        train: path.join(dir, 'data/coco/coco_karpathy_train.json'),
        test: path.join(dir, 'data/coco/coco_karpathy_test.json'),
        gt: { test: path.join(dir, 'data/coco/coco_karpathy_test_gt.json') },
      },
      mediaRoot: path.join(dir, 'data/coco/images'),
    });
  });

  it('uniadapter train stops on a misspelt key before it trains', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-keys-'));
    try {
      const file = path.join(dir, 'train.json');
      fs.writeFileSync(file, JSON.stringify({ ...base, outputDir: path.join(dir, 'out'), learningRate: 1e-4 }));
      const r = await runCli(['train', '--config', file]);
      expect(r.code).not.toBe(0);
      expect(r.err).toContain("unknown key 'learningRate'");
      expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
      // pretrain checks the keys before it generates its synthetic split.
      const pre = path.join(dir, 'pretrain.json');
      const data = path.join(dir, 'split');
      fs.writeFileSync(pre, JSON.stringify({ ...base, task: 'pretrain', data: { folder: data }, synthetic: { numTrainImages: 8 }, epoch: 1 }));
      const p = await runCli(['pretrain', '--config', pre]);
      expect(p.code).not.toBe(0);
      expect(p.err).toContain("unknown key 'epoch'");
      expect(fs.existsSync(data)).toBe(false);
      // eval stops on a misspelt evaluation setting before it builds a model.
      const ev = path.join(dir, 'eval.json');
      fs.writeFileSync(ev, JSON.stringify({ ...base, evaluation: { numbeams: 3 } }));
      const e = await runCli(['eval', '--config', ev]);
      expect(e.code).not.toBe(0);
      expect(e.err).toContain(`${ev}: evaluation: unknown key 'numbeams'`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
