import * as fs from 'fs';
import * as path from 'path';
import { readDidemoEval, readDidemoTrain } from '../lib/data/datasets/didemo';
import { readKarpathyRetrievalEval, readKarpathyRetrievalTrain } from '../lib/data/datasets/karpathy-retrieval';
import { readMsrvttRetrievalEval, readMsrvttRetrievalTrain } from '../lib/data/datasets/msrvtt';
import { put, putJson, putJsonl, rejection, tempTree, touch } from './helpers/dataset-files';

describe('image retrieval (coco-karpathy / flickr30k)', () => {
  let root: string;
  let media: string;
  beforeAll(() => {
    root = tempTree();
    media = path.join(root, 'images');
    touch(media, ['val2014/COCO_val2014_000000000001.jpg', 'val2014/COCO_val2014_000000000002.jpg', 'flickr30k-images/1000.jpg']);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('train: one pair per caption, pre_caption(30), idx by first appearance of image_id', async () => {
    const f = putJson(root, 'train.json', [
      { image: 'val2014/COCO_val2014_000000000002.jpg', caption: 'A Dog.  On   the "grass"!', image_id: '2' },
      { image: 'val2014/COCO_val2014_000000000001.jpg', caption: 'a cat', image_id: '1' },
      { image: 'val2014/COCO_val2014_000000000002.jpg', caption: 'another dog', image_id: '2' },
      { image: 'flickr30k-images/1000.jpg', caption: Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '), image_id: 1000 },
    ]);
    const set = await readKarpathyRetrievalTrain(f, { mediaRoot: media });
    expect(set.kind).toBe('retrieval-train');
    expect(set.modality).toBe('image');
    expect(set.numMedia).toBe(3);
    expect(set.pairs.map((p) => p.idx)).toEqual([0, 1, 0, 2]);
    expect(set.pairs[0].caption).toBe('a dog on the grass');
    expect(set.pairs[0].media).toBe(path.join(media, 'val2014/COCO_val2014_000000000002.jpg'));
    expect(set.pairs[3].caption.split(' ')).toHaveLength(30);
    expect(set.pairs[3].mediaId).toBe('1000');
    expect(set.pairs[2].source).toMatchObject({ file: f, index: 2 });
    expect(set.skipped).toEqual([]);
  });

  test('eval: texts flattened image by image with img2txt / txt2img', async () => {
    const f = putJson(root, 'test.json', [
      { image: 'val2014/COCO_val2014_000000000001.jpg', caption: ['One.', 'Two', 'Three'] },
      { image: 'val2014/COCO_val2014_000000000002.jpg', caption: ['Four', 'Five'] },
    ]);
    const set = await readKarpathyRetrievalEval(f, { mediaRoot: media });
    expect(set.texts).toEqual(['one', 'two', 'three', 'four', 'five']);
    expect(set.img2txt).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
    expect(set.txt2img).toEqual([0, 0, 0, 1, 1]);
    expect(set.media).toHaveLength(2);
    expect(set.mediaIds[0]).toBe('val2014/COCO_val2014_000000000001.jpg');
  });

  test('bad records: missing field, wrong type, missing file; skip counts, fail names the line', async () => {
    const f = putJson(root, 'bad.json', [
      { image: 'val2014/COCO_val2014_000000000001.jpg', caption: 'ok', image_id: '1' },
      { image: 'val2014/COCO_val2014_000000000001.jpg', image_id: '1' },
      { image: 'val2014/COCO_val2014_000000000001.jpg', caption: ['not', 'a', 'string'], image_id: '1' },
      { image: 'nowhere.jpg', caption: 'missing file', image_id: '9' },
      'not an object',
      { image: 'val2014/COCO_val2014_000000000002.jpg', caption: 'ok too', image_id: '2' },
    ]);
    const e = await rejection(readKarpathyRetrievalTrain(f, { mediaRoot: media }));
    expect(e.code).toBe('ERR_DATA');
    expect(e.message).toContain(`${f}:7 (record 1)`);
    expect(e.message).toMatch(/missing field 'caption'/);

    // lazily: the missing file is not noticed while reading
    const lazy = await readKarpathyRetrievalTrain(f, { mediaRoot: media, onBadRecord: 'skip' });
    expect(lazy.pairs.map((p) => p.caption)).toEqual(['ok', 'missing file', 'ok too']);
    expect(lazy.skipped.map((s) => s.index)).toEqual([1, 2, 4]);
    expect(lazy.skipped[1].reason).toMatch(/must be a string/);
    expect(lazy.skipped[2].reason).toMatch(/expected an object/);

    const eager = await readKarpathyRetrievalTrain(f, { mediaRoot: media, onBadRecord: 'skip', checkFiles: true });
    expect(eager.pairs.map((p) => p.caption)).toEqual(['ok', 'ok too']);
    expect(eager.numMedia).toBe(2);
    expect(eager.pairs.map((p) => p.idx)).toEqual([0, 1]);
    expect(eager.skipped).toHaveLength(4);
    const missing = eager.skipped.find((s) => s.index === 3);
    expect(missing?.reason).toMatch(/media file not found: '.*nowhere\.jpg'/);

    const e2 = await rejection(
      readKarpathyRetrievalEval(putJson(root, 'bad-eval.json', [{ image: 'nowhere.jpg', caption: ['x'] }]), {
        mediaRoot: media,
        checkFiles: true,
      })
    );
    expect(e2.message).toMatch(/media file not found/);
  });

  test('an eval entry with an empty caption list is a bad record', async () => {
    const f = putJson(root, 'empty-caps.json', [
      { image: 'val2014/COCO_val2014_000000000001.jpg', caption: [] },
      { image: 'val2014/COCO_val2014_000000000002.jpg', caption: ['x'] },
    ]);
    const set = await readKarpathyRetrievalEval(f, { mediaRoot: media, onBadRecord: 'skip' });
    expect(set.texts).toEqual(['x']);
    expect(set.img2txt).toEqual([[0]]);
    expect(set.skipped[0].reason).toMatch(/empty list/);
  });
});

describe('MSR-VTT retrieval', () => {
  let root: string;
  let videos: string;
  beforeAll(() => {
    root = tempTree();
    videos = path.join(root, 'videos');
    touch(videos, ['video0.mp4', 'video1.mp4', 'video7020.mp4', 'video7021.mkv']);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('train: {video, caption} and {video_id|clip_name, caption} per caption, names with or without extension', async () => {
    const f = putJson(root, 'train.json', [
      { video: 'video0.mp4', caption: 'A man is singing.' },
      { video_id: 'video1', caption: 'a woman talks' },
      { clip_name: 'video0', caption: 'someone sings' },
      { video: 'video1', caption: ['two', 'captions'] },
    ]);
    const set = await readMsrvttRetrievalTrain(f, { mediaRoot: videos });
    expect(set.modality).toBe('video');
    expect(set.pairs.map((p) => [p.mediaId, p.idx, p.caption])).toEqual([
      ['video0', 0, 'a man is singing'],
      ['video1', 1, 'a woman talks'],
      ['video0', 0, 'someone sings'],
      ['video1', 1, 'two'],
      ['video1', 1, 'captions'],
    ]);
    expect(set.pairs[1].media).toBe(path.join(videos, 'video1.mp4'));
    expect(set.numMedia).toBe(2);
  });

  test('test jsonl: one {clip_name, caption} per video', async () => {
    const f = putJsonl(root, 'msrvtt_test.jsonl', [
      { clip_name: 'video7020', caption: 'a person is cooking' },
      { clip_name: 'video7021', caption: 'cars race' },
    ]);
    const set = await readMsrvttRetrievalEval(f, { mediaRoot: videos });
    expect(set.texts).toEqual(['a person is cooking', 'cars race']);
    expect(set.img2txt).toEqual([[0], [1]]);
    expect(set.mediaIds).toEqual(['video7020', 'video7021']);
    expect(set.media[1]).toBe(path.join(videos, 'video7021.mp4'));
    // with checkFiles, a name without extension finds the .mkv
    const checked = await readMsrvttRetrievalEval(f, { mediaRoot: videos, checkFiles: true });
    expect(checked.media[1]).toBe(path.join(videos, 'video7021.mkv'));
  });

  test('bad records in jsonl: malformed line, missing field, missing video', async () => {
    const f = put(
      root,
      'bad.jsonl',
      ['{"clip_name": "video7020", "caption": "ok"}', '{"clip_name": "video7021", "caption": ', '{"caption": "no video"}', '{"clip_name": "video9999", "caption": "gone"}'].join('\n')
    );
    const set = await readMsrvttRetrievalEval(f, { mediaRoot: videos, onBadRecord: 'skip', checkFiles: true });
    expect(set.texts).toEqual(['ok']);
    expect(set.skipped.map((s) => s.line)).toEqual([2, 3, 4]);
    expect(set.skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/malformed JSON/),
      expect.stringMatching(/missing field 'video' or 'clip_name' or 'video_id'/),
      expect.stringMatching(/media file not found/),
    ]);
    const e = await rejection(readMsrvttRetrievalEval(f, { mediaRoot: videos }));
    expect(e.message).toContain(`${f}:2`);
  });
});

describe('DiDeMo paragraphs', () => {
  let root: string;
  let videos: string;
  beforeAll(() => {
    root = tempTree();
    videos = path.join(root, 'videos');
    touch(videos, ['a.mp4', 'b.mp4', 'c.mp4']);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('sentence lists, paragraphs and per-moment descriptions all become one paragraph per video', async () => {
    const f = putJson(root, 'didemo.json', [
      { video: 'a.mp4', caption: ['The man walks in.', 'He sits down.'] },
      { video: 'b', caption: 'A dog runs. It jumps.' },
      { video: 'c.mp4', description: 'first moment.', times: [[0, 1]] },
      { video: 'c.mp4', description: 'Second moment', times: [[2, 3]] },
    ]);
    const test = await readDidemoEval(f, { mediaRoot: videos });
    expect(test.texts).toEqual(['the man walks in he sits down', 'a dog runs it jumps', 'first moment second moment']);
    expect(test.img2txt).toEqual([[0], [1], [2]]);
    expect(test.media).toEqual(['a.mp4', 'b.mp4', 'c.mp4'].map((n) => path.join(videos, n)));
    const train = await readDidemoTrain(f, { mediaRoot: videos });
    expect(train.pairs.map((p) => [p.idx, p.caption])).toEqual([
      [0, 'the man walks in he sits down'],
      [1, 'a dog runs it jumps'],
      [2, 'first moment second moment'],
    ]);
  });

  test('maxWords truncates the paragraph; bad records are counted', async () => {
    const f = putJson(root, 'didemo-bad.json', [
      { video: 'a.mp4', caption: ['one two three', 'four five six'] },
      { video: 'b.mp4' },
      { video: 'zzz.mp4', caption: ['gone'] },
    ]);
    const set = await readDidemoEval(f, { mediaRoot: videos, maxWords: 4, onBadRecord: 'skip', checkFiles: true });
    expect(set.texts).toEqual(['one two three four']);
    expect(set.skipped.map((s) => s.index)).toEqual([1, 2]);
    expect(set.skipped[0].reason).toMatch(/missing field 'caption' or 'description'/);
  });
});
