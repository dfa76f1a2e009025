/**
 * The demo in its quick plan (what `npm run demo -- --quick` runs) exercises every stage (data,
 * training, evaluation, examples, report). Its report must say what the run did: the zero-shot recalls
 * and those after training are a brute-force evaluation of the embedded pretrained model without and
 * with the saved adapter,
 * training moved the ITM scores, the retrieval examples' `correct` flags follow the annotations,
 * metrics.json is the report, and the PNG plot shows the curves.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { openDatasetFolder } from '../lib/data/dataset-folder';
import { demoModelConfig, QUICK_PLAN } from '../lib/tools/demo/demo-plan';
import { runDemo, type DemoReport } from '../lib/tools/demo/run-demo';
import { backboneModelConfig } from '../lib/tools/demo/demo-stages';
import { Gallery } from '../lib/inference/gallery';
import { TextGallery } from '../lib/inference/text-gallery';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { BlipTokenizer } from '../lib/text/tokenizer';
import { loadAdapter } from '../lib/weights/adapter-file';
import { embeddedModel } from '../lib/weights/embedded-model';
import { loadWeights } from '../lib/weights/load-weights';
import { bruteItmEval, bruteMatrices, bruteGalleryScores } from './helpers/brute-retrieval';
import { execFile } from 'child_process';
import { promisify } from 'util';
import { retrieveByText } from '../lib/inference/retrieve';
import { readServeConfig } from '../lib/serve/serve-config';
import { buildServer } from '../lib/serve/server';
import { createService } from '../lib/serve/service';
import { SERVE_BUNDLE, SERVE_CONFIG_FILE } from '../lib/tools/demo/serve-bundle';
import { ciderOf } from '../lib/tools/demo/baselines';

jest.setTimeout(300_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-demo-'));
const lines: string[] = [];
let report: DemoReport;

beforeAll(async () => {
  report = await runDemo({ plan: QUICK_PLAN, reportDir: dir, log: (l) => lines.push(l) });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('demo (quick plan)', () => {
  it('reports the recalls of a brute-force evaluation of the initial model and of the saved adapter', async () => {
    // The demo evaluates on the first evalSubset test images (all of them in the quick plan), k = 16, beta 0.
    const set = await (await openDatasetFolder(path.join(dir, 'data'))).task('retrieval').readEval('test');
    expect(set.media).toHaveLength(QUICK_PLAN.evalSubset);
    const tok = BlipTokenizer.bertBaseUncased();
    const score = async (adapter?: string, config = demoModelConfig('retrieval', QUICK_PLAN)) => {
      await using model = await RetrievalModel.create(config);
      await loadWeights(model, (await embeddedModel()).weights);
      if (adapter) await loadAdapter(model, adapter);
      const images = await Gallery.build(model, set.media);
      const texts = await TextGallery.build(model, set.texts, { tokenizer: tok });
      return await bruteGalleryScores(model, images, texts, false);
    };
    const recallOf = (s: { sims: number[][]; logits: number[][] }) => {
      const m = bruteMatrices(s.sims, s.logits, 16, 0);
      return bruteItmEval(m.i2t, m.t2i, set.txt2img, set.img2txt);
    };
    // Zero-shot is the frozen backbone alone; the curve starts at the untrained UniAdapter model, whose
    // official initialisation is not the identity.
    const backbone = recallOf(await score(undefined, backboneModelConfig({ plan: QUICK_PLAN }, 'retrieval')));
    const initial = await score();
    const trained = await score(path.join(dir, 'retrieval', 'adapter.safetensors'));
    const before = recallOf(initial);
    const after = recallOf(trained);
    const expectPoint = (p: DemoReport['retrieval']['after'], r: typeof after) => {
      expect(p.r1).toBe(r.img_r1);
      expect(p.r5).toBe(r.img_r5);
      expect(p.i2tR1).toBe(r.txt_r1);
      expect(p.i2tR5).toBe(r.txt_r5);
    };
    expectPoint(report.retrieval.zeroShot, backbone);
    expectPoint(report.retrieval.curve[0], before);
    expectPoint(report.retrieval.after, after);
    expect(report.retrieval.curve[report.retrieval.curve.length - 1]).toEqual(report.retrieval.after);
    expect(report.retrieval.curve.map((p) => p.step)).toEqual([0, 10, 20]);
    expect(report.retrieval.chanceR1).toBeCloseTo(100 / 24, 10);
    expect(report.retrieval.chanceR5).toBeCloseTo(500 / 24, 10);
    // Training moved the ITM logits: the saved adapter is not the initial one.
    const moved = Math.max(...trained.logits.flatMap((row, i) => row.map((v, j) => Math.abs(v - initial.logits[i][j]))));
    expect(moved).toBeGreaterThan(1e-3);
    // The verdict (the exit code) is adaptation beating zero-shot and each baseline; the targets are reported beside it.
    const { zeroShot: b, after: a, chanceR1, chanceR5 } = report.retrieval;
    const { vqa, caption } = report;
    const gates = [
      a.r1 > b.r1 && a.r1 > chanceR1,
      report.itm.finalLoss < -(Math.log(1 / 3) + 2 * Math.log(2 / 3)) / 3,
      vqa.after > vqa.zeroShot && vqa.after > vqa.majorityBaseline,
      caption.after.cider > caption.zeroShot.cider && caption.after.cider > caption.constantCider,
    ];
    expect(report.gates.map((c) => c.ok)).toEqual(gates);
    expect(report.passed).toBe(gates.every(Boolean));
    const targets = [
      100 - a.r1 <= 0.8 * (100 - b.r1) && a.r1 > b.r1 && a.r5 >= b.r5 && a.r5 >= 2 * chanceR5,
      report.itm.finalLoss < 0.45,
      vqa.after > vqa.zeroShot && vqa.after >= 2 * vqa.majorityBaseline,
      caption.after.cider > caption.zeroShot.cider && caption.after.cider > caption.constantCider && caption.distinctFraction >= 0.8,
    ];
    expect(report.targets.map((c) => c.ok)).toEqual(targets);
    expect(report.targetsMet).toBe(targets.every(Boolean));
    expect(report.verdict.startsWith(report.passed ? 'adaptation beat' : 'adaptation did NOT beat')).toBe(true);
    expect(report.verdict).toContain(`Targets met: ${targets.filter(Boolean).length} of 4`);
  });

  it('trains every adapter for the planned steps and counts the tunable parameters', () => {
    const r = report.retrieval.training;
    expect(r.steps).toBe(QUICK_PLAN.retrievalSteps);
    expect(report.vqa.training.steps).toBe(QUICK_PLAN.qaSteps);
    expect(report.caption.training.steps).toBe(QUICK_PLAN.captionSteps);
    expect(report.parameters.trainable).toBe(r.trainableParameters);
    expect(report.parameters.total).toBe(r.totalParameters);
    expect(report.parameters.sharePercent).toBeCloseTo((100 * r.trainableParameters) / r.totalParameters, 10);
    expect(report.parameters.sharePercent).toBeGreaterThan(0);
    expect(report.parameters.sharePercent).toBeLessThan(5);
    // 60 VQA test questions, each scored 0, 0.3, 0.6, 0.9 or 1 (VQA soft accuracy over ten annotators):
    // each accuracy is a whole number of tenths of a question.
    for (const acc of [report.vqa.zeroShot, report.vqa.after, report.vqa.majorityBaseline]) expect(Math.abs(acc * 6 - Math.round(acc * 6))).toBeLessThan(1e-6);
    // The by-type breakdown adds up to the overall accuracies.
    const types = Object.values(report.vqa.byType);
    expect(types.reduce((n, t) => n + t.questions, 0)).toBe(report.vqa.questions);
    const overall = (key: 'majority' | 'zeroShot' | 'after') => types.reduce((s, t) => s + t[key] * t.questions, 0) / report.vqa.questions;
    expect(overall('majority')).toBeCloseTo(report.vqa.majorityBaseline, 9);
    expect(overall('zeroShot')).toBeCloseTo(report.vqa.zeroShot, 9);
    expect(overall('after')).toBeCloseTo(report.vqa.after, 9);
    expect(lines.some((l) => l.startsWith('zero-shot'))).toBe(true);
    expect(report.tunableFraction).toBeCloseTo(report.parameters.sharePercent / 100, 12);
  });

  it('names the frozen backbone, the machine and the baselines it is judged against', async () => {
    const { manifest } = await embeddedModel();
    expect(report.backbone.sha256).toBe(manifest.sha256);
    expect(report.machine.matmulGflops).toBeGreaterThan(0);
    expect(Number.isFinite(report.itm.finalLoss)).toBe(true);
    expect(report.itm.finalLoss).toBeGreaterThan(0);
    const c = report.caption;
    expect(c.images).toBe(QUICK_PLAN.captionEvalImages);
    for (const v of [c.zeroShot.cider, c.after.cider, c.constantCider]) expect(v).toBeGreaterThanOrEqual(0);
    // The constant caption is a training caption, and its score is what every image getting it scores.
    const folder = await openDatasetFolder(path.join(dir, 'data'));
    const train = (await folder.task('caption').readTrain()).records.map((r) => r.caption);
    expect(train).toContain(c.constantCaption);
    const refs = (await folder.task('caption').readEval('test')).records.slice(0, c.images).map((r) => r.references);
    expect(ciderOf(refs.map(() => c.constantCaption), refs)).toBeCloseTo(c.constantCider, 12);
    expect(c.distinctFraction).toBeGreaterThanOrEqual(0);
    expect(c.distinctFraction).toBeLessThanOrEqual(1);
    expect(lines.some((l) => l.startsWith('backbone: the small pretrained BLIP shipped with the package'))).toBe(true);
  });

  it('shows examples whose answers and flags follow the annotations', async () => {
    const folder = await openDatasetFolder(path.join(dir, 'data'));
    const test = await folder.task('retrieval').readEval('test');
    expect(report.examples.retrieve).toHaveLength(3);
    for (const ex of report.examples.retrieve) {
      const truth = path.basename(test.media[test.txt2img[test.texts.indexOf(ex.query)]]);
      expect(ex.results).toHaveLength(3);
      for (const r of ex.results) expect(r.correct).toBe(r.image === truth);
      const scores = ex.results.map((r) => r.score);
      expect(scores).toEqual([...scores].sort((x, y) => y - x));
    }
    const answers = new Set((await folder.task('vqa').readAnswerList()).answers);
    const vqa = (await folder.task('vqa').readEval('test')).records;
    expect(report.examples.answer).toHaveLength(3);
    report.examples.answer.forEach((ex, i) => {
      expect(ex.image).toBe(path.basename(vqa[i].image));
      expect(ex.question).toBe(vqa[i].question);
      expect(ex.truth).toEqual(vqa[i].humanAnswers);
      expect(ex.truth).toHaveLength(10);
      expect(answers.has(ex.answer)).toBe(true);
    });
    const captions = (await folder.task('caption').readEval('test')).records;
    expect(report.caption.examples).toHaveLength(3);
    report.caption.examples.forEach((ex, i) => {
      expect(ex.image).toBe(path.basename(captions[i].image));
      expect(ex.references).toEqual(captions[i].references);
    });
  });

  it('writes metrics.json (the report), the adapters and a plot of the curves', async () => {
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)));
    for (const task of ['retrieval', 'vqa', 'caption']) {
      const file = path.join(dir, task, 'adapter.safetensors');
      expect(fs.statSync(file).size).toBe((report as unknown as Record<string, { training: { adapterBytes: number } }>)[task].training.adapterBytes);
    }
    expect(report.vqa.questions).toBe(QUICK_PLAN.qaEvalQuestions);
    const png = fs.readFileSync(path.join(dir, 'training.png'));
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const meta = await sharp(png).metadata();
    expect(meta.width).toBe(900);
    expect(meta.height).toBe(480);
    // The curves are drawn: the plot is not a blank page (loss in blue, recall in red).
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    let blue = 0;
    let red = 0;
    for (let i = 0; i < data.length; i += meta.channels as number) {
      if (data[i] < 80 && data[i + 2] > 150) blue++;
      if (data[i] > 180 && data[i + 1] < 80 && data[i + 2] < 80) red++;
    }
    expect(blue).toBeGreaterThan(200);
    expect(red).toBeGreaterThan(50);
  });

  it('writes an HTML page of the report that headless Chromium renders with the example images, answers and captions', async () => {
    const page = path.join(dir, 'index.html');
    const html = fs.readFileSync(page, 'utf8');
    expect(html).not.toMatch(/<script/i);
    const chromium = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1100,1400', '--virtual-time-budget=5000'];
    const run = promisify(execFile);
    const dom = (await run('chromium', [...chromium, '--dump-dom', `file://${page}`], { encoding: 'utf8', timeout: 120_000 })).stdout;
    const hits = report.examples.retrieve.flatMap((q) => q.results);
    expect((dom.match(/<figure class="hit /g) ?? []).length).toBe(hits.length);
    expect((dom.match(/<figure class="hit correct"/g) ?? []).length).toBe(hits.filter((h) => h.correct).length);
    expect((dom.match(/data-answer-correct=/g) ?? []).length).toBe(report.examples.answer.length);
    expect((dom.match(/<figure class="example caption"/g) ?? []).length).toBe(report.caption.examples.length);
    expect(dom).toContain(`data-passed="${report.passed}"`);
    for (const ex of report.caption.examples) expect(dom).toContain(ex.caption);
    expect(dom).toContain('src="training.png"');
    // one metrics row per VQA question type, besides the six overall rows
    expect((dom.match(/<tr data-metric-row/g) ?? []).length).toBe(6 + Object.keys(report.vqa.byType).length);
    for (const type of Object.keys(report.vqa.byType)) expect(dom).toContain(`questions starting "${type}"`);
    const shot = path.join(dir, 'report-page.png');
    await run('chromium', [...chromium, `--screenshot=${shot}`, `file://${page}`], { timeout: 120_000 });
    if (process.env.UNIADAPTER_KEEP_SCREENSHOT) fs.copyFileSync(shot, process.env.UNIADAPTER_KEEP_SCREENSHOT.replace(/(\.png)?$/, '-report.png'));
    const meta = await sharp(shot).metadata();
    expect([meta.width, meta.height]).toEqual([1100, 1400]);
    // Not a blank page: the plot and the thumbnails give many distinct colours.
    const { data, info } = await sharp(shot).raw().toBuffer({ resolveWithObject: true });
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += info.channels) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    expect(colours.size).toBeGreaterThan(1000);
  });

  it('leaves the models and a `demo` gallery that `uniadapter serve` serves with no config, and its search page shows the results', async () => {
    const file = path.join(dir, SERVE_BUNDLE, SERVE_CONFIG_FILE);
    const config = await readServeConfig(file);
    expect(Object.keys(config.models).sort()).toEqual(['caption', 'retrieval', 'vqa']);
    const server = buildServer({ config, load: (observer) => createService(config, { observer }) });
    const base = await server.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      await server.ready;
      const set = await (await openDatasetFolder(path.join(dir, 'data'))).task('retrieval').readEval('test');
      const r = await fetch(`${base}/v1/retrieve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gallery: 'demo', text: set.texts[0], k: 5 }) });
      const { results } = (await r.json()) as { results: Array<{ id: string; metadata: { split: string } }> };
      expect(results).toHaveLength(5);
      for (const x of results) {
        expect(set.media.map((m) => path.basename(m))).toContain(x.id);
        expect(x.metadata.split).toBe('test');
      }
      // The served retrieval model is the demo's trained one: the same ranking as the saved adapter gives.
      await using model = await RetrievalModel.create(demoModelConfig('retrieval', QUICK_PLAN));
      await loadWeights(model, (await embeddedModel()).weights);
      await loadAdapter(model, path.join(dir, 'retrieval', 'adapter.safetensors'));
      const gallery = await Gallery.build(model, set.media, { ids: set.media.map((m) => path.basename(m)) });
      const [want] = await retrieveByText(model, gallery, [set.texts[0]], { tokenizer: BlipTokenizer.bertBaseUncased(), k: 5 });
      expect(results.map((x) => x.id)).toEqual(want.map((x) => x.id));

      // The search page in headless Chromium: the query's thumbnails and scores are on the page.
      const shot = path.join(dir, 'search-page.png');
      const url = `${base}/?q=${encodeURIComponent(set.texts[0])}`;
      const chromium = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1100,700', '--virtual-time-budget=15000'];
      // Asynchronously: the server answering the browser runs in this process.
      const run = promisify(execFile);
      const dom = (await run('chromium', [...chromium, '--dump-dom', url], { encoding: 'utf8', timeout: 120_000 })).stdout;
      expect(dom).toContain(`data-results="${Math.min(12, set.media.length)}"`);
      expect((dom.match(/<figure>/g) ?? []).length).toBe(Math.min(12, set.media.length));
      expect(dom).toContain(results[0].id);
      await run('chromium', [...chromium, `--screenshot=${shot}`, url], { timeout: 120_000 });
      if (process.env.UNIADAPTER_KEEP_SCREENSHOT) fs.copyFileSync(shot, process.env.UNIADAPTER_KEEP_SCREENSHOT);
      const meta = await sharp(shot).metadata();
      expect([meta.width, meta.height]).toEqual([1100, 700]);
      // The thumbnails were drawn: many distinct colours in the results area, not a blank page.
      const { data, info } = await sharp(shot).extract({ left: 40, top: 120, width: 600, height: 300 }).raw().toBuffer({ resolveWithObject: true });
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += info.channels) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      expect(colours.size).toBeGreaterThan(500);
    } finally {
      await server.close();
    }
  });
});
