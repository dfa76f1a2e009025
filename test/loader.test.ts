import { DataLoader, mixSeed, shardIndices, shuffledBlocks, shuffledIndices, type Batch, type LoadContext } from '../lib/data/loader';
import { Rng } from '../lib/data/rng';
import { UniAdapterError } from '../lib/errors';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function collect<R, S>(it: AsyncIterable<Batch<R, S>>): Promise<Array<Batch<R, S>>> {
  const out: Array<Batch<R, S>> = [];
  for await (const b of it) out.push(b);
  return out;
}

const identity = async (r: number) => r;

describe('shuffling and sharding', () => {
  test('Fisher–Yates with the seeded PRNG is a permutation, reproducible from the seed', () => {
    const a = shuffledIndices(100, new Rng(5));
    expect([...a].sort((x, y) => x - y)).toEqual(range(100));
    expect(shuffledIndices(100, new Rng(5))).toEqual(a);
    expect(shuffledIndices(100, new Rng(6))).not.toEqual(a);
    // the exact draw sequence: j = int(i + 1) for i = n−1 … 1
    const rng = new Rng(5);
    const ref = range(100);
    for (let i = 99; i > 0; i--) {
      const j = rng.int(i + 1);
      [ref[i], ref[j]] = [ref[j], ref[i]];
    }
    expect(a).toEqual(ref);
  });

  test('shuffleBlock shuffles blocks of consecutive records whole, so each block lands in one batch', async () => {
    const blocks = shuffledBlocks(11, 2, new Rng(3));
    expect([...blocks].sort((x, y) => x - y)).toEqual(range(11));
    expect(shuffledBlocks(11, 2, new Rng(3))).toEqual(blocks);
    // the whole blocks' order is shuffledIndices' permutation of the block numbers; the odd one out comes last
    expect(blocks.slice(0, 10).filter((_, p) => p % 2 === 0).map((i) => i / 2)).toEqual(shuffledIndices(5, new Rng(3)));
    for (let p = 0; p < 10; p += 2) expect(blocks[p + 1]).toBe(blocks[p] + 1);
    expect(blocks[10]).toBe(10);
    expect(shuffledBlocks(11, 1, new Rng(3))).toEqual(shuffledIndices(11, new Rng(3)));

    const loader = new DataLoader(range(41), { load: identity, batchSize: 4, shuffleBlock: 2, seed: 9 });
    const batches = await collect(loader.iterate(0));
    expect(batches).toHaveLength(10);
    for (const b of batches) for (let k = 0; k < 4; k += 2) expect([b.items[k] % 2, b.items[k + 1]]).toEqual([0, b.items[k] + 1]);
    expect(loader.epochIndices(1)).not.toEqual(loader.epochIndices(0));
    // one by one (the default) is unchanged
    expect(new DataLoader(range(40), { load: identity, batchSize: 4, seed: 9 }).epochIndices(0)).toEqual(shuffledIndices(40, new Rng(9)));
    expect(() => new DataLoader(range(4), { load: identity, batchSize: 2, shuffleBlock: 0 })).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
  });

  test('DistributedSampler semantics: pad by repeating from the start, rank takes rank::world', () => {
    const order = [9, 3, 7, 1, 5, 0, 2, 8, 4, 6];
    expect(shardIndices(order, 0, 3)).toEqual([9, 1, 2, 6]);
    expect(shardIndices(order, 1, 3)).toEqual([3, 5, 8, 9]);
    expect(shardIndices(order, 2, 3)).toEqual([7, 0, 4, 3]);
    // more ranks than records: the order repeats
    expect(range(5).map((r) => shardIndices([4, 2], r, 5))).toEqual([[4], [2], [4], [2], [4]]);
    expect(shardIndices([], 0, 2)).toEqual([]);
  });

  test('shards are disjoint apart from the padding and cover the dataset', () => {
    for (const [n, world] of [
      [100, 4],
      [101, 4],
      [7, 3],
      [64, 8],
    ]) {
      const shards = range(world).map(
        (rank) => new DataLoader(range(n), { batchSize: 4, load: identity, rank, worldSize: world, seed: 3 }).epochIndices(2)
      );
      const per = Math.ceil(n / world);
      for (const s of shards) expect(s).toHaveLength(per);
      const all = shards.flat();
      expect(new Set(all).size).toBe(n); // coverage
      expect(all.length - n).toBe(per * world - n); // only the padding repeats
      const order = shuffledIndices(n, new Rng(3 + 2));
      expect(shards.flat().sort((a, b) => a - b)).toEqual([...order, ...order.slice(0, per * world - n)].sort((a, b) => a - b));
    }
  });
});

