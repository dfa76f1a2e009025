/**
 * Retrieval evaluation with textPadding 'longest' pads every text to the longest of the set, and scores
 * the same as the official padding to 35 (attention masks the padding out).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateSyntheticDataset } from '../lib/tools/synthetic';
import { openDatasetFolder } from '../lib/data/dataset-folder';
import { evaluateRetrieval } from '../lib/evaluation/retrieval/evaluate';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { BlipTokenizer } from '../lib/text/tokenizer';
import { UniAdapterError } from '../lib/errors';
import { tinyConfig } from './helpers/tiny-models';

jest.setTimeout(120_000);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-evalpad-'));
const data = path.join(root, 'data');
const tok = BlipTokenizer.bertBaseUncased();
let model: RetrievalModel;

beforeAll(async () => {
  await generateSyntheticDataset(data, { seed: 5, imageSize: 32, numTrainImages: 2, numValImages: 2, numTestImages: 12, tasks: ['retrieval'] });
  model = await RetrievalModel.create(tinyConfig('retrieval'));
});
afterAll(async () => {
  await model.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

async function run(textPadding?: 'max-length' | 'longest') {
  const set = await (await openDatasetFolder(data)).task('retrieval').readEval('test');
  const widths: number[] = [];
  const real = model.encodeTexts.bind(model);
  model.encodeTexts = async (ids, mask) => {
    widths.push(ids.shape[1]);
    return real(ids, mask);
  };
  try {
    return { r: await evaluateRetrieval(model, set, { tokenizer: tok, k: 6, ...(textPadding ? { textPadding } : {}) }), widths, set };
  } finally {
    model.encodeTexts = real;
  }
}

it('gives the same scores and recalls as padding to 35, with every text at the longest width', async () => {
  const full = await run();
  const longest = await run('longest');
  expect(full.widths.every((w) => w === 35)).toBe(true);
  const longestText = Math.max(...full.set.texts.map((t) => tok.encodeBatch([t], { padding: 'longest' }).inputIds[0].length));
  expect(longest.widths.every((w) => w === longestText)).toBe(true);
  expect(longestText).toBeLessThan(35);
  let worst = 0;
  full.r.scores.t2i.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - longest.r.scores.t2i[i]))));
  full.r.scores.i2t.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - longest.r.scores.i2t[i]))));
  expect(worst).toBeLessThan(1e-4);
  expect(longest.r.metrics).toEqual(full.r.metrics);
});

it('refuses an unknown padding', async () => {
  const set = await (await openDatasetFolder(data)).task('retrieval').readEval('test');
  await expect(evaluateRetrieval(model, set, { tokenizer: tok, textPadding: 'none' as 'longest' })).rejects.toThrow(UniAdapterError);
});
