import * as fs from 'fs';
import * as path from 'path';
import { DATASET_MANIFEST_FILE, DATASET_MANIFEST_FORMAT, datasetFromAnnotations, openDatasetFolder } from '../lib/data/dataset-folder';
import { buildManifest, MANIFEST_FILE, MANIFEST_FORMAT, SYNTHETIC_TASKS, TASK_ENTRIES } from '../lib/tools/synthetic/layout';
import { putJson, rejection, tempTree, touch } from './helpers/dataset-files';

/** Minimal valid annotation content per manifest key and format. */
function sample(format: string, key: string): unknown {
  const img = 'synth_train_000001.png';
  if (key === 'answerList') return ['red', 'blue'];
  if (key === 'gt') return { images: [{ id: 1 }], annotations: [{ image_id: 1, caption: 'a red square', id: 1 }] };
  switch (format) {
    case 'coco-karpathy':
    case 'coco-caption':
      return key === 'train' ? [{ image: img, caption: 'a red square', image_id: 'synth_1' }] : [{ image: img, caption: ['a red square'] }];
    case 'vqa-v2':
      return [{ question_id: 10, question: 'what color?', answer: Array(10).fill('red'), image: img, dataset: 'vqa' }];
    case 'msrvtt':
      return key === 'train' ? [{ video: 'video1.mp4', caption: 'a square moves' }] : [{ clip_name: 'video1', caption: 'a square moves' }];
    case 'msrvtt-qa':
      return [{ video_id: 'video1', question: 'what moves?', answer: 'square', question_id: 10 }];
    default:
      throw new Error(format);
  }
}

function writeDataset(root: string, manifest: { tasks: Record<string, Record<string, unknown>> } & Record<string, unknown>): void {
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(root, DATASET_MANIFEST_FILE), JSON.stringify(manifest, null, 2));
  for (const t of Object.values(manifest.tasks)) {
    for (const [k, v] of Object.entries(t)) {
      if (k === 'format' || k === 'mediaRoot' || k === 'vgMediaRoot') continue;
      for (const file of Array.isArray(v) ? v : [v]) putJson(root, file as string, sample(t.format as string, k));
    }
  }
  touch(root, ['images/synth_train_000001.png', 'videos/video1.mp4']);
}

