/**
 * The micro-batcher on its own (requests merged up to maxBatch within maxDelayMs, results back in
 * order, a failing batch retried request by request, a full queue refused with ERR_BUSY, drain), and
 * the service in-process (`createService` without HTTP): batched results equal single calls, bad
 * input is a coded error, and a closed service refuses new work.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UniAdapterError } from '../lib/errors';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { MicroBatcher } from '../lib/serve/micro-batcher';
import { checkServeConfig } from '../lib/serve/serve-config';
import { createService } from '../lib/serve/service';
import { createStoreFor, ingestMedia } from '../lib/store/store-ingest';
import { encodePng } from '../lib/tools/synthetic/png';
import { expectUniAdapterError } from './helpers/expect-error';
import { tinyConfig } from './helpers/tiny-models';

jest.setTimeout(120_000);

describe('MicroBatcher', () => {
  test('merges concurrent requests up to maxBatch and returns each its own result in order', async () => {
    const calls: number[][] = [];
    const b = new MicroBatcher<number, number>(async (xs) => (calls.push(xs), xs.map((x) => x * 10)), { maxBatch: 4, maxDelayMs: 20, maxQueue: 100 });
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => b.submit(i)));
    expect(out).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(calls.map((c) => c.length)).toEqual([4, 4, 2]);
    expect(calls.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('a failing batch is retried one request at a time, so only the bad request fails', async () => {
    const b = new MicroBatcher<number, number>(
      async (xs) => {
        if (xs.includes(3)) throw new UniAdapterError('ERR_IMAGE', 'request 3 is bad');
        return xs.map((x) => x + 1);
      },
      { maxBatch: 8, maxDelayMs: 10, maxQueue: 100 }
    );
    const settled = await Promise.allSettled([1, 2, 3, 4].map((x) => b.submit(x)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason.code).toBe('ERR_IMAGE');
    expect((settled[3] as PromiseFulfilledResult<number>).value).toBe(5);
  });

  test('a full queue refuses at once with ERR_BUSY; drain finishes accepted work and refuses new', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const b = new MicroBatcher<number, number>(async (xs) => (await gate, xs), { maxBatch: 1, maxDelayMs: 0, maxQueue: 2 });
    const running = b.submit(0); // runs (waits on the gate)
    const queued = [b.submit(1), b.submit(2)];
    await expectUniAdapterError(b.submit(3), 'ERR_BUSY', 'queue is full');
    expect(b.stats).toEqual({ queued: 2, running: true });
    const drained = b.drain();
    await expectUniAdapterError(b.submit(4), 'ERR_STATE', 'shutting down');
    release();
    await drained;
    expect(await Promise.all([running, ...queued])).toEqual([0, 1, 2]);
  });

  test('bad settings are ERR_ARG', () => {
    expect(() => new MicroBatcher(async (x) => x, { maxBatch: 0, maxDelayMs: 1, maxQueue: 1 })).toThrow(/maxBatch/);
    expect(() => new MicroBatcher(async (x) => x, { maxBatch: 1, maxDelayMs: -1, maxQueue: 1 })).toThrow(/maxDelayMs/);
  });
});

describe('createService in-process', () => {
  test('batched retrieve equals single calls; bad input is coded; closed service refuses', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ua-service-'));
    const model = await RetrievalModel.create(tinyConfig('retrieval'));
    let s = 3;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const images = await Promise.all(Array.from({ length: 10 }, () => encodePng(Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.floor(rnd() * 256)), 32, 32)));
    const store = await createStoreFor(model, path.join(root, 'store'));
    await ingestMedia(model, store, images.map((m, i) => ({ id: `i${i}`, media: m })));
    await store.close();
    await model.dispose();
    const config = checkServeConfig({ models: { retrieval: { config: tinyConfig('retrieval') } }, galleries: { g: 'store' }, batching: { maxBatch: 8, maxDelayMs: 10, maxQueue: 64 } }, root);
    const service = await createService(config);
    try {
      expect(service.tasks).toEqual(['retrieval']);
      const texts = ['a red square', 'two blue circles', 'a green star', 'a small ring'];
      const single: Awaited<ReturnType<typeof service.retrieve>>[] = [];
      for (const text of texts) single.push(await service.retrieve({ gallery: 'g', text, k: 3, rerank: 6 }));
      const together = await Promise.all(texts.map((text) => service.retrieve({ gallery: 'g', text, k: 3, rerank: 6 })));
      together.forEach((r, i) => {
        expect(r.map((x) => x.id)).toEqual(single[i].map((x) => x.id));
        r.forEach((x, j) => expect(x.score).toBeCloseTo(single[i][j].score, 4));
      });
      await expectUniAdapterError(service.retrieve({ gallery: 'nope', text: 'x' }), 'ERR_NOT_FOUND', "no gallery 'nope'");
      await expectUniAdapterError(service.caption({ image: images[0] }), 'ERR_NOT_FOUND', 'no caption model');
      await expectUniAdapterError(service.retrieve({ gallery: 'g', text: '   ' }), 'ERR_ARG', 'non-empty');
    } finally {
      await service.close();
    }
    await expectUniAdapterError(service.retrieve({ gallery: 'g', text: 'x' }), 'ERR_STATE', 'shutting down');
  });

  test('a configuration with unknown keys or bad values is ERR_CONFIG naming them', () => {
    expect(() => checkServeConfig({ models: { retrieval: { config: 'r.json' } }, batching: { maxBatch: 4, maxDelay: 5 } }, '.')).toThrow(/batching: unknown key 'maxDelay'/);
    expect(() => checkServeConfig({ models: { retrieval: { config: 'r.json' } }, galleries: { '../x': 'store' } }, '.')).toThrow(/gallery name '..\/x'/);
    expect(() => checkServeConfig({ models: {} }, '.')).toThrow(/at least one of retrieval, vqa, caption/);
    expect(() => checkServeConfig({ models: { caption: { config: 'c.json' } }, galleries: { g: 's' } }, '.')).toThrow(/galleries need a retrieval model/);
    expect(() => checkServeConfig({ models: { caption: { config: 'c.json' } }, token: 'short' }, '.')).toThrow(/at least 16 characters/);
  });
});
