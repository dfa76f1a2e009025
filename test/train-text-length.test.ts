/**
 * The training loop tokenises retrieval captions to the config's maxTextLength (35 by default), or to
 * each batch's longest caption with textPadding 'longest', which gives the same loss.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateSyntheticDataset } from '../lib/tools/synthetic';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { Trainer } from '../lib/train/trainer';
import type { TrainerConfig } from '../lib/train/trainer-config';
import { tinyConfig } from './helpers/tiny-models';

jest.setTimeout(120_000);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-textlen-'));
const data = path.join(root, 'data');

beforeAll(async () => {
  await generateSyntheticDataset(data, { seed: 3, imageSize: 32, numTrainImages: 8, numValImages: 2, numTestImages: 2, tasks: ['retrieval'] });
});

async function oneStep(options: Partial<TrainerConfig> = {}): Promise<{ widths: number[]; losses: number[] }> {
  const model = await RetrievalModel.create(tinyConfig('retrieval'));
  const widths: number[] = [];
  const real = model.trainStep.bind(model);
  model.trainStep = async (batch, o) => {
    widths.push(batch.inputIds.shape[1]);
    return real(batch, o);
  };
  const losses: number[] = [];
  try {
    const trainer = new Trainer(
      { task: 'retrieval', model: { config: tinyConfig('retrieval') }, data: { folder: data }, batchSize: 4, epochs: 1, lr: 1e-3, maxSteps: 2, dropout: false, outputDir: fs.mkdtempSync(path.join(root, 'out-')), ...options },
      { model }
    );
    trainer.on('step', (e) => losses.push(e.loss));
    await trainer.run();
  } finally {
    await model.dispose();
  }
  return { widths, losses };
}

it('pads and cuts the captions to maxTextLength', async () => {
  expect((await oneStep({ maxTextLength: 9 })).widths).toEqual([9, 9]);
  expect((await oneStep()).widths).toEqual([35, 35]);
});

it("pads to each batch's longest caption with textPadding 'longest', with the same losses", async () => {
  const full = await oneStep();
  const longest = await oneStep({ textPadding: 'longest' });
  expect(longest.widths.every((w) => w > 3 && w < 35)).toBe(true);
  expect(longest.losses).toHaveLength(2);
  longest.losses.forEach((l, i) => expect(Math.abs(l - full.losses[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(full.losses[i]))));
  // Captions longer than maxTextLength are still cut to it.
  expect((await oneStep({ textPadding: 'longest', maxTextLength: 4 })).widths).toEqual([4, 4]);
});

it('refuses an unknown textPadding', () => {
  expect(() => new Trainer({ task: 'retrieval', model: { preset: 'blip-base' }, data: { folder: data }, batchSize: 4, epochs: 1, lr: 1e-3, outputDir: root, textPadding: 'shortest' as 'longest' })).toThrow(/textPadding must be 'max-length' or 'longest', got 'shortest'/);
});

it('refuses a text length that cannot hold [CLS] and [SEP]', () => {
  expect(() => new Trainer({ task: 'retrieval', model: { preset: 'blip-base' }, data: { folder: data }, batchSize: 4, epochs: 1, lr: 1e-3, outputDir: root, maxTextLength: 1 })).toThrow(/maxTextLength/);
});
