/**
 * CIDEr-D as computed by pycocoevalcap's `Cider` scorer (the "CIDEr" of the COCO caption evaluation):
 * tf-idf n-gram vectors with document frequencies taken from the references of the evaluated set,
 * clipped cosine similarity per n-gram order, a Gaussian length penalty, averaged and scaled by 10.
 */
import { UniAdapterError } from '../../errors';
import { checkCaptionCorpus } from './caption-corpus';
import { ngramCounts, splitTokens } from './ngrams';

export interface CiderOptions {
  /** Highest n-gram order (default 4). */
  n?: number;
  /** Standard deviation of the Gaussian length penalty (default 6). */
  sigma?: number;
}

export interface CiderResult {
  /** Mean CIDEr-D over the items (papers report 100 × this value). */
  score: number;
  /** CIDEr-D of each item. */
  perItem: number[];
}

interface TfIdf {
  vec: Map<string, number>[];
  norm: number[];
  /** Number of bigrams (see `ciderD`). */
  length: number;
}

/**
 * CIDEr-D of tokenised candidates against their tokenised references, exactly as pycocoevalcap:
 *
 * - document frequency df(g) = number of items whose reference set contains n-gram g;
 * - weight of g in a sentence = count(g) · (log N − log max(1, df(g))), N = number of items;
 * - per order k: Σ_g min(w_cand(g), w_ref(g)) · w_ref(g) / (‖w_cand‖ ‖w_ref‖) (the division only when
 *   both norms are non-zero), times exp(−δ² / (2σ²));
 * - item score = 10 · mean over orders of the sum over references, divided by the number of references.
 *
 * As in pycocoevalcap, δ is the difference in the number of BIGRAMS of candidate and reference (its
 * `length` counts the order-index-1 n-grams), i.e. the word-length difference except when a sentence
 * is empty; with n < 2 it is always 0. With a single item log N = 0, so every weight and the score are 0.
 *
 * @param candidates one tokenised candidate per item
 * @param references the tokenised references of each item (at least one)
 * @throws UniAdapterError ERR_ARG for mismatched or empty lists or bad options, ERR_DATA for an item
 *   without references
 */
export function ciderD(
  candidates: readonly string[],
  references: ReadonlyArray<readonly string[]>,
  options: CiderOptions = {},
): CiderResult {
  checkCaptionCorpus(candidates, references);
  const n = options.n ?? 4;
  const sigma = options.sigma ?? 6;
  if (!Number.isInteger(n) || n < 1) throw new UniAdapterError('ERR_ARG', `n must be a positive integer, got ${n}`);
  if (typeof sigma !== 'number' || !(sigma > 0) || !Number.isFinite(sigma)) {
    throw new UniAdapterError('ERR_ARG', `sigma must be a positive number, got ${String(sigma)}`);
  }
  const refCounts = references.map((refs) => refs.map((r) => ngramCounts(splitTokens(r), n)));
  const df = new Map<string, number>();
  for (const refs of refCounts) {
    const seen = new Set<string>();
    for (const counts of refs) for (const order of counts) for (const g of order.keys()) seen.add(g);
    for (const g of seen) df.set(g, (df.get(g) ?? 0) + 1);
  }
  const logN = Math.log(candidates.length);

  const toVec = (counts: Map<string, number>[]): TfIdf => {
    const vec: Map<string, number>[] = [];
    const norm: number[] = [];
    let length = 0;
    counts.forEach((order, k) => {
      const v = new Map<string, number>();
      let sq = 0;
      for (const [g, tf] of order) {
        const w = tf * (logN - Math.log(Math.max(1, df.get(g) ?? 0)));
        v.set(g, w);
        sq += w ** 2;
        if (k === 1) length += tf;
      }
      vec.push(v);
      norm.push(Math.sqrt(sq));
    });
    return { vec, norm, length };
  };

  const perItem = candidates.map((cand, i) => {
    const h = toVec(ngramCounts(splitTokens(cand), n));
    const total = new Array<number>(n).fill(0);
    for (const refC of refCounts[i]) {
      const r = toVec(refC);
      const delta = h.length - r.length;
      const penalty = Math.exp(-(delta ** 2) / (2 * sigma ** 2));
      for (let k = 0; k < n; k++) {
        let val = 0;
        for (const [g, wh] of h.vec[k]) {
          const wr = r.vec[k].get(g) ?? 0;
          val += Math.min(wh, wr) * wr;
        }
        if (h.norm[k] !== 0 && r.norm[k] !== 0) val /= h.norm[k] * r.norm[k];
        total[k] += val * penalty;
      }
    }
    const mean = total.reduce((a, b) => a + b, 0) / n;
    return (mean / refCounts[i].length) * 10;
  });
  return { score: perItem.reduce((a, b) => a + b, 0) / perItem.length, perItem };
}
