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
import { openDatasetFolder } from '../lib/data/dataset-folder';
import { Gallery } from '../lib/inference/gallery';
import { retrieveByImage, retrieveByText } from '../lib/inference/retrieve';
import { TextGallery } from '../lib/inference/text-gallery';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { BlipTokenizer } from '../lib/tokenizer';
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

describe('video search through the public API', () => {
  it('scores a (text, video) pair identically from both query directions, frame-aware attention on', async () => {
    const config = tinyConfig('retrieval');
    expect(config.petl?.pfa ?? 'code').not.toBe('off');
    await using model = await RetrievalModel.create(config);
    const tok = BlipTokenizer.bertBaseUncased();
    const test = await (await openDatasetFolder(data)).task('video-retrieval').readEval('test');
    const videos = await Gallery.build(model, test.media, { kind: 'video', frames: 4 });
    expect(videos.kind).toBe('video');
    const texts = await TextGallery.build(model, test.texts, { tokenizer: tok });
    const [byText] = await retrieveByText(model, videos, [texts.texts[0]], { tokenizer: tok, k: videos.size, rerank: videos.size, normalize: false });
    const byVideo = await retrieveByImage(model, texts, test.media, { kind: 'video', frames: 4, k: texts.size, rerank: texts.size });
    expect(byText).toHaveLength(videos.size);
    for (const hit of byText) {
      const back = byVideo[hit.index].find((r) => r.index === 0);
      expect(back).toBeDefined();
      expect(Math.abs((back?.itm as number) - (hit.itm as number))).toBeLessThan(1e-4);
      expect(Math.abs((back?.itc as number) - hit.itc)).toBeLessThan(1e-5);
    }
    // Without frame-aware attention the video ITM logits change.
    const [plain] = await retrieveByText(model, videos, [texts.texts[0]], { tokenizer: tok, k: videos.size, rerank: videos.size, normalize: false, pfa: false });
    const diff = Math.max(...plain.map((p) => Math.abs((p.itm as number) - (byText.find((h) => h.index === p.index)?.itm as number))));
    expect(diff).toBeGreaterThan(1e-3); // far above the 1e-4 agreement asked above
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
