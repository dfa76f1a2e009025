/**
 * Score-matrix assembly of the official retrieval evaluation protocol (BLIP/UniAdapter
 * `evaluation()`), independent of the model: for every query row, take the top-k columns by the ITC
 * similarity, re-rank those k candidates (ITM), and write `rerank + beta · sim` for them and -100 for
 * every other column. The same code serves image→text (rows = images over `sims`) and text→image
 * (rows = texts over the transposed sims, see `transposeScores`).
 */
import { UniAdapterError } from '../errors';
import { viewScoreMatrix, type DenseScoreMatrix, type ScoreMatrix } from './score-matrix';

/** The value of every entry outside a row's shortlist, as in the official code. */
export const OUTSIDE_SHORTLIST_SCORE = -100;

/**
 * Scores the shortlisted candidates of one query row. `candidates` are column indices, best first
 * (see `topKIndices`), `candidateSims` their similarities; the result holds one score per candidate,
 * in the same order (for BLIP: the ITM head's class-1 logit).
 */
export type RerankFn = (
  row: number,
  candidates: number[],
  candidateSims: number[],
) => Promise<ArrayLike<number>> | ArrayLike<number>;

export interface BuildScoreMatrixOptions {
  /** Aborts between rows; the promise rejects with ERR_ABORTED. */
  signal?: AbortSignal;
  /** Called after each row with the number of rows done and the total. */
  onProgress?: (rowsDone: number, rows: number) => void;
}

/** `a` (score, index) comes before `b` in the descending, lower-index-first-on-ties order. */
function before(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa > sb || (sa === sb && ia < ib);
}

/**
 * Indices of the `k` largest values of `row`, best first. Ties are resolved as a stable descending
 * sort would: among equal values the lower index is taken and listed first. (`torch.topk` makes no
 * promise about ties, so at an exact tie on the cut-off the official code may pick another column.)
 * `k` larger than the row takes the whole row. Runs in O(n log k) with a bounded heap.
 *
 * @throws UniAdapterError ERR_ARG for k < 1 or a NaN/non-number value
 */
export function topKIndices(row: ArrayLike<number>, k: number): number[] {
  return selectTopK(row, k, 'row');
}

function selectTopK(row: ArrayLike<number>, k: number, where: string): number[] {
  if (!Number.isInteger(k) || k < 1) throw new UniAdapterError('ERR_ARG', `k must be a positive integer, got ${k}`);
  const n = row.length;
  const kk = Math.min(k, n);
  // Min-heap (by the order above) of the kk best seen so far: heap[0] is the worst kept.
  const heap: number[] = [];
  const worse = (a: number, b: number) => before(row[b], b, row[a], a); // a comes after b
  const siftUp = (pos: number) => {
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!worse(heap[pos], heap[parent])) break;
      [heap[pos], heap[parent]] = [heap[parent], heap[pos]];
      pos = parent;
    }
  };
  const siftDown = (pos: number) => {
    for (;;) {
      const l = 2 * pos + 1;
      const r = l + 1;
      let m = pos;
      if (l < heap.length && worse(heap[l], heap[m])) m = l;
      if (r < heap.length && worse(heap[r], heap[m])) m = r;
      if (m === pos) return;
      [heap[pos], heap[m]] = [heap[m], heap[pos]];
      pos = m;
    }
  };
  for (let j = 0; j < n; j++) {
    const x = row[j];
    if (typeof x !== 'number' || Number.isNaN(x)) {
      throw new UniAdapterError('ERR_ARG', `${where}[${j}] is ${String(x)}; scores must be numbers (not NaN)`);
    }
    if (heap.length < kk) {
      heap.push(j);
      siftUp(heap.length - 1);
    } else if (kk > 0 && before(row[j], j, row[heap[0]], heap[0])) {
      heap[0] = j;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (before(row[a], a, row[b], b) ? -1 : 1));
}

/**
 * Builds the re-ranked score matrix of the official protocol. For each row `i` of `sims`
 * ([nQuery][nCandidate]): the top-`k` columns by similarity (`topKIndices`) are passed to `rerank`,
 * and `out[i][c] = rerank(i)[m] + beta · sims[i][c]` for the m-th candidate `c`; all other entries are
 * -100. Rows are processed one after the other (a model serialises its work anyway).
 *
 * The output is float32, like the official tensors. `beta` defaults to 0: UniAdapter's configs use
 * the ITM logit alone; BLIP adds the similarity (`beta = 1`). `k` larger than the number of columns
 * takes every column (the official code would fail there).
 *
 * @param sims   similarities, e.g. image→text cosine sims, or their transpose for text→image
 * @param k      shortlist size (`k_test`: 256 for COCO, 128 for Flickr30k/MSR-VTT)
 * @param rerank scores the shortlist of one row
 * @param beta   weight of the similarity added to the re-rank score
 * @throws UniAdapterError ERR_ARG for bad k/beta/sims, ERR_DATA when `rerank` returns the wrong number
 *   of scores or a NaN, ERR_ABORTED when `options.signal` aborts
 */
export async function buildScoreMatrix(
  sims: ScoreMatrix,
  k: number,
  rerank: RerankFn,
  beta = 0,
  options: BuildScoreMatrixOptions = {},
): Promise<DenseScoreMatrix> {
  const v = viewScoreMatrix('sims', sims);
  if (!Number.isInteger(k) || k < 1) throw new UniAdapterError('ERR_ARG', `k must be a positive integer, got ${k}`);
  if (typeof rerank !== 'function') throw new UniAdapterError('ERR_ARG', 'rerank must be a function');
  if (typeof beta !== 'number' || !Number.isFinite(beta)) {
    throw new UniAdapterError('ERR_ARG', `beta must be a finite number, got ${String(beta)}`);
  }
  const out = new Float32Array(v.rows * v.cols).fill(OUTSIDE_SHORTLIST_SCORE);
  for (let i = 0; i < v.rows; i++) {
    if (options.signal?.aborted) {
      throw new UniAdapterError('ERR_ABORTED', `score matrix assembly aborted after ${i} of ${v.rows} rows`);
    }
    const row = v.row(i);
    const cand = selectTopK(row, k, `sims[${i}]`);
    const candSims = cand.map((c) => row[c]);
    const scores = await rerank(i, cand, candSims);
    if (scores === null || typeof scores !== 'object' || typeof scores.length !== 'number') {
      throw new UniAdapterError('ERR_DATA', `rerank for row ${i} must return an array of scores`);
    }
    if (scores.length !== cand.length) {
      throw new UniAdapterError(
        'ERR_DATA',
        `rerank for row ${i} returned ${scores.length} scores for ${cand.length} candidates`,
      );
    }
    const base = i * v.cols;
    for (let m = 0; m < cand.length; m++) {
      const s = scores[m];
      if (typeof s !== 'number' || Number.isNaN(s)) {
        throw new UniAdapterError('ERR_DATA', `rerank for row ${i} returned ${String(s)} for candidate ${cand[m]}`);
      }
      out[base + cand[m]] = s + beta * candSims[m];
    }
    options.onProgress?.(i + 1, v.rows);
  }
  return { dtype: 'float32', shape: [v.rows, v.cols], data: out };
}
