/**
 * The ranking options every search shares (in-memory galleries and stores alike), validated in one
 * place: results per query `k`, the ITM shortlist `rerank`, and the ITC weight `beta`.
 */
import { UniAdapterError } from '../errors';

/** `k` and `rerank` as asked (before clipping to a gallery's size); a shortlist is never shorter than k. */
export function askedRankingSizes(options: { k?: number; rerank?: number }): { k: number; rerank: number } {
  const k = options.k ?? 10;
  if (!Number.isInteger(k) || k < 1) throw new UniAdapterError('ERR_ARG', `k must be a positive integer, got ${options.k}`);
  const rerank = options.rerank ?? Math.max(k, 16);
  if (!Number.isInteger(rerank) || rerank < 0) throw new UniAdapterError('ERR_ARG', `rerank must be 0 (ITC only) or a positive integer, got ${options.rerank}`);
  return { k, rerank: rerank === 0 ? 0 : Math.max(rerank, k) };
}

/** Results per query and shortlist size for a gallery of `size` items. */
export function rankingSizes(options: { k?: number; rerank?: number }, size: number): { k: number; rerank: number } {
  const asked = askedRankingSizes(options);
  return { k: Math.min(asked.k, size), rerank: Math.min(asked.rerank, size) };
}

/** The weight of the ITC similarity in the ranking score (default 0); NaN or ±∞ would make the order arbitrary. */
export function betaOf(options: { beta?: number }): number {
  const beta = options.beta ?? 0;
  if (typeof beta !== 'number' || !Number.isFinite(beta)) {
    throw new UniAdapterError('ERR_ARG', `beta must be a finite number (0: ITM logit only, 1: BLIP's ITM + ITC), got ${String(beta)}`);
  }
  return beta;
}
