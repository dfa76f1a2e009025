/**
 * A data loader for training and evaluation: seeded per-epoch shuffling, sharding across ranks with
 * PyTorch `DistributedSampler` semantics, batching (with `drop_last` for training), prefetching with
 * a bound on concurrent loads, resumable positions and bad-record handling.
 *
 * Determinism: the order of an epoch depends only on (seed, epoch, rank, worldSize). Each load gets a
 * `seed` derived from (seed, epoch, position, attempt) for its own augmentation, and replacements of
 * bad records are drawn from the same kind of seed, so batches do not depend on the timing of loads
 * and a loader resumed at (epoch, batch) yields exactly the batches the original run would have.
 *
 * Bad records: when `load()` throws a data error (`ERR_DATA`, `ERR_IO`, `ERR_IMAGE`, `ERR_VIDEO`,
 * `ERR_FORMAT`) and `onBadRecord` is 'skip', the record is counted and
 * - with `replaceBadRecords` (default: on when `dropLast`, i.e. for training) it is replaced by
 *   another record of the dataset chosen deterministically, so every batch keeps its size;
 * - otherwise (evaluation) the batch shrinks by that record.
 */
import { UniAdapterError, type ErrorCode } from '../errors';
import { fmix32, Rng } from './rng';
import type { BadRecordPolicy } from './datasets/bad-records';

export type { BadRecordPolicy } from './datasets/bad-records';

/** The random source used for shuffling: the project's PRNG or any object with the same shape. */
export interface ShuffleRandom {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
}


/** Context handed to `load()` with each record. */
export interface LoadContext {
  /** The record's index in the dataset. */
  index: number;
  /** The epoch being loaded. */
  epoch: number;
  /** The position in this rank's order for the epoch (batch · batchSize + slot). */
  position: number;
  /** 0 for the record scheduled at this position, k for its k-th replacement. */
  attempt: number;
  /** A 32-bit seed for this load's own randomness (frame sampling, augmentation). */
  seed: number;
}

/** A record that could not be loaded. */
export interface SkippedRecord {
  index: number;
  epoch: number;
  position: number;
  code: ErrorCode;
  reason: string;
}

/** One batch, in order. */
export interface Batch<R, S> {
  epoch: number;
  /** Index of the batch within the epoch (for this rank). */
  batch: number;
  /** Dataset indices of the loaded items (replacements included). */
  indices: number[];
  records: R[];
  items: S[];
  /** Bad records met while building this batch. */
  skipped: SkippedRecord[];
}

/** The position of a loader: the next batch it will yield. Save it in checkpoints. */
export interface LoaderPosition {
  epoch: number;
  batch: number;
}

/** Options for {@link DataLoader}. */
export interface DataLoaderOptions<R, S> {
  /** Loads one record (decode the image, tokenise…). Called at most `concurrency` times at once. */
  load: (record: R, context: LoadContext) => Promise<S>;
  /** Items per batch on this rank. */
  batchSize: number;
  /** Shuffle each epoch (default true). */
  shuffle?: boolean;
  /** Drop the last incomplete batch (default true when shuffling, i.e. training). */
  dropLast?: boolean;
  /** Base seed; epoch e is shuffled with seed + e (default 42). The same on every rank. */
  seed?: number;
  /**
   * Shuffle blocks of this many consecutive records as units, keeping each block's order (default 1:
   * records one by one). With a batch size that is a multiple of it, on one process, every block lands
   * in one batch: records meant as in-batch negatives of each other (minimal pairs) stay together.
   */
  shuffleBlock?: number;
  /** This process's rank (default 0). */
  rank?: number;
  /** Number of ranks (default 1). */
  worldSize?: number;
  /** Most loads in flight at once (default 4). */
  concurrency?: number;
  /** Batches prepared ahead of the one being consumed (default 2). */
  prefetch?: number;
  /** 'skip' counts and skips records whose load throws a data error; 'fail' (default) rethrows. */
  onBadRecord?: BadRecordPolicy;
  /** Replace skipped records to keep batch sizes equal (default: `dropLast`). */
  replaceBadRecords?: boolean;
  /** Replacement draws tried per position before giving up (default 16). */
  maxReplacementAttempts?: number;
  /** Random source factory for shuffling (default: the xoshiro128** `Rng` of lib/data/rng.ts). */
  random?: (seed: number) => ShuffleRandom;
}

