/**
 * Video tasks end to end on synthetic clips: video-text retrieval training (frames concatenated as the
 * cross-attention memory, frame-aware attention in the ITM passes, hard negatives over all ranks) and
 * its evaluation, and VideoQA training and evaluation, through the same Trainer and eval paths.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateSyntheticDataset } from '../lib/tools/synthetic';
import { runEvaluation } from '../lib/evaluation/run-evaluation';
import { Trainer } from '../lib/train/trainer';
import { openDatasetFolder } from '../lib/data/dataset-folder';
import { Gallery } from '../lib/inference/gallery';
import { retrieveByImage, retrieveByText } from '../lib/inference/retrieve';
import { TextGallery } from '../lib/inference/text-gallery';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { BlipTokenizer } from '../lib/text/tokenizer';
import { answerQuestions } from '../lib/inference/answer';
import { VqaModel } from '../lib/model/vqa-model';
import { loadAdapter } from '../lib/weights/adapter-file';
import { bruteItmEval, bruteMatrices, bruteGalleryScores } from './helpers/brute-retrieval';
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
  it('trains with frame-aware attention; evaluation equals a brute-force evaluation of the trained adapter', async () => {
    const config = tinyConfig('retrieval', { negativeAllRank: true, queueSize: 8 });
    const s = await new Trainer({ task: 'video-retrieval', model: { config }, data: { folder: data }, batchSize: 4, epochs: 1, lr: 1e-3, frames: 4, maxSteps: 2, outputDir: path.join(tmp, 'vr') }).run();
    expect(s.steps).toBe(2);
    expect(Number.isFinite(s.finalLoss)).toBe(true);
    const r = await runEvaluation({ task: 'video-retrieval', model: { config }, data: { folder: data }, adapter: s.adapter, k: 2, frames: 8 });
    expect(r.items).toBe(4);

    // The same adapter in a fresh model, 8-frame clips, every (text, video) pair scored on its own.
    const set = await (await openDatasetFolder(data)).task('video-retrieval').readEval('test');
    const tok = BlipTokenizer.bertBaseUncased();
    const score = async (withAdapter: boolean) => {
      await using model = await RetrievalModel.create(config);
      if (withAdapter) await loadAdapter(model, s.adapter as string);
      const videos = await Gallery.build(model, set.media, { kind: 'video', frames: 8 });
      const texts = await TextGallery.build(model, set.texts, { tokenizer: tok });
      return await bruteGalleryScores(model, videos, texts, true);
    };
    const trained = await score(true);
    const m = bruteMatrices(trained.sims, trained.logits, 2, 0);
    const want = bruteItmEval(m.i2t, m.t2i, set.txt2img, set.img2txt);
    const m2t = (j: number, id: string) => m.t2i[j][set.mediaIds.indexOf(id)];
    for (const k of Object.keys(want) as Array<keyof typeof want>) expect(r.metrics[k]).toBe(want[k]);
    // Each text's ranking and scores (the t2i rows) are the brute force's.
    expect(r.predictions).toHaveLength(set.texts.length);
    r.predictions?.forEach((p, j) => {
      const ranked = p.media as string[];
      expect(ranked).toHaveLength(2);
      (p.scores as number[]).forEach((v, m) => expect(Math.abs(v - m2t(j, ranked[m]))).toBeLessThan(2e-5));
    });
    // Training moved the ITM logits: the evaluation saw the trained adapter, not the initial one.
    const initial = await score(false);
    const moved = Math.max(...trained.logits.flatMap((row, i) => row.map((v, j) => Math.abs(v - initial.logits[i][j]))));
    expect(moved).toBeGreaterThan(1e-4);
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
  it('trains the VQA model on frames; evaluation scores exact match of what answerQuestions answers', async () => {
    const config = tinyConfig('vqa');
    const s = await new Trainer({ task: 'video-qa', model: { config }, data: { folder: data }, batchSize: 4, epochs: 1, lr: 1e-3, frames: 4, maxSteps: 2, outputDir: path.join(tmp, 'vqa') }).run();
    expect(s.steps).toBe(2);
    const r = await runEvaluation({ task: 'video-qa', model: { config }, data: { folder: data }, adapter: s.adapter, frames: 4, answerK: 4, limit: 6 });
    expect(r.items).toBe(6);
    const ds = (await openDatasetFolder(data)).task('video-qa');
    const records = (await ds.readEval('test')).records.slice(0, 6);
    const answers = (await ds.readAnswerList()).answers;
    await using model = await VqaModel.create(config);
    await loadAdapter(model, s.adapter as string);
    const direct = await answerQuestions(model, records.map((x) => x.video), records.map((x) => x.question), {
      tokenizer: BlipTokenizer.bertBaseUncased(),
      mode: 'rank',
      answerList: answers,
      k: 4,
      kind: 'video',
      frames: 4,
    });
    expect(r.predictions?.map((p) => p.answer)).toEqual(direct.map((d) => d.answer));
    for (const d of direct) expect(answers).toContain(d.answer);
    const truth = records.map((x) => x.answer);
    const hits = direct.filter((d, i) => d.answer === truth[i]).length;
    expect(r.metrics.accuracy).toBeCloseTo((100 * hits) / records.length, 10);
    // answerScore reaches the ranking: the same answers as answerQuestions with that score.
    const evalOptions = { task: 'video-qa' as const, model: { config }, data: { folder: data }, adapter: s.adapter, frames: 4, answerK: 4, limit: 6 };
    const byLikelihood = await runEvaluation({ ...evalOptions, answerScore: 'log-likelihood' });
    const directLikelihood = await answerQuestions(model, records.map((x) => x.video), records.map((x) => x.question), {
      tokenizer: BlipTokenizer.bertBaseUncased(),
      answerList: answers,
      k: 4,
      kind: 'video',
      frames: 4,
      score: 'log-likelihood',
    });
    expect(byLikelihood.predictions?.map((p) => p.answer)).toEqual(directLikelihood.map((d) => d.answer));
    await expect(runEvaluation({ ...evalOptions, answerScore: 'probability' as 'smoothed' })).rejects.toMatchObject({ code: 'ERR_CONFIG', message: expect.stringContaining("answerScore must be 'smoothed' or 'log-likelihood'") });
    await expect(runEvaluation({ ...evalOptions, vqaMode: 'generate', answerScore: 'smoothed' })).rejects.toMatchObject({ code: 'ERR_CONFIG', message: expect.stringContaining("answerScore applies to vqaMode 'rank'") });
  });
});
