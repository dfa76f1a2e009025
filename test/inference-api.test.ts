/**
 * The inference API: galleries (embedded once, saved and loaded, refused when stale), text queries
 * re-ranked by ITM, VQA ranking/generation and captioning on image files; the event loop stays
 * responsive during a long retrieve, and 50 concurrent calls all resolve with the right results.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateSyntheticDataset } from '../lib/tools/synthetic';
import { openDatasetFolder } from '../lib/data/dataset-folder';
import { Gallery } from '../lib/inference/gallery';
import { retrieveByImage, retrieveByText } from '../lib/inference/retrieve';
import { TextGallery } from '../lib/inference/text-gallery';
import { answerQuestions } from '../lib/inference/answer';
import { checkServeConfig } from '../lib/serve/serve-config';
import { captionImages } from '../lib/inference/caption';
import { expectUniAdapterError } from './helpers/expect-error';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { VqaModel } from '../lib/model/vqa-model';
import { CaptionModel } from '../lib/model/caption-model';
import { BlipTokenizer } from '../lib/text/tokenizer';
import { pixelsOf } from '../lib/data/media/media-input';
import { int64, toNumbers } from '../lib/tensor';
import { captionPromptTensor } from '../lib/text/text-batches';
import { CAPTION_PROMPT } from '../lib/data/batches';
import { tinyConfig } from './helpers/tiny-models';

jest.setTimeout(300_000);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-infer-'));
const data = path.join(tmp, 'data');
const tok = BlipTokenizer.bertBaseUncased();
let images: string[] = [];
let captions: string[] = [];

beforeAll(async () => {
  await generateSyntheticDataset(data, { seed: 21, imageSize: 32, numTrainImages: 4, numValImages: 2, numTestImages: 24, tasks: ['retrieval'] });
  const test = await (await openDatasetFolder(data)).task('retrieval').readEval('test');
  images = test.media;
  captions = test.texts;
});

describe('retrieval', () => {
  let model: RetrievalModel;
  let gallery: Gallery;
  beforeAll(async () => {
    model = await RetrievalModel.create(tinyConfig('retrieval'));
    gallery = await Gallery.build(model, images, { batchSize: 8 });
  });
  afterAll(async () => model.dispose());

  it('builds a gallery with one embedding per item', () => {
    expect(gallery.size).toBe(images.length);
    expect(gallery.features.shape).toEqual([images.length, 16]);
    expect(gallery.tokens.shape.slice(0, 3)).toEqual([images.length, 1, 5]);
  });

  it('ranks by ITM over the ITC shortlist, consistently with a direct ITM call', async () => {
    const [res] = await retrieveByText(model, gallery, [captions[0]], { tokenizer: tok, k: 5, rerank: 8 });
    expect(res).toHaveLength(5);
    for (let i = 1; i < res.length; i++) expect(res[i - 1].score).toBeGreaterThanOrEqual(res[i].score);
    expect(res.every((r) => typeof r.itm === 'number' && gallery.ids[r.index] === r.id)).toBe(true);
    const itcOnly = await retrieveByText(model, gallery, [captions[0]], { tokenizer: tok, k: 8, rerank: 0 });
    expect(new Set(res.map((r) => r.index)).size).toBe(5);
    expect(itcOnly[0].map((r) => r.score)).toEqual([...itcOnly[0].map((r) => r.score)].sort((a, b) => b - a));
  });

  it('searches texts with image queries (ITC shortlist, ITM re-rank), consistent with direct ITM', async () => {
    const texts = await TextGallery.build(model, captions.slice(0, 30), { tokenizer: tok });
    const found = await retrieveByImage(model, texts, images.slice(0, 2), { k: 4, rerank: 6 });
    expect(found).toHaveLength(2);
    for (const list of found) {
      expect(list).toHaveLength(4);
      for (let i = 1; i < list.length; i++) expect(list[i - 1].score).toBeGreaterThanOrEqual(list[i].score);
    }
    // The same pair scored through the text-query path gives the same ITM logit.
    const top = found[0][0];
    const [fromText] = await retrieveByText(model, gallery, [texts.texts[top.index]], { tokenizer: tok, k: gallery.size, rerank: gallery.size, normalize: false });
    const same = fromText.find((r) => r.index === 0);
    expect(same).toBeDefined();
    expect(Math.abs((same?.itm as number) - (top.itm as number))).toBeLessThan(1e-4);
    // A shortlist shorter than k is widened to k; bad sizes are refused with ERR_ARG.
    const [widened] = await retrieveByImage(model, texts, images.slice(0, 1), { k: 5, rerank: 2 });
    expect(widened).toHaveLength(5);
    await expectUniAdapterError(retrieveByImage(model, texts, images.slice(0, 1), { k: 0 }), 'ERR_ARG', 'k must be a positive integer');
    await expectUniAdapterError(retrieveByImage(model, texts, images.slice(0, 1), { rerank: -1 }), 'ERR_ARG', 'rerank must be 0');
  });

  it('saves and loads a gallery, and refuses it once the adapter changed', async () => {
    const file = path.join(tmp, 'gallery.safetensors');
    const bytes = await gallery.save(file);
    expect(bytes).toBeGreaterThan(1000);
    const back = await Gallery.load(model, file);
    expect(back.ids).toEqual(gallery.ids);
    const a = await retrieveByText(model, gallery, captions.slice(0, 3), { tokenizer: tok, k: 4 });
    const b = await retrieveByText(model, back, captions.slice(0, 3), { tokenizer: tok, k: 4 });
    expect(b).toEqual(a);
    const other = await RetrievalModel.create(tinyConfig('retrieval', { seed: 8 }));
    try {
      await expect(Gallery.load(other, file)).rejects.toMatchObject({ code: 'ERR_STATE' });
    } finally {
      await other.dispose();
    }
  });

  it('keeps the event loop responsive and resolves 50 concurrent calls correctly', async () => {
    const queries = Array.from({ length: 50 }, (_, i) => captions[i % captions.length]);
    const sequential = [];
    for (const q of queries) sequential.push((await retrieveByText(model, gallery, [q], { tokenizer: tok, k: 3 }))[0]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    const started = Date.now();
    const concurrent = await Promise.all(queries.map((q) => retrieveByText(model, gallery, [q], { tokenizer: tok, k: 3 }).then((r) => r[0])));
    const elapsed = Date.now() - started;
    clearInterval(timer);
    expect(concurrent).toHaveLength(50);
    expect(concurrent).toEqual(sequential);
    // A blocked event loop would tick a handful of times; a free one about every 2 ms.
    expect(ticks).toBeGreaterThan(Math.min(20, elapsed / 10));
  });
});

describe('VQA and captioning on image files', () => {
  it('answers by ranking a candidate list and by generation', async () => {
    const model = await VqaModel.create(tinyConfig('vqa'));
    try {
      const list = ['red', 'blue', 'green', 'circle', 'square', 'yes', 'no'];
      const r = await answerQuestions(model, images.slice(0, 3), ['what color is it?', 'what shape?', 'is it red?'], { tokenizer: tok, answerList: list, k: 4 });
      // In parts of one question: the same answers and scores (the parts only bound the memory).
      const parts = await answerQuestions(model, images.slice(0, 3), ['what color is it?', 'what shape?', 'is it red?'], { tokenizer: tok, answerList: list, k: 4, batchSize: 1 });
      expect(parts.map((p) => p.answer)).toEqual(r.map((p) => p.answer));
      parts.forEach((p, i) => expect(p.score).toBeCloseTo(r[i].score, 4));
      await expect(answerQuestions(model, images.slice(0, 1), ['q?'], { tokenizer: tok, answerList: list, batchSize: 0 })).rejects.toMatchObject({ code: 'ERR_ARG' });
      expect(r).toHaveLength(3);
      for (const a of r) {
        expect(list).toContain(a.answer);
        expect(a.score).toBeLessThan(0);
      }
      const g = await answerQuestions(model, images.slice(0, 2), ['what color is it?', 'what shape?'], { tokenizer: tok, mode: 'generate', maxLength: 6 });
      expect(g).toHaveLength(2);
      expect(g.every((x) => typeof x.answer === 'string' && Number.isFinite(x.score))).toBe(true);
      await expect(answerQuestions(model, images.slice(0, 2), ['one question'], { tokenizer: tok, answerList: list })).rejects.toMatchObject({ code: 'ERR_ARG' });
    } finally {
      await model.dispose();
    }
  });

  it("scores the shortlist by log-likelihood on request, as a model without label smoothing would; the official smoothed score stays the default", async () => {
    const list = ['red', 'top left', 'bottom right corner', 'yes', 'no'];
    const questions = ['where is it?', 'what color is it?', 'is it red?'];
    await using smoothed = await VqaModel.create(tinyConfig('vqa'));
    await using plain = await VqaModel.create({ ...tinyConfig('vqa'), labelSmoothing: 0 });
    const ask = (m: VqaModel, extra: object = {}) => answerQuestions(m, images.slice(0, 3), questions, { tokenizer: tok, answerList: list, k: 5, ...extra });
    const likelihood = await ask(smoothed, { score: 'log-likelihood' });
    const reference = await ask(plain);
    expect(likelihood.map((a) => a.answer)).toEqual(reference.map((a) => a.answer));
    likelihood.forEach((a, i) => expect(a.score).toBeCloseTo(reference[i].score, 4));
    const official = await ask(smoothed);
    expect(await ask(smoothed, { score: 'smoothed' })).toEqual(official);
    expect(official.map((a) => a.score)).not.toEqual(likelihood.map((a) => a.score));
    await expectUniAdapterError(ask(smoothed, { score: 'probability' }), 'ERR_ARG', "score must be 'smoothed' or 'log-likelihood'");
    await expectUniAdapterError(ask(smoothed, { mode: 'generate', score: 'log-likelihood' }), 'ERR_ARG', "score chooses how mode 'rank' scores");
    // The service's answerScore: checked with the configuration, before any model loads.
    const serve = (answerScore: unknown) => checkServeConfig({ models: { vqa: { config: 'vqa.json' } }, answerScore }, tmp);
    expect(serve('log-likelihood').answerScore).toBe('log-likelihood');
    expect(serve(undefined).answerScore).toBeUndefined();
    expect(() => serve('probability')).toThrow(expect.objectContaining({ code: 'ERR_CONFIG', message: expect.stringContaining("answerScore must be 'smoothed' or 'log-likelihood'") }));
  });

  it('captions with beam search and greedily, batched; greedy equals a step-by-step argmax of the decoder', async () => {
    const model = await CaptionModel.create(tinyConfig('caption'));
    try {
      const beam = await captionImages(model, images.slice(0, 3), { tokenizer: tok, maxLength: 10, minLength: 5 });
      const greedy = await captionImages(model, images.slice(0, 3), { tokenizer: tok, numBeams: 1, maxLength: 10, minLength: 5 });
      expect(beam).toHaveLength(3);
      expect(greedy).toHaveLength(3);
      expect(beam.every((c) => typeof c.caption === 'string' && Number.isFinite(c.score as number))).toBe(true);
      expect(greedy.every((c) => c.score === undefined)).toBe(true);
      // The greedy rule written out: teacher-forced logits of the sequence so far, [SEP] masked until
      // the minimum length, argmax, until [SEP] or the maximum length.
      const SEP = 102;
      for (let i = 0; i < 3; i++) {
        const pixels = await pixelsOf([images[i]], model.config.vision.imageSize);
        const ids = toNumbers(captionPromptTensor(tok, CAPTION_PROMPT, 1));
        while (ids.length < 10) {
          const f = await model.forward({ pixels, captionIds: int64(ids, [1, ids.length]), captionMask: int64(ids.map(() => 1), [1, ids.length]), promptLength: 0 }, { capture: true });
          const logits = f.captured.decoder_logits;
          const V = logits.shape[2];
          const last = toNumbers(logits).slice((ids.length - 1) * V, ids.length * V);
          if (ids.length < 5) last[SEP] = -Infinity;
          const next = last.indexOf(Math.max(...last));
          ids.push(next);
          if (next === SEP) break;
        }
        const text = tok.decode(ids);
        expect(greedy[i].caption).toBe(text.slice(CAPTION_PROMPT.length).trim());
      }
    } finally {
      await model.dispose();
    }
  });
});
