/**
 * The shortlist of a ranking: the top-k candidates of a row of ITC similarities, as the official
 * retrieval evaluation (BLIP/UniAdapter `evaluation()`) and the search functions take them.
 */
import { UniAdapterError } from '../errors';

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
