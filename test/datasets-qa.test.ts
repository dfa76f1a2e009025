import * as fs from 'fs';
import * as path from 'path';
import { answerVocabulary, readMsrvttQaTest, readMsrvttQaTrain } from '../lib/data/datasets/msrvtt-qa';
import { answerWeights, readAnswerList, readVqaTest, readVqaTrain } from '../lib/data/datasets/vqa';
import { putJson, rejection, tempTree, touch } from './helpers/dataset-files';

describe('VQA v2 + Visual Genome', () => {
  let root: string;
  let coco: string;
  let vg: string;
  beforeAll(() => {
    root = tempTree();
    coco = path.join(root, 'coco');
    vg = path.join(root, 'vg');
    touch(coco, ['train2014/COCO_train2014_000000000009.jpg', 'test2015/COCO_test2015_000000000001.jpg']);
    touch(vg, ['VG_100K/1.jpg']);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('answer weights: count/10 per distinct answer, in order of first appearance', () => {
    const w = answerWeights(['yes', 'yes', 'no', 'yes', 'maybe', 'yes', 'yes', 'no', 'yes', 'yes']);
    expect(w.answers).toEqual(['yes', 'no', 'maybe']);
    expect(w.weights[0]).toBeCloseTo(0.7, 12);
    expect(w.weights[1]).toBeCloseTo(0.2, 12);
    expect(w.weights[2]).toBeCloseTo(0.1, 12);
  });

  test('train: VQA and VG records, pre_question, VG weight 0.2 and its own root', async () => {
    const vqaFile = putJson(root, 'vqa_train.json', [
      {
        question_id: 90,
        question: 'What color is the "cat"?  ',
        answer: ['black', 'black', 'gray', 'black', 'black', 'black', 'dark gray', 'black', 'black', 'gray'],
        image: 'train2014/COCO_train2014_000000000009.jpg',
        dataset: 'vqa',
      },
    ]);
    const vgFile = putJson(root, 'vg_qa.json', [{ question: 'Where is the man?', answer: 'on the bench', image: 'VG_100K/1.jpg', dataset: 'vg' }]);
    const set = await readVqaTrain([vqaFile, vgFile], { mediaRoot: coco, vgRoot: vg, checkFiles: true });
    expect(set.kind).toBe('vqa');
    expect(set.split).toBe('train');
    const [q, v] = set.records;
    expect(q.questionId).toBe(90);
    expect(q.question).toBe('what color is the cat?');
    expect(q.answers).toEqual(['black', 'gray', 'dark gray']);
    expect(q.weights.map((x) => Math.round(x * 10) / 10)).toEqual([0.7, 0.2, 0.1]);
    expect(q.humanAnswers).toHaveLength(10);
    expect(q.image).toBe(path.join(coco, 'train2014/COCO_train2014_000000000009.jpg'));
    expect(v).toMatchObject({ dataset: 'vg', answers: ['on the bench'], weights: [0.2], image: path.join(vg, 'VG_100K/1.jpg') });
    expect(v.questionId).toBeUndefined();
  });

  test('the dataset is inferred from the answer type when missing', async () => {
    const f = putJson(root, 'mixed.json', [
      { question: 'q1', answer: 'a', image: 'VG_100K/1.jpg' },
      { question_id: 1, question: 'q2', answer: ['b', 'b'], image: 'train2014/COCO_train2014_000000000009.jpg' },
    ]);
    const set = await readVqaTrain(f, { mediaRoot: coco });
    expect(set.records.map((r) => [r.dataset, r.weights])).toEqual([
      ['vg', [0.2]],
      ['vqa', [1]],
    ]);
  });

  test('test files have no answers but need question_id', async () => {
    const f = putJson(root, 'vqa_test.json', [
      { question_id: 5, question: 'Is it raining?', image: 'test2015/COCO_test2015_000000000001.jpg' },
      { question: 'No id?', image: 'test2015/COCO_test2015_000000000001.jpg' },
    ]);
    const set = await readVqaTest(f, { mediaRoot: coco, onBadRecord: 'skip' });
    expect(set.records).toHaveLength(1);
    expect(set.records[0]).toMatchObject({ questionId: 5, question: 'is it raining?', answers: [], weights: [] });
    expect(set.skipped[0].reason).toMatch(/question_id/);
  });

  test('bad training records: no answer, bad answer list, missing image', async () => {
    const f = putJson(root, 'vqa_bad.json', [
      { question_id: 1, question: 'q', image: 'train2014/COCO_train2014_000000000009.jpg' },
      { question_id: 2, question: 'q', answer: ['a', 3], image: 'train2014/COCO_train2014_000000000009.jpg' },
      { question_id: 3, question: 'q', answer: ['a'], image: 'train2014/missing.jpg' },
      { question_id: 4, question: 'q', answer: ['a'], image: 'train2014/COCO_train2014_000000000009.jpg' },
    ]);
    const set = await readVqaTrain(f, { mediaRoot: coco, onBadRecord: 'skip', checkFiles: true });
    expect(set.records.map((r) => r.questionId)).toEqual([4]);
    expect(set.skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/missing field 'answer'/),
      expect.stringMatching(/'answer'\[1\] must be a string/),
      expect.stringMatching(/media file not found/),
    ]);
    const e = await rejection(readVqaTrain(f, { mediaRoot: coco }));
    expect(e.code).toBe('ERR_DATA');
    expect(e.message).toMatch(/vqa_bad\.json:2 \(record 0\)/);
  });

  test('answer_list.json', async () => {
    const f = putJson(root, 'answer_list.json', ['yes', 'no', '2', 'net']);
    expect((await readAnswerList(f)).answers).toEqual(['yes', 'no', '2', 'net']);
    const g = putJson(root, 'answer_list_bad.json', ['yes', 7, 'yes', 'no']);
    const r = await readAnswerList(g, { onBadRecord: 'skip' });
    expect(r.answers).toEqual(['yes', 'no']);
    expect(r.skipped.map((s) => s.index)).toEqual([1, 2]);
    expect((await rejection(readAnswerList(g))).code).toBe('ERR_DATA');
    expect((await rejection(readAnswerList(putJson(root, 'al.json', { a: 1 })))).message).toMatch(/JSON list of strings/);
  });
});

