import {
  itmEval,
  meanRank,
  medianRank,
  rankImageToText,
  rankTextToImage,
  recallAtK,
} from '../lib/evaluation/metrics';
import { UniAdapterError } from '../lib/errors';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof UniAdapterError) return e.code;
    throw e;
  }
  return undefined;
}

// 3 images x 6 texts, two texts per image.
const img2txt = [
  [0, 1],
  [2, 3],
  [4, 5],
];
const txt2img = [0, 0, 1, 1, 2, 2];

// Image->text scores, -100 = outside the re-ranked shortlist.
//  img0: order 1(5), 2(5), 4(3), 0, 3, 5 -> GT text 1 at position 0                      -> rank 0
//  img1: texts 0 and 2 tie at 7; stable order puts text 0 first: 0, 2, 1, 3, 4, 5
//        -> GT text 2 at position 1 (an unstable/reversed sort could give 0)            -> rank 1
//  img2: only text 3 shortlisted; GT texts 4, 5 are both at -100, after 3 and the lower
//        -100 indices 0, 1, 2: order 3, 0, 1, 2, 4, 5 -> text 4 at position 4            -> rank 4
const i2t = [
  [-100, 5, 5, -100, 3, -100],
  [7, -100, 7, -100, -100, -100],
  [-100, -100, -100, 1, -100, -100],
];
// Text->image scores.
//  t0 GT 0: [9,1,1] -> 0;  t1 GT 0: [2,2,0] tie, image 0 first -> 0
//  t2 GT 1: [3,3,-100] tie, image 0 first -> 1;  t3 GT 1: [-100,-100,5] -> order 2,0,1 -> 2
//  t4 GT 2: [0,1,0.5] -> order 1,2,0 -> 1;  t5 GT 2: [-100,4,-100] -> order 1,0,2 -> 2
const t2i = [
  [9, 1, 1],
  [2, 2, 0],
  [3, 3, -100],
  [-100, -100, 5],
  [0, 1, 0.5],
  [-100, 4, -100],
];

describe('retrieval ranks', () => {
  test('image->text rank is the best GT position under a stable descending sort', () => {
    expect(Array.from(rankImageToText(i2t, img2txt))).toEqual([0, 1, 4]);
  });

  test('text->image rank, ties broken by the lower index', () => {
    expect(Array.from(rankTextToImage(t2i, txt2img))).toEqual([0, 0, 1, 2, 1, 2]);
  });

  test('dense { shape, data } and Float32Array rows give the same ranks', () => {
    const dense = { dtype: 'float32', shape: [3, 6], data: Float32Array.from(i2t.flat()) };
    expect(Array.from(rankImageToText(dense, img2txt))).toEqual([0, 1, 4]);
    const rows = t2i.map((r) => Float32Array.from(r));
    expect(Array.from(rankTextToImage(rows, txt2img))).toEqual([0, 0, 1, 2, 1, 2]);
  });
});

describe('recall, median and mean rank', () => {
  // 0-based ranks 0,4,5,9,10,11: R@1 = 1/6, R@5 = 2/6 (0 and 4 are < 5), R@10 = 4/6.
  // ranks + 1 = 1,5,6,10,11,12: median = (6 + 10) / 2 = 8, mean = 45 / 6 = 7.5.
  const ranks = [0, 4, 5, 9, 10, 11];
  test('R@K counts ranks below K', () => {
    expect(recallAtK(ranks, 1)).toBeCloseTo(100 / 6, 10);
    expect(recallAtK(ranks, 5)).toBeCloseTo(200 / 6, 10);
    expect(recallAtK(ranks, 10)).toBeCloseTo(400 / 6, 10);
  });
  test('MdR is the median of rank + 1 (mean of the middle two for an even count)', () => {
    expect(medianRank(ranks)).toBe(8);
    expect(medianRank([7, 0, 2])).toBe(3); // sorted 0,2,7 -> 2 + 1
  });
  test('MnR is the mean of rank + 1', () => {
    expect(meanRank(ranks)).toBeCloseTo(7.5, 12);
  });
  test('ranks computed from a matrix feed R@K', () => {
    // Row j scores column c with 12 - c, so column c sits at position c; GT columns 0,4,5,9,10,11.
    const rows = ranks.map(() => Array.from({ length: 12 }, (_, c) => 12 - c));
    expect(Array.from(rankTextToImage(rows, ranks))).toEqual(ranks);
  });
});