describe('DataLoader', () => {
  test('same seed → same batches; epochs reshuffle; another seed differs', async () => {
    const mk = (seed: number) => new DataLoader(range(50), { batchSize: 8, load: identity, seed });
    const a0 = await collect(mk(1).iterate(0));
    const b0 = await collect(mk(1).iterate(0));
    expect(a0.map((b) => b.items)).toEqual(b0.map((b) => b.items));
    const a1 = await collect(mk(1).iterate(1));
    expect(a1.map((b) => b.items)).not.toEqual(a0.map((b) => b.items));
    expect((await collect(mk(2).iterate(0))).map((b) => b.items)).not.toEqual(a0.map((b) => b.items));
    // the epoch order is seed + epoch
    expect(mk(1).epochIndices(1)).toEqual(mk(2).epochIndices(0));
    expect(a0.flatMap((b) => b.indices)).toEqual(shuffledIndices(50, new Rng(1)).slice(0, 48));
  });

  test('drop_last for training; the last short batch kept for evaluation', async () => {
    const train = new DataLoader(range(10), { batchSize: 3, load: identity });
    expect(train.dropLast).toBe(true);
    expect(train.length).toBe(3);
    expect((await collect(train.iterate(0))).map((b) => b.items.length)).toEqual([3, 3, 3]);
    const evalLoader = new DataLoader(range(10), { batchSize: 3, load: identity, shuffle: false });
    expect(evalLoader.dropLast).toBe(false);
    const batches = await collect(evalLoader.iterate(0));
    expect(batches.map((b) => b.items)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
  });

  test('resuming at (epoch, batch) yields exactly the remaining batches', async () => {
    const seen: number[] = [];
    const load = async (r: number, ctx: LoadContext) => {
      seen.push(ctx.seed);
      return `${r}:${ctx.seed}`;
    };
    const full = await collect(new DataLoader(range(40), { batchSize: 4, load, seed: 9 }).iterate(3));
    const loader = new DataLoader(range(40), { batchSize: 4, load, seed: 9 });
    loader.seek({ epoch: 3, batch: 6 });
    const rest = await collect(loader.iterate());
    expect(rest.map((b) => b.batch)).toEqual([6, 7, 8, 9]);
    expect(rest.map((b) => b.items)).toEqual(full.slice(6).map((b) => b.items));
    expect(loader.position).toEqual({ epoch: 4, batch: 0 });
  });

  test('position advances batch by batch and can be checkpointed mid-epoch', async () => {
    const loader = new DataLoader(range(20), { batchSize: 5, load: identity });
    const it = loader.iterate(0);
    expect((await it.next()).value?.batch).toBe(0);
    expect(loader.position).toEqual({ epoch: 0, batch: 1 });
    expect((await it.next()).value?.batch).toBe(1);
    const saved = loader.position;
    await it.return(undefined);
    const resumed = new DataLoader(range(20), { batchSize: 5, load: identity });
    resumed.seek(saved);
    const rest = await collect(resumed);
    expect(rest.map((b) => b.batch)).toEqual([2, 3]);
    const original = await collect(new DataLoader(range(20), { batchSize: 5, load: identity }).iterate(0));
    expect(rest.map((b) => b.items)).toEqual(original.slice(2).map((b) => b.items));
  });

  test('prefetch keeps at most `concurrency` loads in flight and preserves order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const load = async (r: number) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(1 + ((r * 7919) % 5));
      inFlight--;
      return r * 10;
    };
    const loader = new DataLoader(range(64), { batchSize: 8, load, concurrency: 3, prefetch: 2, shuffle: false });
    const batches: Array<Batch<number, number>> = [];
    for await (const b of loader.iterate(0)) {
      batches.push(b);
      await sleep(5); // a slow consumer: the loader runs ahead
    }
    expect(maxInFlight).toBe(3);
    expect(batches.flatMap((b) => b.items)).toEqual(range(64).map((r) => r * 10));
    expect(batches.flatMap((b) => b.records)).toEqual(range(64));
  });

  test('prefetch is bounded in batches, too', async () => {
    let started = 0;
    const loader = new DataLoader(range(100), { batchSize: 10, load: async (r) => (started++, r), concurrency: 50, prefetch: 1, shuffle: false });
    const it = loader.iterate(0);
    await it.next();
    await sleep(20);
    expect(started).toBeLessThanOrEqual(30); // the yielded batch + 1 prefetched (+ the one scheduled on resume)
    await it.return(undefined);
  });

  test('per-load seeds do not depend on concurrency or timing', async () => {
    const run = async (concurrency: number) => {
      const loader = new DataLoader(range(30), {
        batchSize: 5,
        concurrency,
        load: async (r, ctx) => {
          await sleep((r * 13) % 4);
          return ctx.seed;
        },
      });
      return (await collect(loader.iterate(2))).map((b) => b.items);
    };
    const a = await run(1);
    expect(await run(8)).toEqual(a);
    expect(a[0][0]).toBe(mixSeed(42, 2, 0, 0));
  });

  describe('bad records', () => {
    const bad = new Set([3, 7, 8, 20]);
    const load = async (r: number) => {
      await sleep(r % 3);
      if (bad.has(r)) throw new UniAdapterError('ERR_IO', `image ${r} not found`);
      return r;
    };

    test("'fail' (default) rethrows with the record index", async () => {
      const loader = new DataLoader(range(30), { batchSize: 5, load, shuffle: false });
      await expect(collect(loader.iterate(0))).rejects.toMatchObject({
        code: 'ERR_IO',
        message: expect.stringMatching(/record 3 \(epoch 0\).*image 3 not found.*onBadRecord: 'skip'/),
      });
    });

    test("'skip' in training replaces bad records deterministically: equal batch sizes", async () => {
      const run = async (concurrency: number) => {
        const loader = new DataLoader(range(30), { batchSize: 5, load, onBadRecord: 'skip', concurrency, seed: 11 });
        const batches = await collect(loader.iterate(0));
        return { batches, skipped: loader.skipped };
      };
      const a = await run(1);
      const b = await run(6);
      expect(a.batches.map((x) => x.items.length)).toEqual([5, 5, 5, 5, 5, 5]);
      expect(a.batches.flatMap((x) => x.items).some((i) => bad.has(i))).toBe(false);
      expect(b.batches.map((x) => x.indices)).toEqual(a.batches.map((x) => x.indices));
      expect(a.skipped.count).toBeGreaterThanOrEqual(4);
      expect(a.skipped.records.every((s) => bad.has(s.index) && s.code === 'ERR_IO')).toBe(true);
      expect(a.batches.flatMap((x) => x.skipped)).toHaveLength(a.skipped.count);
      // a resumed loader makes the same replacements
      const resumed = new DataLoader(range(30), { batchSize: 5, load, onBadRecord: 'skip', seed: 11 });
      const rest = await collect(resumed.iterate(0, 3));
      expect(rest.map((x) => x.indices)).toEqual(a.batches.slice(3).map((x) => x.indices));
    });

    test("'skip' in evaluation shrinks the batch", async () => {
      const loader = new DataLoader(range(10), { batchSize: 5, load, onBadRecord: 'skip', shuffle: false });
      const batches = await collect(loader.iterate(0));
      expect(batches.map((b) => b.items)).toEqual([
        [0, 1, 2, 4],
        [5, 6, 9],
      ]);
      expect(batches[1].skipped.map((s) => s.index)).toEqual([7, 8]);
      expect(loader.skipped.count).toBe(3);
    });

    test('too many bad records in a row is ERR_DATA', async () => {
      const loader = new DataLoader(range(10), {
        batchSize: 2,
        load: async () => {
          throw new UniAdapterError('ERR_IMAGE', 'cannot decode');
        },
        onBadRecord: 'skip',
        maxReplacementAttempts: 3,
      });
      await expect(collect(loader.iterate(0))).rejects.toMatchObject({ code: 'ERR_DATA', message: expect.stringMatching(/3 records in a row/) });
    });

    test('errors that are not data errors propagate under skip', async () => {
      const loader = new DataLoader(range(4), {
        batchSize: 2,
        load: async () => {
          throw new TypeError('bug');
        },
        onBadRecord: 'skip',
      });
      await expect(collect(loader.iterate(0))).rejects.toThrow(TypeError);
    });
  });

  test('stopping early cancels loads that have not started', async () => {
    let started = 0;
    const loader = new DataLoader(range(200), {
      batchSize: 10,
      concurrency: 2,
      prefetch: 3,
      load: async (r) => {
        started++;
        await sleep(2);
        return r;
      },
    });
    for await (const b of loader.iterate(0)) {
      expect(b.batch).toBe(0);
      break;
    }
    await sleep(30);
    expect(started).toBeLessThanOrEqual(14); // batch 0 + the loads already in flight
  });

  test('option validation', () => {
    const bad: Array<Record<string, unknown>> = [
      { batchSize: 0 },
      { batchSize: 2, worldSize: 2, rank: 2 },
      { batchSize: 2, concurrency: 0 },
      { batchSize: 2, seed: -1 },
      { batchSize: 2, onBadRecord: 'ignore' },
    ];
    for (const o of bad) {
      expect(() => new DataLoader(range(4), { load: identity, ...(o as { batchSize: number }) })).toThrow(UniAdapterError);
    }
  });
});
