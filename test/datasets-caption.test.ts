import * as fs from 'fs';
import * as path from 'path';
import { imageIdFromName, readCocoCaptionEval, readCocoCaptionGt, readCocoCaptionTrain } from '../lib/data/datasets/coco-caption';
import { putJson, rejection, tempTree, touch } from './helpers/dataset-files';

describe('COCO captions', () => {
  let root: string;
  let images: string;
  beforeAll(() => {
    root = tempTree();
    images = path.join(root, 'images');
    touch(images, ['val2014/COCO_val2014_000000391895.jpg', 'val2014/COCO_val2014_000000522418.jpg']);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('image id from the file name: digits after the last underscore', () => {
    expect(imageIdFromName('val2014/COCO_val2014_000000391895.jpg')).toBe(391895);
    expect(imageIdFromName('flickr30k-images/1000092795.jpg')).toBe(1000092795);
    expect(imageIdFromName('synth_test_000012.png')).toBe(12);
    expect(imageIdFromName('val2014/COCO_val2014_abc.jpg')).toBeUndefined();
  });

  test('train: pre_caption, idx per image_id', async () => {
    const f = putJson(root, 'train.json', [
      { image: 'val2014/COCO_val2014_000000391895.jpg', caption: 'A man riding a bike.', image_id: 'coco_391895' },
      { image: 'val2014/COCO_val2014_000000522418.jpg', caption: 'A woman cutting cake.', image_id: 'coco_522418' },
      { image: 'val2014/COCO_val2014_000000391895.jpg', caption: 'Bike rider', image_id: 'coco_391895' },
    ]);
    const set = await readCocoCaptionTrain(f, { mediaRoot: images });
    expect(set.records.map((r) => [r.caption, r.idx])).toEqual([
      ['a man riding a bike', 0],
      ['a woman cutting cake', 1],
      ['bike rider', 0],
    ]);
    expect(set.numImages).toBe(2);
  });

  test('eval: one record per image with its parsed id; bad names and missing files are bad records', async () => {
    const f = putJson(root, 'test.json', [
      { image: 'val2014/COCO_val2014_000000391895.jpg', caption: ['A man riding a bike.', 'Bike'] },
      { image: 'val2014/noid.jpg', caption: ['x'] },
      { image: 'val2014/COCO_val2014_000000000404.jpg', caption: ['gone'] },
      { image: 'val2014/COCO_val2014_000000522418.jpg', caption: ['cake'] },
    ]);
    const set = await readCocoCaptionEval(f, { mediaRoot: images, onBadRecord: 'skip', checkFiles: true });
    expect(set.records.map((r) => [r.imageId, r.references])).toEqual([
      [391895, ['A man riding a bike.', 'Bike']],
      [522418, ['cake']],
    ]);
    expect(set.skipped.map((s) => s.index)).toEqual([1, 2]);
    expect(set.skipped[0].reason).toMatch(/cannot parse an image id/);
    const e = await rejection(readCocoCaptionEval(f, { mediaRoot: images }));
    expect(e.message).toMatch(/test\.json:\d+ \(record 1\)/);
  });

  test('COCO-format ground truth', async () => {
    const f = putJson(root, 'gt.json', {
      images: [{ id: 391895 }, { id: 522418 }],
      annotations: [
        { image_id: 391895, caption: 'A man riding a bike.', id: 1 },
        { image_id: 522418, caption: 'Cake.', id: 2 },
        { image_id: 391895, caption: 'Bike rider', id: 3 },
        { image_id: 777, caption: 'orphan', id: 4 },
        { image_id: 522418, id: 5 },
      ],
    });
    const gt = await readCocoCaptionGt(f, { onBadRecord: 'skip' });
    expect(gt.imageIds).toEqual([391895, 522418]);
    expect(gt.references.get(391895)).toEqual(['A man riding a bike.', 'Bike rider']);
    expect(gt.skipped.map((s) => s.index)).toEqual([3, 4]);
    await expect(readCocoCaptionGt(f)).rejects.toMatchObject({ code: 'ERR_DATA' });
    await expect(readCocoCaptionGt(putJson(root, 'gt-bad.json', [1, 2]))).rejects.toThrow(/images/);
  });
});
