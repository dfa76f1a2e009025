/** The training loop tokenises retrieval captions to the config's maxTextLength (35 by default). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateSyntheticDataset } from '../lib/tools/synthetic';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { Trainer } from '../lib/train/trainer';
import { tinyConfig } from './helpers/tiny-models';

jest.setTimeout(120_000);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-textlen-'));
const data = path.join(root, 'data');

beforeAll(async () => {
  await generateSyntheticDataset(data, { seed: 3, imageSize: 32, numTrainImages: 8, numValImages: 2, numTestImages: 2, tasks: ['retrieval'] });
});

async function widthsOfOneStep(maxTextLength?: number): Promise<number[]> {
  const model = await RetrievalModel.create(tinyConfig('retrieval'));
  const widths: number[] = [];
  const real = model.trainStep.bind(model);
  model.trainStep = async (batch, options) => {
    widths.push(batch.inputIds.shape[1]);
    return real(batch, options);
  };
  try {
    await new Trainer(
      { task: 'retrieval', model: { config: tinyConfig('retrieval') }, data: { folder: data }, batchSize: 4, epochs: 1, lr: 1e-3, maxSteps: 1, outputDir: path.join(root, `out-${maxTextLength}`), ...(maxTextLength ? { maxTextLength } : {}) },
      { model }
    ).run();
  } finally {
    await model.dispose();
  }
  return widths;
}

it('pads and cuts the captions to maxTextLength', async () => {
  expect(await widthsOfOneStep(9)).toEqual([9]);
  expect(await widthsOfOneStep()).toEqual([35]);
});

it('refuses a text length that cannot hold [CLS] and [SEP]', () => {
  expect(() => new Trainer({ task: 'retrieval', model: { preset: 'blip-base' }, data: { folder: data }, batchSize: 4, epochs: 1, lr: 1e-3, outputDir: root, maxTextLength: 1 })).toThrow(/maxTextLength/);
});
