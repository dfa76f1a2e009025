/**
 * Retrieval metrics of the official BLIP/UniAdapter evaluation (`itm_eval`): ranks of the ground
 * truth in each row of a score matrix, recall at K, their means, and the median/mean rank used for
 * video retrieval.
 *
 * Ordering: each row is sorted by score, descending, with a STABLE sort — among equal scores the
 * lower column index ranks first. The official code sorts with NumPy's default (unstable) argsort and
 * reverses it, which puts the higher index first among exact ties; scores outside the re-ranked
 * shortlist are all -100, so the position of a ground truth that fell outside the shortlist is
 * arbitrary there. R@1/5/10 agree whenever `k_test >= 10` and no ties sit at the cut-off; MdR/MnR can
 * differ only for such very poor ranks.
 */
import { UniAdapterError } from '../../errors';
import { checkScore, viewScoreMatrix, type ScoreMatrix, type ScoreMatrixView } from './score-matrix';

/** The metrics of `itm_eval`, as percentages, with the median/mean ranks added (1-based). */
export interface RetrievalMetrics {
  /** Image→text recall at 1/5/10 (TR@K), percent. */
  txt_r1: number;
  txt_r5: number;
  txt_r10: number;
  /** Mean of TR@1, TR@5, TR@10. */
  txt_r_mean: number;
  /** Text→image recall at 1/5/10 (IR@K), percent. */
  img_r1: number;
  img_r5: number;
  img_r10: number;
  /** Mean of IR@1, IR@5, IR@10. */
  img_r_mean: number;
  /** (txt_r_mean + img_r_mean) / 2. */
  r_mean: number;
  /** Median of (rank + 1) over image→text queries. */
  txt_mdr: number;
  /** Mean of (rank + 1) over image→text queries. */
  txt_mnr: number;
  /** Median of (rank + 1) over text→image (text→video) queries: the MdR reported for video retrieval. */
  img_mdr: number;
  /** Mean of (rank + 1) over text→image queries. */
  img_mnr: number;
}

function checkIndex(name: string, v: unknown, size: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= size) {
    throw new UniAdapterError('ERR_DATA', `${name} is ${String(v)}; it must be ${what} index in [0, ${size})`);
  }
  return v;
}

/**
 * 0-based position of column `g` in row `r` sorted descending with a stable sort: the number of
 * columns with a higher score plus the number of columns with an equal score and a lower index.
 * Also validates every value of the row.
 */
function stablePosition(name: string, i: number, r: ArrayLike<number>, g: number): number {
  const s = r[g];
  let pos = 0;
  for (let j = 0; j < r.length; j++) {
    const v = r[j];
    checkScore(name, i, j, v);
    if (v > s || (v === s && j < g)) pos++;
  }
  return pos;
}

function checkRows(name: string, v: ScoreMatrixView, rows: number, cols: number): void {
  if (v.rows !== rows || v.cols !== cols) {
    throw new UniAdapterError(
      'ERR_SHAPE',
      `${name} is [${v.rows}, ${v.cols}] but the ground truth needs [${rows}, ${cols}]`,
    );
  }
}

/**
 * Image→text ranks: for image `i`, the smallest 0-based position of any of its ground-truth texts
 * in row `i` of `scoresI2T` sorted by descending score (stable: lower text index first among ties).
 *
 * @param scoresI2T score matrix [nImg][nTxt]
 * @param img2txt   img2txt[i] = the text indices of image i (at least one each)
 * @returns one rank per image
 * @throws UniAdapterError ERR_SHAPE when the matrix does not have one row per image, ERR_DATA for an
 *   image without texts or an index out of range, ERR_ARG for a NaN or non-number score
 */
export function rankImageToText(scoresI2T: ScoreMatrix, img2txt: ReadonlyArray<ReadonlyArray<number>>): Int32Array {
  if (!Array.isArray(img2txt)) throw new UniAdapterError('ERR_ARG', 'img2txt must be an array of arrays of text indices');
  const v = viewScoreMatrix('scoresI2T', scoresI2T);
  if (v.rows !== img2txt.length) {
    throw new UniAdapterError('ERR_SHAPE', `scoresI2T has ${v.rows} rows but img2txt has ${img2txt.length} images`);
  }
  const ranks = new Int32Array(v.rows);
  for (let i = 0; i < v.rows; i++) {
    const gts = img2txt[i];
    if (!Array.isArray(gts) || gts.length === 0) {
      throw new UniAdapterError('ERR_DATA', `img2txt[${i}] must be a non-empty array of text indices`);
    }
    const r = v.row(i);
    // The ground truth that comes first in the stable order (highest score, then lowest index) has the
    // smallest position, so one scan of the row suffices.
    let best = checkIndex(`img2txt[${i}][0]`, gts[0], v.cols, 'a text');
    checkScore('scoresI2T', i, best, r[best]);
    for (let k = 1; k < gts.length; k++) {
      const g = checkIndex(`img2txt[${i}][${k}]`, gts[k], v.cols, 'a text');
      checkScore('scoresI2T', i, g, r[g]);
      if (r[g] > r[best] || (r[g] === r[best] && g < best)) best = g;
    }
    ranks[i] = stablePosition('scoresI2T', i, r, best);
  }
  return ranks;
}

/**
 * Text→image ranks: for text `j`, the 0-based position of its ground-truth image in row `j` of
 * `scoresT2I` sorted by descending score (stable: lower image index first among ties).
 *
 * @param scoresT2I score matrix [nTxt][nImg]
 * @param txt2img   txt2img[j] = the image of text j
 * @returns one rank per text
 * @throws UniAdapterError ERR_SHAPE for a row count that differs from txt2img, ERR_DATA for an index
 *   out of range, ERR_ARG for a NaN or non-number score
 */