describe('MSRVTT-QA', () => {
  let root: string;
  let videos: string;
  beforeAll(() => {
    root = tempTree();
    videos = path.join(root, 'videos');
    touch(videos, ['video1.mp4', 'video2.mp4']);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('records with video_id or video; answers verbatim, weight 1', async () => {
    const f = putJson(root, 'train.json', [
      { video_id: 'video1', question: 'What is the man doing?', answer: 'sing', question_id: 0 },
      { video: 'video2.mp4', question: 'who talks', answer: 'woman', question_id: 1 },
    ]);
    const set = await readMsrvttQaTrain(f, { mediaRoot: videos, checkFiles: true });
    expect(set.records.map((r) => [r.questionId, r.question, r.video, r.answers, r.weights])).toEqual([
      [0, 'what is the man doing?', path.join(videos, 'video1.mp4'), ['sing'], [1]],
      [1, 'who talks', path.join(videos, 'video2.mp4'), ['woman'], [1]],
    ]);
  });

  test('test files may omit answers; the question id falls back to the index', async () => {
    const f = putJson(root, 'test.json', [{ video_id: 'video1', question: 'q' }]);
    const set = await readMsrvttQaTest(f, { mediaRoot: videos });
    expect(set.records[0]).toMatchObject({ questionId: 0, answers: [] });
    expect(set.records[0].answer).toBeUndefined();
  });

  test('bad records: missing answer in training, missing video, not an object', async () => {
    const f = putJson(root, 'bad.json', [
      { video_id: 'video1', question: 'q' },
      { video_id: 'video404', question: 'q', answer: 'x' },
      42,
      { video_id: 'video2', question: 'q', answer: 'y' },
    ]);
    const set = await readMsrvttQaTrain(f, { mediaRoot: videos, onBadRecord: 'skip', checkFiles: true });
    expect(set.records.map((r) => r.answer)).toEqual(['y']);
    expect(set.skipped.map((s) => s.index).sort()).toEqual([0, 1, 2]);
    await expect(readMsrvttQaTrain(f, { mediaRoot: videos })).rejects.toMatchObject({ code: 'ERR_DATA' });
  });

  test('answer vocabulary: the K most frequent training answers, ties by first appearance', () => {
    const answers = ['b', 'a', 'c', 'a', 'b', 'd', 'a', 'c', 'e'];
    const recs = answers.map((answer) => ({ answer }));
    expect(answerVocabulary(recs, 3)).toEqual(['a', 'b', 'c']);
    expect(answerVocabulary(recs)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(() => answerVocabulary([{}], 3)).toThrow(/no answers/);
    expect(() => answerVocabulary(recs, 0)).toThrow(/positive/);
  });
});
