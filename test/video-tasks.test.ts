/**
 * Video tasks end to end on synthetic clips: video-text retrieval training (frames concatenated as the
 * cross-attention memory, frame-aware attention in the ITM passes, hard negatives over all ranks) and
 * its evaluation, and VideoQA training and evaluation, through the same Trainer and eval paths.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateSyntheticDataset } from '../lib/data/synthetic';
import { runEvaluation } from '../lib/evaluation/run-evaluation';
import { Trainer } from '../lib/train/trainer';
import { tinyConfig } from './helpers/tiny-models';

jest.setTimeout(300_000);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-video-'));
const data = path.join(tmp, 'data');

beforeAll(async () => {
  await generateSyntheticDataset(data, {
    seed: 3,
    imageSize: 32,
    numTrainImages: 2,
    numValImages: 1,
    numTestImages: 1,
    numTrainVideos: 8,
    numTestVideos: 4,
    framesPerVideo: 6,
    tasks: ['video-retrieval', 'video-qa'],
  });
});

describe('video retrieval', () => {
  it('trains with frame-aware attention and evaluates with 16-frame clips', async () => {
    const config = tinyConfig('retrieval', { negativeAllRank: true, queueSize: 8 });
    const s = await new Trainer({ task: 'video-retrieval', model: { config }, data: { folder: data }, batchSize: 4, epochs: 1, lr: 1e-3, frames: 4, maxSteps: 2, outputDir: path.join(tmp, 'vr') }).run();
    expect(s.steps).toBe(2);
    expect(Number.isFinite(s.finalLoss)).toBe(true);
    const r = await runEvaluation({ task: 'video-retrieval', model: { config }, data: { folder: data }, adapter: s.adapter, k: 2, frames: 8 });
    expect(r.items).toBe(4);
    for (const k of ['img_r1', 'img_r5', 'txt_r1', 'img_mdr']) expect(Number.isFinite(r.metrics[k])).toBe(true);
  });
});

describe('VideoQA', () => {
  it('trains the VQA model on frames and scores exact-match accuracy', async () => {
    const config = tinyConfig('vqa');
    const s = await new Trainer({ task: 'video-qa', model: { config }, data: { folder: data }, batchSize: 4, epochs: 1, lr: 1e-3, frames: 4, maxSteps: 2, outputDir: path.join(tmp, 'vqa') }).run();
    expect(s.steps).toBe(2);
    const r = await runEvaluation({ task: 'video-qa', model: { config }, data: { folder: data }, adapter: s.adapter, frames: 4, answerK: 4, limit: 6 });
    expect(r.items).toBe(6);
    expect(r.metrics.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.metrics.accuracy).toBeLessThanOrEqual(100);
    expect(r.predictions).toHaveLength(6);
  });
});