export function rankTextToImage(scoresT2I: ScoreMatrix, txt2img: ReadonlyArray<number>): Int32Array {
  if (!Array.isArray(txt2img)) throw new UniAdapterError('ERR_ARG', 'txt2img must be an array of image indices');
  const v = viewScoreMatrix('scoresT2I', scoresT2I);
  if (v.rows !== txt2img.length) {
    throw new UniAdapterError('ERR_SHAPE', `scoresT2I has ${v.rows} rows but txt2img has ${txt2img.length} texts`);
  }
  const ranks = new Int32Array(v.rows);
  for (let j = 0; j < v.rows; j++) {
    const g = checkIndex(`txt2img[${j}]`, txt2img[j], v.cols, 'an image');
    ranks[j] = stablePosition('scoresT2I', j, v.row(j), g);
  }
  return ranks;
}

function checkRanks(ranks: ArrayLike<number>): void {
  if (ranks.length === 0) throw new UniAdapterError('ERR_ARG', 'no ranks: at least one query is needed');
}

/** Recall at K in percent: 100 · #(rank < K) / #queries, with 0-based ranks. */
export function recallAtK(ranks: ArrayLike<number>, k: number): number {
  checkRanks(ranks);
  if (!Number.isInteger(k) || k < 1) throw new UniAdapterError('ERR_ARG', `K must be a positive integer, got ${k}`);
  let hit = 0;
  for (let i = 0; i < ranks.length; i++) if (ranks[i] < k) hit++;
  return (100 * hit) / ranks.length;
}

/** Median of (rank + 1) for 0-based ranks (NumPy's median: mean of the two middle values for an even count). */
export function medianRank(ranks: ArrayLike<number>): number {
  checkRanks(ranks);
  const sorted = Float64Array.from(ranks as ArrayLike<number>).sort();
  const n = sorted.length;
  const mid = n >> 1;
  const m = n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return m + 1;
}

/** Mean of (rank + 1) for 0-based ranks. */
export function meanRank(ranks: ArrayLike<number>): number {
  checkRanks(ranks);
  let s = 0;
  for (let i = 0; i < ranks.length; i++) s += ranks[i];
  return s / ranks.length + 1;
}

/**
 * The official `itm_eval`: image→text and text→image ranks from the two score matrices, R@1/5/10 in
 * percent for both directions, their means, and MdR/MnR. The argument order follows the official
 * function (`scores_i2t, scores_t2i, txt2img, img2txt`).
 *
 * The two ground-truth maps must agree (`txt2img[t] === i` for every `t` in `img2txt[i]`), as they do
 * when both come from one annotation file.
 *
 * @param scoresI2T [nImg][nTxt] scores (e.g. `retrievalScoreMatrices(...).i2t`)
 * @param scoresT2I [nTxt][nImg] scores
 * @param txt2img   image index of each text
 * @param img2txt   text indices of each image
 * @throws UniAdapterError ERR_SHAPE for matrices that do not match the ground truth, ERR_DATA for
 *   inconsistent or out-of-range ground truth, ERR_ARG for NaN scores
 */
export function itmEval(
  scoresI2T: ScoreMatrix,
  scoresT2I: ScoreMatrix,
  txt2img: ReadonlyArray<number>,
  img2txt: ReadonlyArray<ReadonlyArray<number>>,
): RetrievalMetrics {
  if (!Array.isArray(txt2img)) throw new UniAdapterError('ERR_ARG', 'txt2img must be an array of image indices');
  if (!Array.isArray(img2txt)) throw new UniAdapterError('ERR_ARG', 'img2txt must be an array of arrays of text indices');
  const nImg = img2txt.length;
  const nTxt = txt2img.length;
  if (nImg === 0 || nTxt === 0) throw new UniAdapterError('ERR_DATA', 'retrieval needs at least one image and one text');
  checkRows('scoresI2T', viewScoreMatrix('scoresI2T', scoresI2T), nImg, nTxt);
  checkRows('scoresT2I', viewScoreMatrix('scoresT2I', scoresT2I), nTxt, nImg);
  for (let i = 0; i < nImg; i++) {
    const gts = img2txt[i];
    if (!Array.isArray(gts)) throw new UniAdapterError('ERR_DATA', `img2txt[${i}] must be an array of text indices`);
    for (const t of gts) {
      checkIndex(`a text index of img2txt[${i}]`, t, nTxt, 'a text');
      if (txt2img[t] !== i) {
        throw new UniAdapterError(
          'ERR_DATA',
          `img2txt[${i}] lists text ${t} but txt2img[${t}] is ${String(txt2img[t])}: the ground-truth maps disagree`,
        );
      }
    }
  }
  const i2t = rankImageToText(scoresI2T, img2txt);
  const t2i = rankTextToImage(scoresT2I, txt2img);
  const tr1 = recallAtK(i2t, 1);
  const tr5 = recallAtK(i2t, 5);
  const tr10 = recallAtK(i2t, 10);
  const ir1 = recallAtK(t2i, 1);
  const ir5 = recallAtK(t2i, 5);
  const ir10 = recallAtK(t2i, 10);
  const trMean = (tr1 + tr5 + tr10) / 3;
  const irMean = (ir1 + ir5 + ir10) / 3;
  return {
    txt_r1: tr1,
    txt_r5: tr5,
    txt_r10: tr10,
    txt_r_mean: trMean,
    img_r1: ir1,
    img_r5: ir5,
    img_r10: ir10,
    img_r_mean: irMean,
    r_mean: (trMean + irMean) / 2,
    txt_mdr: medianRank(i2t),
    txt_mnr: meanRank(i2t),
    img_mdr: medianRank(t2i),
    img_mnr: meanRank(t2i),
  };
}