const DATA_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_DATA',
  'ERR_IO',
  'ERR_IMAGE',
  'ERR_VIDEO',
  'ERR_FORMAT',
]);

/** True for errors that mean "this record is bad" rather than "the program is broken". */
export function isDataError(e: unknown): e is UniAdapterError {
  return e instanceof UniAdapterError && DATA_ERROR_CODES.has(e.code);
}

/**
 * Mixes integers into one 32-bit seed (a murmur3-style finaliser per part). Pure: the same parts
 * always give the same seed.
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    let k = Math.imul((p | 0) ^ Math.floor(p / 4294967296), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix32(h);
}

/**
 * A permutation of 0..n−1 by Fisher–Yates, drawing `j = random.int(i + 1)` for i = n−1 down to 1.
 */
export function shuffledIndices(n: number, random: ShuffleRandom): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/**
 * This rank's share of an epoch's order, with `DistributedSampler` semantics: the order is padded to
 * a multiple of `worldSize` by repeating it from its start, then rank r takes positions r, r+W, r+2W….
 * Every rank gets the same number of indices; together they cover every index at least once.
 */
export function shardIndices(order: readonly number[], rank: number, worldSize: number): number[] {
  const n = order.length;
  if (n === 0) return [];
  const total = Math.ceil(n / worldSize) * worldSize;
  const out: number[] = [];
  for (let p = rank; p < total; p += worldSize) out.push(order[p % n]);
  return out;
}

/**
 * 0..n−1 in blocks of `block` consecutive indices, the whole blocks shuffled by {@link shuffledIndices};
 * the n mod block indices left over come last, so that every whole block starts at a multiple of `block`.
 */
export function shuffledBlocks(n: number, block: number, random: ShuffleRandom): number[] {
  if (block === 1) return shuffledIndices(n, random);
  const whole = Math.floor(n / block);
  const order = shuffledIndices(whole, random).flatMap((b) => Array.from({ length: block }, (_, i) => b * block + i));
  for (let i = whole * block; i < n; i++) order.push(i);
  return order;
}

/** A FIFO counting semaphore: at most `limit` holders at once, served in request order. */
class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.active--;
    }
  }
}

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) {
    throw new UniAdapterError('ERR_ARG', `${name} must be an integer ≥ ${min}, got ${v}`);
  }
  return v;
}

/**
 * Batches of loaded records, epoch by epoch. See the file header for its guarantees.
 *
 * ```ts
 * const loader = new DataLoader(records, { batchSize: 32, load: async (r, ctx) => decode(r, ctx.seed) });
 * for (let e = pos.epoch; e < epochs; e++)
 *   for await (const b of loader.iterate(e, e === pos.epoch ? pos.batch : 0)) step(b.items);
 * ```
 */
