/**
 * The seeded generator behind the synthetic data set: the project's xoshiro128** generator
 * (lib/data/rng.ts) plus keyed seeding and the sampling helpers that scene and text generation need.
 * It uses only 32-bit integer arithmetic and BigInt, so the same key gives the same sequence on every
 * platform and Node version. It is not cryptographic.
 *
 * Keys let every item of a data set draw from its own stream (`Prng.fromKey(seed, 'scene', 'train', 7)`),
 * so an item's content does not depend on how many items come before it or in which order they are
 * generated.
 */
import { UniAdapterError } from '../../errors';
import { fmix32, Rng, type RngState } from '../../data/rng';

/** The four 32-bit words of a generator's state. */
export type PrngState = RngState;

/** FNV-1a over the UTF-16 code units of `text`, started from `basis`, then finalised (murmur3 fmix32). */
function hash32(text: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** A 64-bit seed from key parts; parts of different types never collide (`1` vs `'1'`). */
function keySeed(parts: ReadonlyArray<string | number>): bigint {
  const text = parts
    .map((p) => {
      if (typeof p === 'number') {
        if (!Number.isFinite(p)) throw new UniAdapterError('ERR_ARG', `a PRNG key part must be finite, got ${p}`);
        return `n${p}`;
      }
      if (typeof p !== 'string') throw new UniAdapterError('ERR_ARG', 'a PRNG key part must be a string or a number');
      return `s${p.length}:${p}`;
    })
    .join('|');
  return (BigInt(hash32(text, 0x811c9dc5)) << 32n) | BigInt(hash32(text, 0x2545f491));
}

/** A seeded xoshiro128** generator with sampling helpers. */
export class Prng extends Rng {
  /**
   * A generator from a non-negative integer seed (the same sequence as `new Rng(seed)`), a string
   * (hashed), or a saved {@link PrngState}.
   */
  constructor(seed: number | string | PrngState) {
    super(typeof seed === 'string' ? keySeed([seed]) : seed);
  }

  /**
   * A generator for a compound key, e.g. `(datasetSeed, 'scene', 'train', index)`. Keys that differ in
   * any part (or in the type of a part) give unrelated streams.
   */
  static fromKey(...parts: Array<string | number>): Prng {
    if (parts.length === 0) throw new UniAdapterError('ERR_ARG', 'Prng.fromKey needs at least one key part');
    const p = new Prng(0);
    p.setState(new Rng(keySeed(parts)).getState());
    return p;
  }

  /** The current state; `new Prng(state)` continues the same sequence. */
  get state(): PrngState {
    return this.getState();
  }

  /** Restores a state saved from {@link state}. */
  set state(s: PrngState) {
    this.setState(s);
  }

  /** An independent copy with the same state. */
  override clone(): Prng {
    return new Prng(this.getState());
  }

  /** An integer in [lo, hi], both ends included. */
  intBetween(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) {
      throw new UniAdapterError('ERR_ARG', `Prng.intBetween needs integers lo <= hi, got ${lo}, ${hi}`);
    }
    return lo + this.int(hi - lo + 1);
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new UniAdapterError('ERR_ARG', 'Prng.pick needs a non-empty list');
    return items[this.int(items.length)];
  }

  /** One element drawn with the given non-negative weights (not all zero). */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    if (items.length === 0 || items.length !== weights.length) {
      throw new UniAdapterError('ERR_ARG', 'Prng.weighted needs as many weights as items, at least one');
    }
    let total = 0;
    for (const w of weights) {
      if (!(w >= 0) || !Number.isFinite(w)) throw new UniAdapterError('ERR_ARG', 'Prng.weighted: weights must be finite and >= 0');
      total += w;
    }
    if (total <= 0) throw new UniAdapterError('ERR_ARG', 'Prng.weighted: the weights sum to zero');
    let r = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      r -= weights[i];
      if (r < 0) return items[i];
    }
    return items[items.length - 1];
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }

  /** `k` distinct elements of `items` in random order (without replacement). */
  sample<T>(items: readonly T[], k: number): T[] {
    if (!Number.isInteger(k) || k < 0 || k > items.length) {
      throw new UniAdapterError('ERR_ARG', `Prng.sample: cannot draw ${k} of ${items.length} items`);
    }
    return this.shuffle(items.slice()).slice(0, k);
  }
}
