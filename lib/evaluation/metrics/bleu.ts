/**
 * Corpus BLEU as computed by pycocoevalcap's `Bleu` scorer (the COCO caption evaluation):
 * clipped n-gram precisions summed over the corpus, their cumulative geometric mean, and a brevity
 * penalty against the 'closest' reference length.
 */
import { UniAdapterError } from '../../errors';
import { checkCaptionCorpus } from './caption-corpus';
import { ngramCounts, splitTokens } from './ngrams';

/** pycocoevalcap's smoothing constants: added to the numerator (tiny) and denominator (small). */
const TINY = 1e-15;
const SMALL = 1e-9;

export interface BleuResult {
  /** Corpus BLEU-1..BLEU-n, in [0, 1]. */
  scores: number[];
  /** Per-sentence BLEU-1..BLEU-n: `perItem[i][k - 1]` is BLEU-k of candidate i. */
  perItem: number[][];
  /** Total candidate length (tokens). */
  testLength: number;
  /** Total effective reference length (tokens). */
  refLength: number;
}

/**
 * Corpus-level BLEU-1..n exactly as pycocoevalcap's `BleuScorer.compute_score(option='closest')`,
 * on already tokenised sentences (tokens separated by whitespace; see `ptbTokenize`).
 *
 * Per candidate: n-gram counts clipped by the maximum count in any one reference; the effective
 * reference length is the reference length closest to the candidate length (the shorter on a tie).
 * Corpus: clipped matches and candidate n-gram counts are summed over all candidates;
 * BLEU-k = (∏_{i≤k} (correct_i + 1e-15) / (guess_i + 1e-9))^(1/k), times exp(1 − r/c) when the total
 * candidate length c is below the total effective reference length r.
 *
 * @param candidates one tokenised candidate per item
 * @param references the tokenised references of each item (at least one)
 * @param n          highest n-gram order (4 for BLEU-4)
 * @throws UniAdapterError ERR_ARG for mismatched or empty lists, ERR_DATA for an item without references
 */
export function bleuScore(
  candidates: readonly string[],
  references: ReadonlyArray<readonly string[]>,
  n = 4,
): BleuResult {
  checkCaptionCorpus(candidates, references);
  if (!Number.isInteger(n) || n < 1) throw new UniAdapterError('ERR_ARG', `n must be a positive integer, got ${n}`);
  const totalGuess = new Array<number>(n).fill(0);
  const totalCorrect = new Array<number>(n).fill(0);
  let testLength = 0;
  let refLength = 0;
  const perItem: number[][] = [];
  candidates.forEach((cand, idx) => {
    const maxRef = new Map<string, number>();
    const refLens: number[] = [];
    for (const ref of references[idx]) {
      const toks = splitTokens(ref);
      refLens.push(toks.length);
      for (const order of ngramCounts(toks, n)) {
        for (const [g, c] of order) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, c));
      }
    }
    const toks = splitTokens(cand);
    const testLen = toks.length;
    // 'closest': min over (|l - testLen|, l), so the shorter reference wins a tie.
    let refLen = refLens[0];
    for (const l of refLens) {
      const d = Math.abs(l - testLen);
      const bd = Math.abs(refLen - testLen);
      if (d < bd || (d === bd && l < refLen)) refLen = l;
    }
    const guess = new Array<number>(n);
    const correct = new Array<number>(n).fill(0);
    const counts = ngramCounts(toks, n);
    for (let k = 0; k < n; k++) {
      guess[k] = Math.max(0, testLen - k);
      for (const [g, c] of counts[k]) correct[k] += Math.min(maxRef.get(g) ?? 0, c);
      totalGuess[k] += guess[k];
      totalCorrect[k] += correct[k];
    }
    testLength += testLen;
    refLength += refLen;
    perItem.push(combine(correct, guess, testLen, refLen));
  });
  return { scores: combine(totalCorrect, totalGuess, testLength, refLength), perItem, testLength, refLength };
}

function combine(correct: number[], guess: number[], testLen: number, refLen: number): number[] {
  const out: number[] = [];
  let prod = 1;
  for (let k = 0; k < correct.length; k++) {
    prod *= (correct[k] + TINY) / (guess[k] + SMALL);
    out.push(prod ** (1 / (k + 1)));
  }
  const ratio = (testLen + TINY) / (refLen + SMALL);
  if (ratio < 1) {
    const bp = Math.exp(1 - 1 / ratio);
    for (let k = 0; k < out.length; k++) out[k] *= bp;
  }
  return out;
}