export class DataLoader<R, S> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly seed: number;
  readonly shuffleBlock: number;
  readonly rank: number;
  readonly worldSize: number;
  readonly concurrency: number;
  readonly prefetch: number;
  readonly onBadRecord: BadRecordPolicy;
  readonly replaceBadRecords: boolean;
  private readonly maxAttempts: number;
  private readonly load: DataLoaderOptions<R, S>['load'];
  private readonly random: (seed: number) => ShuffleRandom;
  private readonly limiter: Limiter;
  private pos: LoaderPosition = { epoch: 0, batch: 0 };
  private skippedCount = 0;
  private readonly skippedLog: SkippedRecord[] = [];
  private readonly knownBad = new Map<number, UniAdapterError>();

  /** Most skipped records whose details are kept in {@link skipped} (the count is exact). */
  static readonly MAX_SKIP_LOG = 1000;

  constructor(
    readonly records: readonly R[],
    options: DataLoaderOptions<R, S>
  ) {
    if (typeof options.load !== 'function') throw new UniAdapterError('ERR_ARG', 'DataLoader needs a load(record) function');
    this.load = options.load;
    this.batchSize = positiveInt('batchSize', options.batchSize);
    this.shuffle = options.shuffle ?? true;
    this.dropLast = options.dropLast ?? this.shuffle;
    this.seed = options.seed ?? 42;
    if (!Number.isSafeInteger(this.seed) || this.seed < 0) {
      throw new UniAdapterError('ERR_ARG', `seed must be a non-negative integer, got ${this.seed}`);
    }
    this.shuffleBlock = positiveInt('shuffleBlock', options.shuffleBlock ?? 1);
    this.worldSize = positiveInt('worldSize', options.worldSize ?? 1);
    this.rank = positiveInt('rank', options.rank ?? 0, 0);
    if (this.rank >= this.worldSize) {
      throw new UniAdapterError('ERR_ARG', `rank ${this.rank} is not below worldSize ${this.worldSize}`);
    }
    this.concurrency = positiveInt('concurrency', options.concurrency ?? 4);
    this.prefetch = positiveInt('prefetch', options.prefetch ?? 2, 0);
    this.onBadRecord = options.onBadRecord ?? 'fail';
    if (this.onBadRecord !== 'skip' && this.onBadRecord !== 'fail') {
      throw new UniAdapterError('ERR_ARG', `onBadRecord must be 'skip' or 'fail', got '${String(this.onBadRecord)}'`);
    }
    this.replaceBadRecords = options.replaceBadRecords ?? this.dropLast;
    this.maxAttempts = positiveInt('maxReplacementAttempts', options.maxReplacementAttempts ?? 16);
    this.random = options.random ?? ((seed: number) => new Rng(seed));
    this.limiter = new Limiter(this.concurrency);
  }

  /** Records per rank and epoch (after padding to a multiple of the world size). */
  get samplesPerRank(): number {
    return Math.ceil(this.records.length / this.worldSize);
  }

  /** Batches per epoch on this rank. */
  get length(): number {
    const n = this.samplesPerRank;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The next batch this loader will yield from {@link iterate} with no explicit start. */
  get position(): LoaderPosition {
    return { ...this.pos };
  }

  /** Sets the position (from a checkpoint); the next `iterate()` without arguments starts there. */
  seek(position: LoaderPosition): void {
    positiveInt('epoch', position.epoch, 0);
    positiveInt('batch', position.batch, 0);
    this.pos = { epoch: position.epoch, batch: position.batch };
  }

  /** Bad records met so far: the exact count and the details of the first {@link MAX_SKIP_LOG}. */
  get skipped(): { count: number; records: readonly SkippedRecord[] } {
    return { count: this.skippedCount, records: this.skippedLog };
  }

  /** This rank's dataset indices for an epoch, in order (before batching). */
  epochIndices(epoch: number): number[] {
    positiveInt('epoch', epoch, 0);
    const n = this.records.length;
    const order = this.shuffle
      ? shuffledBlocks(n, this.shuffleBlock, this.random(this.seed + epoch))
      : Array.from({ length: n }, (_, i) => i);
    return shardIndices(order, this.rank, this.worldSize);
  }

  /**
   * Yields the batches of `epoch` from batch `fromBatch` (default: the current position if it is in
   * this epoch, else 0), loading up to `prefetch` batches ahead with at most `concurrency` loads in
   * flight. Updates {@link position} as batches are handed out.
   */
  async *iterate(epoch?: number, fromBatch?: number): AsyncGenerator<Batch<R, S>, void, undefined> {
    const e = epoch ?? this.pos.epoch;
    const start = fromBatch ?? (e === this.pos.epoch ? this.pos.batch : 0);
    positiveInt('epoch', e, 0);
    positiveInt('fromBatch', start, 0);
    const order = this.epochIndices(e);
    const count = this.length;
    const pending: Array<Promise<Batch<R, S>>> = [];
    let next = start;
    const state = { closed: false };
    const schedule = () => {
      while (next < count && pending.length <= this.prefetch) {
        const p = this.buildBatch(e, next, order, state);
        p.catch(() => undefined); // surfaced when awaited; avoid unhandled-rejection noise meanwhile
        pending.push(p);
        next++;
      }
    };
    this.pos = { epoch: e, batch: start };
    try {
      schedule();
      while (pending.length > 0) {
        const batch = await (pending.shift() as Promise<Batch<R, S>>);
        schedule();
        this.pos = batch.batch + 1 < count ? { epoch: e, batch: batch.batch + 1 } : { epoch: e + 1, batch: 0 };
        yield batch;
      }
      this.pos = { epoch: e + 1, batch: 0 };
    } finally {
      state.closed = true; // a consumer that stops early cancels the loads not yet started
    }
  }

  /** Same as `iterate()` from the current position. */
  [Symbol.asyncIterator](): AsyncGenerator<Batch<R, S>, void, undefined> {
    return this.iterate();
  }

  private recordSkip(s: SkippedRecord): void {
    this.skippedCount++;
    if (this.skippedLog.length < DataLoader.MAX_SKIP_LOG) this.skippedLog.push(s);
  }

  private async buildBatch(
    epoch: number,
    batch: number,
    order: readonly number[],
    state: { closed: boolean }
  ): Promise<Batch<R, S>> {
    const from = batch * this.batchSize;
    const to = Math.min(order.length, from + this.batchSize);
    const slots: Array<Promise<{ index: number; item: S } | undefined>> = [];
    const skipped: SkippedRecord[] = [];
    for (let position = from; position < to; position++) {
      slots.push(this.loadSlot(epoch, position, order[position], skipped, state));
    }
    const results = await Promise.all(slots);
    const out: Batch<R, S> = { epoch, batch, indices: [], records: [], items: [], skipped };
    for (const r of results) {
      if (r === undefined) continue;
      out.indices.push(r.index);
      out.records.push(this.records[r.index]);
      out.items.push(r.item);
    }
    skipped.sort((a, b) => a.position - b.position || a.index - b.index);
    return out;
  }

  private async loadSlot(
    epoch: number,
    position: number,
    first: number,
    skipped: SkippedRecord[],
    state: { closed: boolean }
  ): Promise<{ index: number; item: S } | undefined> {
    const n = this.records.length;
    let index = first;
    for (let attempt = 0; ; attempt++) {
      const seed = mixSeed(this.seed, epoch, position, attempt);
      const context: LoadContext = { index, epoch, position, attempt, seed };
      let error: unknown;
      const known = this.knownBad.get(index);
      if (known !== undefined) {
        error = known;
      } else {
        try {
          const item = await this.limiter.run(async () => {
            if (state.closed) throw new UniAdapterError('ERR_ABORTED', 'the data loader was closed');
            return this.load(this.records[index], context);
          });
          return { index, item };
        } catch (e) {
          error = e;
        }
      }
      if (!isDataError(error) || this.onBadRecord === 'fail') {
        if (isDataError(error)) {
          throw new UniAdapterError(
            error.code,
            `record ${index} (epoch ${epoch}) could not be loaded: ${error.message}` +
              ` (set onBadRecord: 'skip' to skip bad records)`,
            { cause: error }
          );
        }
        throw error;
      }
      if (known === undefined) this.knownBad.set(index, error);
      const s: SkippedRecord = { index, epoch, position, code: error.code, reason: error.message };
      skipped.push(s);
      this.recordSkip(s);
      if (!this.replaceBadRecords) return undefined;
      if (attempt + 1 >= this.maxAttempts) {
        throw new UniAdapterError(
          'ERR_DATA',
          `${this.maxAttempts} records in a row could not be loaded at position ${position} of epoch ${epoch}; ` +
            `last: record ${index}: ${error.message}`
        );
      }
      index = mixSeed(this.seed, epoch, position, attempt + 1, 0x5eed) % n;
    }
  }
}