describe('itmEval', () => {
  test('hand-computed metrics with ties and ground truth outside the shortlist', () => {
    const m = itmEval(i2t, t2i, txt2img, img2txt);
    // i2t ranks [0,1,4]: TR@1 = 1/3, TR@5 = TR@10 = 3/3; ranks+1 = 1,2,5 -> MdR 2, MnR 8/3.
    expect(m.txt_r1).toBeCloseTo(100 / 3, 10);
    expect(m.txt_r5).toBe(100);
    expect(m.txt_r10).toBe(100);
    expect(m.txt_r_mean).toBeCloseTo((100 / 3 + 200) / 3, 10);
    expect(m.txt_mdr).toBe(2);
    expect(m.txt_mnr).toBeCloseTo(8 / 3, 12);
    // t2i ranks [0,0,1,2,1,2]: IR@1 = 2/6, IR@5 = IR@10 = 1; ranks+1 sorted 1,1,2,2,3,3 -> MdR 2, MnR 2.
    expect(m.img_r1).toBeCloseTo(100 / 3, 10);
    expect(m.img_r5).toBe(100);
    expect(m.img_r10).toBe(100);
    expect(m.img_mdr).toBe(2);
    expect(m.img_mnr).toBeCloseTo(2, 12);
    expect(m.r_mean).toBeCloseTo((m.txt_r_mean + m.img_r_mean) / 2, 12);
  });

  test('matches the official numpy itm_eval on a tie-free 20 x 100 case', () => {
    // Scores from the Park-Miller generator x <- 48271 x mod (2^31 - 1), seed 12345, value x / (2^31 - 1):
    // first the 20 x 100 image->text rows, then the 100 x 20 text->image rows; +0.5 on the GT texts of even
    // images and on the GT image of every third text. Expected values: UniAdapter's itm_eval (numpy argsort,
    // reversed) plus np.median / np.mean of ranks + 1, run once on the same matrices. No ties exist, so the
    // sort order agrees.
    let x = 12345;
    const next = () => {
      x = (x * 48271) % 2147483647;
      return x / 2147483647;
    };
    const nImg = 20;
    const per = 5;
    const nTxt = nImg * per;
    const s1 = Array.from({ length: nImg }, () => Array.from({ length: nTxt }, next));
    const s2 = Array.from({ length: nTxt }, () => Array.from({ length: nImg }, next));
    const gI = Array.from({ length: nImg }, (_, i) => Array.from({ length: per }, (_, k) => i * per + k));
    const gT = Array.from({ length: nTxt }, (_, t) => Math.floor(t / per));
    for (let i = 0; i < nImg; i += 2) for (const t of gI[i]) s1[i][t] += 0.5;
    for (let t = 0; t < nTxt; t += 3) s2[t][gT[t]] += 0.5;
    const m = itmEval(s1, s2, gT, gI);
    expect(m.txt_r1).toBeCloseTo(50, 10);
    expect(m.txt_r5).toBeCloseTo(65, 10);
    expect(m.txt_r10).toBeCloseTo(80, 10);
    expect(m.txt_r_mean).toBeCloseTo(65, 10);
    expect(m.img_r1).toBeCloseTo(22, 10);
    expect(m.img_r5).toBeCloseTo(44, 10);
    expect(m.img_r10).toBeCloseTo(68, 10);
    expect(m.img_r_mean).toBeCloseTo(44.666666666666664, 10);
    expect(m.r_mean).toBeCloseTo(54.83333333333333, 10);
    expect(m.txt_mdr).toBe(1.5);
    expect(m.txt_mnr).toBeCloseTo(7.25, 10);
    expect(m.img_mdr).toBe(6);
    expect(m.img_mnr).toBeCloseTo(8.25, 10);
  });

  test('rejects inconsistent or malformed input with clear codes', () => {
    expect(code(() => itmEval(i2t, t2i, [0, 0, 1, 1, 2, 1], img2txt))).toBe('ERR_DATA'); // maps disagree
    expect(code(() => itmEval(i2t.slice(0, 2), t2i, txt2img, img2txt))).toBe('ERR_SHAPE');
    expect(code(() => itmEval(i2t, t2i.map((r) => r.slice(0, 2)), txt2img, img2txt))).toBe('ERR_SHAPE');
    expect(code(() => rankImageToText([[1, 2], [3]], [[0], [1]]))).toBe('ERR_SHAPE'); // ragged
    expect(code(() => rankImageToText([[1, 2]], [[]]))).toBe('ERR_DATA'); // image without texts
    expect(code(() => rankImageToText([[1, 2]], [[2]]))).toBe('ERR_DATA'); // index out of range
    expect(code(() => rankTextToImage([[1, NaN]], [0]))).toBe('ERR_ARG');
    expect(code(() => rankTextToImage({ shape: [2, 2], data: [1, 2, 3] }, [0, 1]))).toBe('ERR_SHAPE');
    expect(code(() => rankTextToImage({ shape: [1, 2], data: [1, 2], dtype: 'int32' }, [0]))).toBe('ERR_ARG');
    expect(code(() => recallAtK([], 1))).toBe('ERR_ARG');
    expect(code(() => recallAtK([0], 0))).toBe('ERR_ARG');
    expect(() => itmEval(i2t, t2i, [0, 0, 1, 1, 2, 1], img2txt)).toThrow(/disagree/);
  });
});
