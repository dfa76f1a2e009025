/**
 * Resuming continues exactly: on the CPU in fp32, a run interrupted (AbortSignal, checkpoint written)
 * and resumed from its checkpoint gives the same losses and the same final adapter as an
 * uninterrupted run — with dropout, sampled hard negatives and data augmentation all active.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateSyntheticDataset } from '../lib/tools/synthetic';
import { readSafetensors } from '../lib/io/safetensors';
import { Trainer } from '../lib/train/trainer';
import type { TrainerConfig } from '../lib/train/trainer-config';
import { toNumbers } from '../lib/tensor';
import { tinyConfig } from './helpers/tiny-models';

jest.setTimeout(300_000);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-resume-'));
const data = path.join(root, 'data');

function config(out: string): TrainerConfig {
  return {
    task: 'retrieval',
    model: { config: tinyConfig('retrieval') },
    data: { folder: data },
    batchSize: 8,
    epochs: 2,
    lr: 1e-3,
    outputDir: out,
    hardNegatives: 'sample',
    dropout: true,
    augment: true,
    seed: 11,
  };
}

beforeAll(async () => {
  await generateSyntheticDataset(data, { seed: 5, imageSize: 32, numTrainImages: 24, numValImages: 4, numTestImages: 4, tasks: ['retrieval'] });
});

describe('resume', () => {
  it('an interrupted and resumed run equals an uninterrupted one', async () => {
    const full = await new Trainer(config(path.join(root, 'full'))).run();
    expect(full.status).toBe('completed');
    expect(full.steps).toBeGreaterThanOrEqual(12);

    const stopAt = 5; // mid-epoch
    const abort = new AbortController();
    const first = new Trainer(config(path.join(root, 'split')), { signal: abort.signal });
    first.on('step', (e) => {
      if (e.step === stopAt) abort.abort();
    });
    const a = await first.run();
    expect(a.status).toBe('aborted');
    expect(a.steps).toBe(stopAt);
    expect(fs.existsSync(path.join(root, 'split', 'checkpoint.safetensors'))).toBe(true);

    const b = await new Trainer({ ...config(path.join(root, 'split')), resume: 'latest' }).run();
    expect(b.status).toBe('completed');
    expect(b.steps).toBe(full.steps);
    expect([...a.losses, ...b.losses]).toEqual(full.losses);

    const x = await readSafetensors(path.join(root, 'full', 'adapter.safetensors'));
    const y = await readSafetensors(path.join(root, 'split', 'adapter.safetensors'));
    expect(Object.keys(y).sort()).toEqual(Object.keys(x).sort());
    for (const k of Object.keys(x)) expect(toNumbers(y[k])).toEqual(toNumbers(x[k]));
  });

  it('runs no step when resumed at or past a lower step limit', async () => {
    const out = path.join(root, 'limit');
    fs.mkdirSync(out, { recursive: true });
    // The uninterrupted run's checkpoint, at the end of its 2 epochs, resumed with a limit of 4 steps.
    fs.copyFileSync(path.join(root, 'full', 'checkpoint.safetensors'), path.join(out, 'checkpoint.safetensors'));
    const trainer = new Trainer({ ...config(out), epochs: 4, maxSteps: 4, resume: 'latest' });
    let steps = 0;
    trainer.on('step', () => steps++);
    const r = await trainer.run();
    expect({ status: r.status, stepsRun: steps, losses: r.losses }).toEqual({ status: 'max-steps', stepsRun: 0, losses: [] });
    expect(r.steps).toBeGreaterThan(4);
  });

  it('refuses a checkpoint of another task or method', async () => {
    const cfg = config(path.join(root, 'other'));
    cfg.model = { config: tinyConfig('retrieval', { petl: { method: 'lora', loraRank: 2 } }) };
    cfg.resume = path.join(root, 'full', 'checkpoint.safetensors');
    await expect(new Trainer(cfg).run()).rejects.toMatchObject({ code: 'ERR_WEIGHTS' });
  });
});