describe('dataset folders', () => {
  let base: string;
  beforeAll(() => (base = tempTree('ua-folder-')));
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  test('the synthetic generator layout opens, with typed readers for each task', async () => {
    expect(MANIFEST_FILE).toBe(DATASET_MANIFEST_FILE);
    expect(MANIFEST_FORMAT).toBe(DATASET_MANIFEST_FORMAT);
    const dir = path.join(base, 'synthetic');
    writeDataset(dir, buildManifest(7, SYNTHETIC_TASKS) as never);
    const ds = await openDatasetFolder(dir);
    expect(ds.name).toBe('synthetic-shapes');
    expect(ds.tasks.sort()).toEqual([...SYNTHETIC_TASKS].sort());

    const retrieval = ds.task('retrieval');
    expect(retrieval.has('val')).toBe(true);
    const train = await retrieval.readTrain();
    expect(train.pairs[0]).toMatchObject({ caption: 'a red square', idx: 0, media: path.join(dir, 'images', 'synth_train_000001.png') });
    const val = await retrieval.readEval('val', { checkFiles: true });
    expect(val.img2txt).toEqual([[0]]);

    const vqa = ds.task('vqa');
    const w = (await vqa.readTrain()).records[0].weights;
    expect(w).toHaveLength(1);
    expect(w[0]).toBeCloseTo(1, 12); // BLIP adds 1/10 ten times: 0.9999999999999999
    expect((await vqa.readAnswerList()).answers).toEqual(['red', 'blue']);
    expect((await vqa.readEval('test')).records[0].humanAnswers).toHaveLength(10);

    const caption = ds.task('caption');
    expect((await caption.readEval('test')).records[0].imageId).toBe(1);
    expect((await caption.readGroundTruth('test')).references.get(1)).toEqual(['a red square']);

    const vr = ds.task('video-retrieval');
    expect((await vr.readEval('test', { checkFiles: true })).media).toEqual([path.join(dir, 'videos', 'video1.mp4')]);
    expect(vr.has('val')).toBe(false);
    await expect(vr.readEval('val')).rejects.toMatchObject({ code: 'ERR_ARG' });

    const vqa2 = ds.task('video-qa');
    expect((await vqa2.readTrain()).records[0].answer).toBe('square');
    expect((await vqa2.readAnswerList({ k: 10 })).answers).toEqual(['square']); // vocabulary from training answers
    expect(TASK_ENTRIES['video-qa'].format).toBe('msrvtt-qa');
  });

  test('train may be a list of files (VQA train + val + VG)', async () => {
    const dir = path.join(base, 'vqa-list');
    writeDataset(dir, {
      format: DATASET_MANIFEST_FORMAT,
      name: 'vqa',
      tasks: { vqa: { format: 'vqa-v2', mediaRoot: 'images', train: ['a/vqa_train.json', 'a/vqa_val.json'], test: 'a/vqa_test.json' } },
    });
    const ds = await openDatasetFolder(dir);
    expect((await ds.task('vqa').readTrain()).records).toHaveLength(2);
    expect(() => ds.task('caption')).toThrow(/has no 'caption' task; it has: vqa/);
  });

  test('manifest validation names what is wrong', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ format: 'other/1', name: 'x', tasks: {} }, /format must be "uniadapter-dataset\/1"/],
      [{ format: DATASET_MANIFEST_FORMAT, tasks: {} }, /name must be/],
      [{ format: DATASET_MANIFEST_FORMAT, name: 'x', tasks: {} }, /tasks is empty/],
      [{ format: DATASET_MANIFEST_FORMAT, name: 'x', tasks: { retreival: {} } }, /unknown task 'retreival'/],
      [
        { format: DATASET_MANIFEST_FORMAT, name: 'x', tasks: { retrieval: { format: 'msrvtt', mediaRoot: 'images', train: 't.json' } } },
        /format 'msrvtt' is for task 'video-retrieval'; task 'retrieval' takes coco-karpathy or flickr30k/,
      ],
      [
        { format: DATASET_MANIFEST_FORMAT, name: 'x', tasks: { retrieval: { format: 'coco', mediaRoot: 'images' } } },
        /tasks\.retrieval\.format must be one of/,
      ],
      [
        { format: DATASET_MANIFEST_FORMAT, name: 'x', tasks: { retrieval: { format: 'flickr30k', mediaRoot: 'images', tarin: 'x' } } },
        /unknown key 'tarin'/,
      ],
      [
        { format: DATASET_MANIFEST_FORMAT, name: 'x', tasks: { retrieval: { format: 'flickr30k', mediaRoot: 'images' } } },
        /names no annotation file/,
      ],
      [
        { format: DATASET_MANIFEST_FORMAT, name: 'x', tasks: { retrieval: { format: 'flickr30k', mediaRoot: 'imgs', train: 'nope.json', test: 'no2.json' } } },
        /do not exist:\n.*mediaRoot.*imgs \(folder\)\n.*train.*nope\.json\n.*test.*no2\.json/,
      ],
      [
        { format: DATASET_MANIFEST_FORMAT, name: 'x', tasks: { retrieval: { format: 'flickr30k', mediaRoot: 'images', train: 't.json', gt: 'g.json' } } },
        /gt is only for coco-caption/,
      ],
    ];
    for (const [i, [manifest, re]] of cases.entries()) {
      const dir = path.join(base, `bad${i}`);
      touch(dir, ['images/a.jpg', 't.json', 'g.json']);
      fs.writeFileSync(path.join(dir, DATASET_MANIFEST_FILE), JSON.stringify(manifest));
      const e = await rejection(openDatasetFolder(dir));
      expect(e.code).toBe('ERR_DATA');
      expect(e.message).toMatch(re);
    }
  });

  test('a folder without a manifest, or not a folder', async () => {
    const dir = path.join(base, 'plain');
    fs.mkdirSync(dir);
    const e = await rejection(openDatasetFolder(dir));
    expect(e.code).toBe('ERR_IO');
    expect(e.message).toMatch(/no uniadapter-dataset\.json/);
    expect((await rejection(openDatasetFolder(path.join(base, 'absent')))).message).toMatch(/not found/);
    fs.writeFileSync(path.join(dir, DATASET_MANIFEST_FILE), '{ not json');
    expect((await rejection(openDatasetFolder(dir))).message).toMatch(/not valid JSON/);
  });

  test('datasetFromAnnotations: real files without a manifest', async () => {
    const dir = path.join(base, 'raw');
    touch(dir, ['flickr/1000.jpg', 'flickr/1001.jpg']);
    const trainFile = putJson(dir, 'flickr30k_train.json', [
      { image: '1000.jpg', caption: 'Two dogs.', image_id: '0' },
      { image: '1001.jpg', caption: 'A cat.', image_id: '1' },
    ]);
    const testFile = putJson(dir, 'flickr30k_test.json', [{ image: '1000.jpg', caption: ['Two dogs.', 'Dogs'] }]);
    const one = datasetFromAnnotations('flickr30k', testFile, path.join(dir, 'flickr'));
    expect(one.task).toBe('retrieval');
    if (one.task !== 'retrieval' && one.task !== 'video-retrieval') throw new Error('unexpected task');
    expect((await one.readEval('test')).texts).toEqual(['two dogs', 'dogs']);
    const both = datasetFromAnnotations('flickr30k', { train: trainFile, test: testFile }, path.join(dir, 'flickr'));
    if (both.task !== 'retrieval') throw new Error('unexpected task');
    expect((await both.readTrain({ checkFiles: true })).numMedia).toBe(2);
    await expect(both.readEval('val')).rejects.toMatchObject({ code: 'ERR_ARG' });
    expect(() => datasetFromAnnotations('coco' as never, testFile, dir)).toThrow(/unknown annotation format/);
    expect(() => datasetFromAnnotations('flickr30k', {}, dir)).toThrow(/no annotation file/);
  });
});
