/**
 * A small seedable pseudo-random generator for data augmentation: xoshiro128** (32-bit output,
 * 128-bit state), seeded from a 64-bit seed through splitmix64. Its whole state is four 32-bit
 * words, so a training checkpoint can save and restore it exactly.
 */
import { UniAdapterError } from '../errors';

/** The generator's state: four unsigned 32-bit words (never all zero). */
export type RngState = [number, number, number, number];

const MASK64 = (1n << 64n) - 1n;

function splitmix64(state: { s: bigint }): bigint {
  state.s = (state.s + 0x9e3779b97f4a7c15n) & MASK64;
  let z = state.s;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** murmur3's 32-bit finaliser: an avalanche of the bits of `h` (unsigned result). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Seedable generator: `new Rng(seed)`, then `next()`, `uniform(a, b)`, `int(n)`; `getState()`/`setState()` for checkpoints. */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /**
   * @param seed a non-negative integer (number up to 2^53, or bigint up to 2^64) or a generator
   *   state returned by {@link Rng.getState}
   */
  constructor(seed: number | bigint | RngState = 0) {
    if (Array.isArray(seed)) {
      this.setState(seed);
      return;
    }
    let big: bigint;
    if (typeof seed === 'bigint') big = seed;
    else if (Number.isSafeInteger(seed) && seed >= 0) big = BigInt(seed);
    else throw new UniAdapterError('ERR_ARG', `Rng: seed must be a non-negative integer, got ${String(seed)}`);
    if (big < 0n || big > MASK64) throw new UniAdapterError('ERR_ARG', 'Rng: a bigint seed must fit in 64 unsigned bits');
    const st = { s: big };
    const a = splitmix64(st);
    const b = splitmix64(st);
    this.s0 = Number(a & 0xffffffffn);
    this.s1 = Number(a >> 32n);
    this.s2 = Number(b & 0xffffffffn);
    this.s3 = Number(b >> 32n);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next unsigned 32-bit output. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A double uniformly distributed in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A double uniformly distributed in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.next();
  }

  /** An integer uniformly distributed in [0, n), without modulo bias; n in 1..2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) {
      throw new UniAdapterError('ERR_ARG', `Rng.int: n must be an integer in 1..2^32, got ${n}`);
    }
    if (n === 1) return 0;
    // Rejection sampling: accept r < limit, the largest multiple of n not above 2^32.
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** A copy of the state, for checkpoints. */
  getState(): RngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** Restores a state from {@link Rng.getState}. */
  setState(state: readonly number[]): void {
    if (
      !Array.isArray(state) ||
      state.length !== 4 ||
      state.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff) ||
      state.every((w) => w === 0)
    ) {
      throw new UniAdapterError('ERR_ARG', 'Rng.setState: expected four unsigned 32-bit integers, not all zero');
    }
    [this.s0, this.s1, this.s2, this.s3] = state.map((w) => w >>> 0) as RngState;
  }

  /** An independent generator with the same state (the original is not advanced). */
  clone(): Rng {
    return new Rng(this.getState());
  }
}
