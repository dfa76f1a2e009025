import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthOptionsFromArgs, command as synthCommand } from '../lib/cli/synth';
import { openDatasetFolder } from '../lib/data/dataset-folder';
import { generateSyntheticDataset, type SyntheticDatasetSummary } from '../lib/tools/synthetic/generate';
import { buildManifest, MANIFEST_FILE, SYNTHETIC_TASKS } from '../lib/tools/synthetic/layout';
import { COLOR_RGB } from '../lib/tools/synthetic/vocab';
import { CATALOGUE_NAMES } from '../lib/tools/synthetic/catalogue';
import { resolveSyntheticOptions } from '../lib/tools/synthetic/options';
import { colorMask, decodePng, decodeVideo, listFiles, maskStats } from './helpers/synthetic-pixels';

const SMALL = {
  seed: 7,
  imageSize: 64,
  numTrainImages: 200,
  numValImages: 10,
  numTestImages: 20,
  numTrainVideos: 12,
  numTestVideos: 4,
  framesPerVideo: 8,
  captionsPerImage: 4,
};

const readJson = (dir: string, rel: string) => JSON.parse(fs.readFileSync(path.join(dir, rel), 'utf8'));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-synth-'));

describe('generateSyntheticDataset', () => {
  const dirs: string[] = [];
  let a: string;
  let b: string;
  let summaryA: SyntheticDatasetSummary;

  beforeAll(async () => {
    a = tmp();
    b = tmp();
    dirs.push(a, b);
    summaryA = await generateSyntheticDataset(a, SMALL);
    await generateSyntheticDataset(b, SMALL);
    const t = summaryA.timings;
    // Reported for the record: how long a small set takes on this machine.
    console.log(
      `synthetic data set: ${summaryA.counts.trainImages + summaryA.counts.valImages + summaryA.counts.testImages} images at ` +
        `${SMALL.imageSize} px in ${t.imagesMs.toFixed(0)} ms, ${summaryA.counts.trainVideos + summaryA.counts.testVideos} clips in ` +
        `${t.videosMs.toFixed(0)} ms, annotations in ${t.annotationsMs.toFixed(0)} ms; total ${summaryA.elapsedMs.toFixed(0)} ms, ` +
        `${(summaryA.bytes / 1024).toFixed(0)} KiB`
    );
  });
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('the same seed gives byte-identical files', () => {
    const files = listFiles(a);
    expect(files).toEqual(listFiles(b));
    expect(files.filter((f) => f.endsWith('.png'))).toHaveLength(230);
    expect(files.filter((f) => f.endsWith('.mp4'))).toHaveLength(16);
    for (const f of files) expect({ f, same: fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))) }).toEqual({ f, same: true });
  });

  test('a different seed gives different data', async () => {
    const c = tmp();
    dirs.push(c);
    await generateSyntheticDataset(c, { ...SMALL, seed: 8, numTrainImages: 20, numTrainVideos: 0, numTestVideos: 0, tasks: ['retrieval'] });
    const first = 'images/synth_train_000001.png';
    expect(fs.readFileSync(path.join(a, first)).equals(fs.readFileSync(path.join(c, first)))).toBe(false);
    const capsA = readJson(a, 'annotations/retrieval_train.json').slice(0, 40);
    const capsC = readJson(c, 'annotations/retrieval_train.json').slice(0, 40);
    expect(capsA).not.toEqual(capsC);
    expect(readJson(c, MANIFEST_FILE).seed).toBe(8);
    expect(Object.keys(readJson(c, MANIFEST_FILE).tasks)).toEqual(['retrieval']);
  });

  test('the manifest has the agreed layout and the dataset folder reader accepts it', async () => {
    const m = readJson(a, MANIFEST_FILE);
    const tasks = [...SYNTHETIC_TASKS];
    expect(m).toEqual(buildManifest(7, tasks as (typeof SYNTHETIC_TASKS)[number][]));
    expect(m).toMatchObject({
      format: 'uniadapter-dataset/1',
      name: 'synthetic-shapes',
      seed: 7,
      tasks: {
        retrieval: { format: 'coco-karpathy', mediaRoot: 'images', train: 'annotations/retrieval_train.json', val: 'annotations/retrieval_val.json', test: 'annotations/retrieval_test.json' },
        caption: { format: 'coco-caption', mediaRoot: 'images', train: 'annotations/caption_train.json', test: 'annotations/caption_test.json', gt: 'annotations/caption_test_gt.json' },
        vqa: { format: 'vqa-v2', mediaRoot: 'images', train: 'annotations/vqa_train.json', test: 'annotations/vqa_test.json', answerList: 'annotations/answer_list.json' },
      },
    });
    {
      expect(m.tasks['video-retrieval']).toEqual({ format: 'msrvtt', mediaRoot: 'videos', train: 'annotations/msrvtt_train.json', test: 'annotations/msrvtt_test.json' });
      expect(m.tasks['video-qa']).toEqual({ format: 'msrvtt-qa', mediaRoot: 'videos', train: 'annotations/msrvttqa_train.json', test: 'annotations/msrvttqa_test.json' });
    }
    for (const t of Object.values(m.tasks) as Array<Record<string, string>>) {
      for (const [k, v] of Object.entries(t)) {
        if (k !== 'format') expect(fs.existsSync(path.join(a, v))).toBe(true);
      }
    }
    const folder = await openDatasetFolder(a);
    expect([...folder.tasks].sort()).toEqual([...tasks].sort());
    expect(folder.name).toBe('synthetic-shapes');
  });

  test('image annotation files are in the COCO Karpathy / COCO caption / VQA v2 formats with consistent ids', () => {
    const exists = (f: string) => fs.existsSync(path.join(a, 'images', f));
    const numId = (f: string) => Number(f.slice(f.lastIndexOf('_') + 1, -4));

    const train = readJson(a, 'annotations/retrieval_train.json');
    expect(train).toHaveLength(200 * 4);
    for (const r of train) {
      expect(Object.keys(r).sort()).toEqual(['caption', 'image', 'image_id']);
      expect(r.image).toMatch(/^synth_train_\d{6}\.png$/);
      expect(r.image_id).toBe(`synth_${numId(r.image)}`);
      expect(typeof r.caption).toBe('string');
    }
    expect(new Set(train.map((r: { image: string }) => r.image)).size).toBe(200);
    expect(train.every((r: { image: string }) => exists(r.image))).toBe(true);
    expect(readJson(a, 'annotations/caption_train.json')).toEqual(train);

    for (const [file, split, n] of [
      ['retrieval_val.json', 'val', 10],
      ['retrieval_test.json', 'test', 20],
      ['caption_test.json', 'test', 20],
    ] as const) {
      const recs = readJson(a, `annotations/${file}`);
      expect(recs).toHaveLength(n);
      for (const r of recs) {
        expect(Object.keys(r).sort()).toEqual(['caption', 'image']);
        expect(r.image).toMatch(new RegExp(`^synth_${split}_\\d{6}\\.png$`));
        expect(exists(r.image)).toBe(true);
        expect(r.caption).toHaveLength(4);
      }
      // Canonical captions tell the images of a split apart (retrieval needs it).
      expect(new Set(recs.map((r: { caption: string[] }) => r.caption[0])).size).toBe(n);
    }
    // Ids are unique across splits.
    const all = listFiles(path.join(a, 'images')).map(numId);
    expect(new Set(all).size).toBe(230);

    const gt = readJson(a, 'annotations/caption_test_gt.json');
    const test = readJson(a, 'annotations/caption_test.json');
    expect(Object.keys(gt).sort()).toEqual(['annotations', 'images']);
    expect(gt.images).toEqual(test.map((r: { image: string }) => ({ id: numId(r.image) })));
    expect(gt.annotations).toHaveLength(80);
    expect(new Set(gt.annotations.map((x: { id: number }) => x.id)).size).toBe(80);
    for (const x of gt.annotations) {
      expect(Object.keys(x).sort()).toEqual(['caption', 'id', 'image_id']);
      const rec = test.find((r: { image: string }) => numId(r.image) === x.image_id);
      expect(rec.caption).toContain(x.caption);
    }

    const answers = new Set<string>(readJson(a, 'annotations/answer_list.json'));
    const qids = new Set<number>();
    for (const [file, split, n] of [
      ['vqa_train.json', 'train', 200],
      ['vqa_test.json', 'test', 20],
    ] as const) {
      const recs = readJson(a, `annotations/${file}`);
      expect(recs).toHaveLength(n * 3);
      for (const r of recs) {
        expect(Object.keys(r).sort()).toEqual(['answer', 'dataset', 'image', 'question', 'question_id']);
        expect(r.dataset).toBe('vqa');
        expect(Number.isInteger(r.question_id)).toBe(true);
        expect(Math.floor(r.question_id / 10)).toBe(numId(r.image));
        expect(r.image).toMatch(new RegExp(`^synth_${split}_`));
        expect(exists(r.image)).toBe(true);
        expect(r.question).toMatch(/\?$/);
        expect(r.answer).toHaveLength(10);
        for (const ans of r.answer) expect(answers.has(ans)).toBe(true);
        qids.add(r.question_id);
      }
    }
    expect(qids.size).toBe(220 * 3);
  });

  test('video annotation files are in the MSR-VTT / MSRVTT-QA formats and clips decode', () => {
    const train = readJson(a, 'annotations/msrvtt_train.json');
    expect(train).toHaveLength(12 * 4);
    for (const r of train) {
      expect(Object.keys(r).sort()).toEqual(['caption', 'video']);
      expect(r.video).toMatch(/^video\d+\.mp4$/);
      expect(fs.existsSync(path.join(a, 'videos', r.video))).toBe(true);
    }
    const test = readJson(a, 'annotations/msrvtt_test.json');
    expect(test).toHaveLength(4);
    for (const r of test) {
      expect(Object.keys(r).sort()).toEqual(['caption', 'clip_name']);
      expect(r.clip_name).toMatch(/^video\d+$/);
      expect(fs.existsSync(path.join(a, 'videos', `${r.clip_name}.mp4`))).toBe(true);
    }
    const trainNames = new Set(train.map((r: { video: string }) => r.video.replace('.mp4', '')));
    for (const r of test) expect(trainNames.has(r.clip_name)).toBe(false);
    for (const [file, n] of [
      ['msrvttqa_train.json', 12],
      ['msrvttqa_test.json', 4],
    ] as const) {
      const recs = readJson(a, `annotations/${file}`);
      expect(recs).toHaveLength(n * 3);
      for (const r of recs) {
        expect(Object.keys(r).sort()).toEqual(['answer', 'question', 'question_id', 'video_id']);
        expect(typeof r.answer).toBe('string');
        expect(Math.floor(r.question_id / 10)).toBe(Number(r.video_id.slice(5)));
        expect(fs.existsSync(path.join(a, 'videos', `${r.video_id}.mp4`))).toBe(true);
      }
    }
    const frames = decodeVideo(path.join(a, 'videos', 'video1.mp4'), 64);
    expect(frames).toHaveLength(8);
  });

  test('pixels agree with the captions: a single object named "on the left" is in the left half', async () => {
    const test = readJson(a, 'annotations/retrieval_test.json').concat(readJson(a, 'annotations/retrieval_val.json'));
    let checked = 0;
    for (const r of test) {
      const cap: string = r.caption[0];
      if (cap.includes(' and ')) continue; // two objects
      const m = cap.match(/^a (small|large) (\w+) (\w+) (?:in|at|on) the ([a-z ]+?)(?: corner)?$/);
      expect(m).not.toBeNull();
      if (!m) continue;
      const { data, width } = await decodePng(path.join(a, 'images', r.image));
      const s = maskStats(colorMask(data, width, COLOR_RGB[m[2] as keyof typeof COLOR_RGB], 40), width);
      // Smallest large object (a star) ≈ 106 px, largest small one (a circle) ≈ 93 px at 64×64.
      if (m[1] === 'large') expect(s.count).toBeGreaterThan(85);
      else expect(s.count).toBeGreaterThan(25);
      if (m[1] === 'small') expect(s.count).toBeLessThan(100);
      const w = m[4].split(' ');
      if (w.includes('left')) expect(s.cx).toBeLessThan(width / 3);
      if (w.includes('right')) expect(s.cx).toBeGreaterThan((2 * width) / 3);
      if (w.includes('top')) expect(s.cy).toBeLessThan(width / 3);
      if (w.includes('bottom')) expect(s.cy).toBeGreaterThan((2 * width) / 3);
      if (w.includes('center')) expect(Math.hypot(s.cx - width / 2, s.cy - width / 2)).toBeLessThan(width / 8);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });

  test('regenerating into a synthetic data set folder replaces it; other non-empty folders are refused', async () => {
    const d = tmp();
    dirs.push(d);
    await generateSyntheticDataset(d, { numTrainImages: 6, numValImages: 2, numTestImages: 2, tasks: ['retrieval', 'vqa'] });
    expect(listFiles(path.join(d, 'images'))).toHaveLength(10);
    await generateSyntheticDataset(d, { numTrainImages: 3, numTestImages: 2, tasks: ['caption'] });
    expect(listFiles(path.join(d, 'images'))).toHaveLength(5); // no val images, old files gone
    expect(listFiles(path.join(d, 'annotations'))).toEqual(['caption_test.json', 'caption_test_gt.json', 'caption_train.json']);
    const other = tmp();
    dirs.push(other);
    fs.writeFileSync(path.join(other, 'notes.txt'), 'mine');
    await expect(generateSyntheticDataset(other, { numTrainImages: 2, numTestImages: 1 })).rejects.toMatchObject({ code: 'ERR_ARG' });
    expect(fs.readdirSync(other)).toEqual(['notes.txt']);
  });

  test('bad options are refused with ERR_ARG before anything is written', async () => {
    const d = path.join(tmp(), 'never');
    dirs.push(path.dirname(d));
    for (const bad of [
      { imageSize: 8 },
      { imageSize: 65, numTrainVideos: 2, numTestVideos: 1 },
      { numTrainImages: -1 },
      { numTestImages: 0 },
      { captionsPerImage: 11 },
      { tasks: ['retrieval', 'nope'] },
      { tasks: ['video-qa'], numTrainVideos: 0 },
      { seed: 1.5 },
      { maxObjects: 4 },
    ]) {
      await expect(generateSyntheticDataset(d, bad as never)).rejects.toMatchObject({ code: 'ERR_ARG' });
    }
    expect(fs.existsSync(d)).toBe(false);
  });

  test('an abort stops the run with ERR_ABORTED and leaves no manifest', async () => {
    const d = tmp();
    dirs.push(d);
    const ac = new AbortController();
    const run = generateSyntheticDataset(d, {
      numTrainImages: 40,
      numTestImages: 5,
      tasks: ['retrieval'],
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'images' && p.done >= 5) ac.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(fs.existsSync(path.join(d, MANIFEST_FILE))).toBe(false);
  });

  test('the CLI maps its flags onto the generator options and writes a data set', async () => {
    expect(synthOptionsFromArgs(['out', '--seed', '3', '--size', '96', '--train', '50', '--test', '10', '--videos', '8', '--frames', '12'])).toEqual({
      dir: 'out',
      json: false,
      options: { seed: 3, imageSize: 96, numTrainImages: 50, numTestImages: 10, numTrainVideos: 8, numTestVideos: 2, framesPerVideo: 12 },
    });
    expect(synthOptionsFromArgs(['out', '--shape-twins', '--no-video']).options).toEqual({ numTrainVideos: 0, numTestVideos: 0, shapeTwins: true });
    expect(synthOptionsFromArgs(['out', '--no-video', '--tasks', 'vqa,video-qa'])).toEqual({
      dir: 'out',
      json: false,
      options: { numTrainVideos: 0, numTestVideos: 0, tasks: ['vqa'] },
    });
    expect(() => synthOptionsFromArgs([])).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
    expect(() => synthOptionsFromArgs(['x', '--train', 'many'])).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
    expect(() => synthOptionsFromArgs(['x', '--tasks', 'retrieval,foo'])).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));

    const d = tmp();
    dirs.push(d);
    let out = '';
    const io = {
      stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
      stderr: process.stderr,
      stdin: process.stdin,
    };
    expect(await synthCommand.run([d, '--train', '4', '--test', '2', '--no-video', '--json'], io)).toBe(0);
    const summary = JSON.parse(out);
    expect(summary.counts).toMatchObject({ trainImages: 4, valImages: 2, testImages: 2, trainVideos: 0 });
    expect(fs.existsSync(path.join(d, MANIFEST_FILE))).toBe(true);
  });

  test('shapeTwins writes training images in twin pairs whose captions differ only in shapes, listed pair by pair', async () => {
    const d = tmp();
    dirs.push(d);
    const summary = await generateSyntheticDataset(d, { seed: 4, numTrainImages: 40, numTestImages: 6, captionsPerImage: 2, shapeTwins: true, tasks: ['retrieval'] });
    expect(summary.counts).toMatchObject({ trainImages: 40, trainImageCaptions: 80 });
    const train = readJson(d, 'annotations/retrieval_train.json') as Array<{ image: string; caption: string }>;
    expect(train).toHaveLength(80);
    const shapes = /\b(circle|square|triangle|star|cross|diamond)\b/g;
    const blank = (c: string) => c.replace(shapes, '_').replace(/\ban? /g, 'a ');
    for (let p = 0; p < 20; p++) {
      const block = train.slice(p * 4, p * 4 + 4);
      const [a, b] = [`synth_train_${String(2 * p + 1).padStart(6, '0')}.png`, `synth_train_${String(2 * p + 2).padStart(6, '0')}.png`];
      expect(block.map((r) => r.image)).toEqual([a, b, a, b]);
      for (const k of [0, 2]) {
        expect(blank(block[k].caption)).toBe(blank(block[k + 1].caption));
        expect(block[k].caption).not.toBe(block[k + 1].caption);
      }
      // the twins' pixels differ (the shape), their first captions say so
      expect(fs.readFileSync(path.join(d, 'images', a)).equals(fs.readFileSync(path.join(d, 'images', b)))).toBe(false);
    }
    // test images are not twinned, and the option is off by default
    const test = readJson(d, 'annotations/retrieval_test.json') as Array<{ caption: string[] }>;
    expect(test).toHaveLength(6);
    const plain = tmp();
    dirs.push(plain);
    await generateSyntheticDataset(plain, { seed: 4, numTrainImages: 40, numTestImages: 6, captionsPerImage: 2, tasks: ['retrieval'] });
    const plainTrain = readJson(plain, 'annotations/retrieval_train.json') as Array<{ image: string }>;
    expect(plainTrain.slice(0, 4).map((r) => r.image)).toEqual(['synth_train_000001.png', 'synth_train_000001.png', 'synth_train_000002.png', 'synth_train_000002.png']);
    expect(() => resolveSyntheticOptions({ shapeTwins: 'yes' as unknown as boolean })).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
  });
  test("retrievalWording 'catalogue' renames the colors and shapes of the retrieval texts only, word for word", async () => {
    const o = { seed: 9, numTrainImages: 30, numValImages: 4, numTestImages: 8, captionsPerImage: 3, maxObjects: 2, tasks: ['retrieval', 'caption', 'vqa'] as const };
    const [scene, catalogue] = [tmp(), tmp()];
    dirs.push(scene, catalogue);
    await generateSyntheticDataset(scene, { ...o, tasks: [...o.tasks] });
    await generateSyntheticDataset(catalogue, { ...o, tasks: [...o.tasks], retrievalWording: 'catalogue' });
    const original = Object.entries(CATALOGUE_NAMES);
    const renamed = (text: string) => {
      let t = text;
      for (const [word, name] of original) t = t.replace(new RegExp(`\\b${word}\\b`, 'g'), name);
      return t.replace(/\bcrosses\b/g, 'pluses');
    };
    for (const f of ['retrieval_train.json', 'retrieval_val.json', 'retrieval_test.json']) {
      const before = JSON.stringify(readJson(scene, `annotations/${f}`));
      const after = JSON.stringify(readJson(catalogue, `annotations/${f}`));
      expect(after).not.toBe(before);
      for (const [word] of original) expect(after).not.toMatch(new RegExp(`\\b${word}s?\\b`));
      // the same records, images and wordings, with the names swapped (articles agree with the new word)
      const loose = (t: string) => t.replace(/\ban? /g, 'a ');
      expect(loose(after)).toBe(loose(renamed(before).replace(/\b(ring|tile|wedge|asterisk|plus|rhombus)ss\b/g, '$1s')));
      expect(after).not.toMatch(/\ba [aeiou]|\ban [^aeiou ]/);
    }
    for (const f of ['caption_train.json', 'caption_test.json', 'vqa_train.json', 'vqa_test.json', 'answer_list.json']) {
      expect(fs.readFileSync(path.join(catalogue, 'annotations', f)).equals(fs.readFileSync(path.join(scene, 'annotations', f)))).toBe(true);
    }
    expect(listFiles(path.join(catalogue, 'images'))).toEqual(listFiles(path.join(scene, 'images')));
    expect(() => resolveSyntheticOptions({ retrievalWording: 'jargon' as never })).toThrow(expect.objectContaining({ code: 'ERR_ARG', message: expect.stringContaining("'catalogue'") }));
    expect(synthOptionsFromArgs(['d', '--retrieval-wording', 'catalogue']).options.retrievalWording).toBe('catalogue');
    expect(synthOptionsFromArgs(['d', '--omit-question-types', 'is there, how many']).options.omitQuestionTypes).toEqual(['is there', 'how many']);
    expect(synthOptionsFromArgs(['d']).options.omitQuestionTypes).toBeUndefined();
  });
});
