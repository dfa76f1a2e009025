/**
 * The gallery store: search through the store equals search over the in-memory gallery; metadata
 * filters; add / upsert / remove; batched exact search and ANN recall against exact search on 100,000 vectors; 20 SIGKILLs
 * during an ingest lose no acknowledged item; one writer at a time; damaged stores give coded errors.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Gallery } from '../lib/inference/gallery';
import { retrieveByImage, retrieveByText } from '../lib/inference/retrieve';
import { TextGallery } from '../lib/inference/text-gallery';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { GalleryStore } from '../lib/store/gallery-store';
import { createStoreFor, ingestMedia, ingestTexts } from '../lib/store/store-ingest';
import { searchStoreByImage, searchStoreByText } from '../lib/store/store-search';
import { BlipTokenizer } from '../lib/text/tokenizer';
import { encodePng } from '../lib/tools/synthetic/png';
import { command as galleryCommand } from '../lib/cli/gallery';
import { expectUniAdapterError } from './helpers/expect-error';
import { tinyConfig } from './helpers/tiny-models';

jest.setTimeout(300_000);

const WORKER = path.join(__dirname, 'helpers', 'store-ingest-worker.ts');
const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function unit(rnd: () => number, E: number): Float32Array {
  const v = Float32Array.from({ length: E }, () => rnd() - 0.5);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

describe('search through a store', () => {
  let model: RetrievalModel;
  const tok = BlipTokenizer.bertBaseUncased();
  let images: Uint8Array[];
  const queries = ['a red square on the left', 'two blue circles', 'a green triangle at the top', 'a small yellow star'];

  beforeAll(async () => {
    model = await RetrievalModel.create(tinyConfig('retrieval'));
    const rnd = lcg(5);
    images = await Promise.all(Array.from({ length: 24 }, () => encodePng(Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.floor(rnd() * 256)), 32, 32)));
  });
  afterAll(() => model.dispose());

  test('gives the in-memory gallery\'s results (fp32 tokens), filters on metadata, and updates in place', async () => {
    const dir = path.join(tmp('ua-store-'), 'store');
    const store = await createStoreFor(model, dir, { tokens: 'fp32', metadata: { shade: 'string', n: 'number' } });
    const ids = images.map((_, i) => `img-${i}`);
    await ingestMedia(model, store, images.map((m, i) => ({ id: ids[i], media: m, metadata: { shade: i % 2 ? 'dark' : 'light', n: i } })), { batchSize: 7 });
    expect(await store.size()).toBe(24);
    const gallery = await Gallery.build(model, images, { ids });
    const want = await retrieveByText(model, gallery, queries, { tokenizer: tok, k: 5, rerank: 12 });
    // The same search function takes the store (and then its options: exact, where).
    const got = await retrieveByText(model, store, queries, { tokenizer: tok, k: 5, rerank: 12, exact: true });
    for (let q = 0; q < queries.length; q++) {
      expect(got[q].map((r) => r.id)).toEqual(want[q].map((r) => r.id));
      got[q].forEach((r, i) => {
        expect(r.itm).toBeCloseTo(want[q][i].itm as number, 5);
        expect(r.itc).toBeCloseTo(want[q][i].itc, 5);
        expect(r.metadata.n).toBe(Number(r.id.slice(4)));
      });
    }
    const dark = await searchStoreByText(model, store, queries, { tokenizer: tok, k: 5, rerank: 0, exact: true, where: "shade = 'dark' AND n < 12" });
    for (const list of dark) for (const r of list) expect(r.metadata.shade === 'dark' && (r.metadata.n as number) < 12).toBe(true);
    await expectUniAdapterError(searchStoreByText(model, store, queries, { tokenizer: tok, where: 'no_such_column = 1' }), 'ERR_ARG', 'no_such_column');

    await expectUniAdapterError(ingestMedia(model, store, [{ id: 'img-3', media: images[3] }]), 'ERR_ARG', 'img-3', 'upsert');
    await ingestMedia(model, store, [{ id: 'img-3', media: images[5], metadata: { shade: 'light', n: 3 } }], { upsert: true });
    expect(await store.size()).toBe(24);
    expect(await store.remove(['img-0', 'img-1', 'absent'])).toBe(2);
    const after = await searchStoreByText(model, store, queries, { tokenizer: tok, k: 24, rerank: 0, exact: true });
    for (const list of after) expect(list.map((r) => r.id)).not.toContain('img-0');
    await store.close();

    // Another model state (a different adapter) is refused at open, naming both fingerprints.
    const other = await RetrievalModel.create(tinyConfig('retrieval', { seed: 8 }));
    try {
      const fp = (await other.fingerprint({ adapter: true })).fingerprint;
      await expectUniAdapterError(GalleryStore.open(dir, { fingerprint: fp }), 'ERR_STATE', 'another model state', fp);
    } finally {
      await other.dispose();
    }
  });

  test('image → texts over a text store gives the in-memory text gallery\'s results', async () => {
    const captions = Array.from({ length: 30 }, (_, i) => `${['a red', 'a blue', 'two green', 'a yellow', 'three small'][i % 5]} ${['square', 'circle', 'star', 'triangle', 'cross', 'ring'][i % 6]} number ${i}`);
    const store = await createStoreFor(model, path.join(tmp('ua-store-txt-'), 'store'), { kind: 'text', metadata: { group: 'number' } });
    await ingestTexts(model, store, captions.map((text, i) => ({ id: `t${i}`, text, metadata: { group: i % 3 } })), { tokenizer: tok, batchSize: 8 });
    expect(await store.size()).toBe(30);
    const gallery = await TextGallery.build(model, captions, { tokenizer: tok, ids: captions.map((_, i) => `t${i}`) });
    const queryImages = images.slice(0, 5);
    const want = await retrieveByImage(model, gallery, queryImages, { k: 4, rerank: 10 });
    const got = await retrieveByImage(model, store, queryImages, { k: 4, rerank: 10, exact: true });
    for (let q = 0; q < queryImages.length; q++) {
      expect(got[q].map((r) => r.id)).toEqual(want[q].map((r) => r.id));
      got[q].forEach((r, i) => {
        expect(r.itm).toBeCloseTo(want[q][i].itm as number, 5);
        expect(r.text).toBe(gallery.texts[want[q][i].index]);
      });
    }
    const itcOnly = await searchStoreByImage(model, store, queryImages, { k: 3, rerank: 0, exact: true, where: 'group = 1' });
    for (const list of itcOnly) for (const r of list) expect([r.itm, r.metadata.group]).toEqual([undefined, 1]);
    await expectUniAdapterError(searchStoreByText(model, store, queries, { tokenizer: tok }), 'ERR_ARG', 'holds texts');
    await expectUniAdapterError(ingestMedia(model, store, [{ id: 'x', media: images[0] }]), 'ERR_ARG', 'ingestTexts');
    await store.close();
  });

  test('a recompute store re-embeds the shortlist from its sources', async () => {
    const root = tmp('ua-store-rc-');
    const files = images.slice(0, 10).map((m, i) => {
      const f = path.join(root, `i${i}.png`);
      fs.writeFileSync(f, m);
      return f;
    });
    const store = await createStoreFor(model, path.join(root, 'store'), { tokens: 'recompute' });
    await ingestMedia(model, store, files.map((f) => ({ media: f })));
    expect((await store.info()).bytes.tokens).toBe(0);
    const gallery = await Gallery.build(model, files);
    const want = await retrieveByText(model, gallery, queries, { tokenizer: tok, k: 3, rerank: 6 });
    const got = await searchStoreByText(model, store, queries, { tokenizer: tok, k: 3, rerank: 6, exact: true });
    for (let q = 0; q < queries.length; q++) expect(got[q].map((r) => r.id)).toEqual(want[q].map((r) => r.id));
    await expectUniAdapterError(ingestMedia(model, store, [{ id: 'buf', media: images[0] }]), 'ERR_ARG', 'source');
    await store.close();
  });
});

describe('uniadapter gallery', () => {
  test('build, info, search --json, remove', async () => {
    const root = tmp('ua-store-cli-');
    const imgs = path.join(root, 'imgs');
    fs.mkdirSync(imgs);
    const rnd = lcg(21);
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(imgs, `p${i}.png`), await encodePng(Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.floor(rnd() * 256)), 32, 32));
    const cfg = path.join(root, 'model.json');
    fs.writeFileSync(cfg, JSON.stringify(tinyConfig('retrieval')));
    const run = async (argv: string[]) => {
      let out = '';
      const io = { stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream, stderr: { write: () => true } as unknown as NodeJS.WritableStream, stdin: process.stdin };
      expect(await galleryCommand.run(argv, io)).toBe(0);
      return out;
    };
    const store = path.join(root, 'store');
    expect(JSON.parse(await run(['build', store, '--config', cfg, '--tokens', 'int8', imgs, '--json'])).items).toBe(5);
    const info = JSON.parse(await run(['info', store, '--json']));
    expect(info.manifest.tokens).toBe('int8');
    expect(info.bytes.tokens).toBe(5 * (5 * 32 + 5 * 4)); // int8 values + one fp32 scale per token
    const hits = JSON.parse(await run(['search', store, '--config', cfg, '--text', 'a red square', '--k', '3', '--rerank', '5', '--json']));
    expect(hits).toHaveLength(3);
    for (const h of hits) expect(Object.keys(h).sort()).toEqual(['id', 'itc', 'itm', 'metadata', 'score']);
    expect(JSON.parse(await run(['remove', store, hits[0].id, '--json'])).removed).toBe(1);
    await expectUniAdapterError(galleryCommand.run(['explode', store], { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }), 'ERR_ARG', 'unknown gallery command');

    // A text store from a text file and a .jsonl file, searched with an image.
    fs.writeFileSync(path.join(root, 'captions.txt'), 'a red square\n\ntwo blue circles\na green star\n');
    fs.writeFileSync(path.join(root, 'more.jsonl'), '{"id": "k1", "text": "a yellow ring"}\n');
    const texts = path.join(root, 'texts');
    expect(JSON.parse(await run(['build', texts, '--config', cfg, '--kind', 'text', path.join(root, 'captions.txt'), path.join(root, 'more.jsonl'), '--json'])).items).toBe(4);
    const found = JSON.parse(await run(['search', texts, '--config', cfg, '--image', path.join(imgs, 'p0.png'), '--k', '2', '--rerank', '4', '--json']));
    expect(found).toHaveLength(2);
    for (const h of found) {
      expect(Object.keys(h).sort()).toEqual(['id', 'itc', 'itm', 'metadata', 'score', 'text']);
      expect(['captions.txt:1', 'captions.txt:3', 'captions.txt:4', 'k1']).toContain(h.id);
    }
    await expectUniAdapterError(galleryCommand.run(['build', path.join(root, 'bad'), '--config', cfg, '--kind', 'text', '--tokens', 'int8', path.join(root, 'captions.txt')], { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }), 'ERR_ARG', 'token ids');
  });
});

describe('ANN index', () => {
  test('recall@10 against exact search on 100,000 vectors', async () => {
    const dir = path.join(tmp('ua-store-ann-'), 'store');
    const E = 32;
    const store = await GalleryStore.create(dir, { kind: 'image', embedDim: E, frames: 1, tokensPerFrame: 1, width: 1, tokens: 'fp32', fingerprint: 'synthetic' });
    // Embedding-like vectors: intrinsic dimension 8 (clusters in 8-d mapped into 32-d) plus noise.
    const rnd = lcg(17);
    const normal = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
    const map = Array.from({ length: E * 8 }, normal);
    const centres = Array.from({ length: 200 }, () => Array.from({ length: 8 }, normal));
    const draw = () => {
      const c = centres[Math.floor(rnd() * centres.length)];
      const z = c.map((x) => x + 0.5 * normal());
      const v = Float32Array.from({ length: E }, (_, i) => 0.02 * normal() + z.reduce((a, zj, j) => a + map[i * 8 + j] * zj, 0));
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    };
    const all: Float32Array[] = [];
    for (let b = 0; b < 100_000; b += 10_000) {
      const batch = Array.from({ length: 10_000 }, (_, i) => ({ id: `v${b + i}`, features: draw(), tokens: new Float32Array(1) }));
      all.push(...batch.map((x) => x.features));
      await store.add(batch);
    }
    // Unindexed: one exact pass for a batch of queries gives each query's brute-force top 10, in order.
    const batchQueries = Array.from({ length: 5 }, draw);
    const passed = await store.searchVectors(batchQueries, { k: 10 });
    for (let q = 0; q < batchQueries.length; q++) {
      const dots = all.map((v, i) => ({ i, d: v.reduce((a, x, e) => a + x * batchQueries[q][e], 0) })).sort((a, b) => b.d - a.d);
      expect(passed[q].map((h) => h.id)).toEqual(dots.slice(0, 10).map((x) => `v${x.i}`));
      passed[q].forEach((h, j) => expect(h.itc).toBeCloseTo(dots[j].d, 5));
      expect(passed[q].map((h) => h.id)).toEqual((await store.searchVector(batchQueries[q], { k: 10, exact: true })).map((h) => h.id));
    }
    await expectUniAdapterError(store.searchVectors([batchQueries[0], new Float32Array(3)], { k: 10 }), 'ERR_SHAPE', `${E} values`);
    await expectUniAdapterError(store.searchVectors(batchQueries, { k: 0 }), 'ERR_ARG', 'k must be');
    expect(await store.searchVectors([], { k: 3 })).toEqual([]);
    await store.createIndex();
    expect(await store.indexed()).toBe(true);
    // Indexed: a batch is one ANN look-up per query; `exact` still makes one exact pass.
    const viaIndex = await store.searchVectors(batchQueries, { k: 10 });
    for (let q = 0; q < batchQueries.length; q++) expect(viaIndex[q].map((h) => h.id)).toEqual((await store.searchVector(batchQueries[q], { k: 10 })).map((h) => h.id));
    expect((await store.searchVectors(batchQueries, { k: 10, exact: true })).map((l) => l.map((h) => h.id))).toEqual(passed.map((l) => l.map((h) => h.id)));
    let hits = 0;
    let allProbed = 0;
    const Q = 20;
    for (let q = 0; q < Q; q++) {
      const v = draw();
      const exact = (await store.searchVector(v, { k: 10, exact: true })).map((h) => h.id);
      const want = new Set(exact);
      hits += (await store.searchVector(v, { k: 10 })).filter((h) => want.has(h.id)).length;
      // Probing every partition is exact search through the index.
      allProbed += (await store.searchVector(v, { k: 10, nprobes: 4096 })).filter((h) => want.has(h.id)).length;
    }
    const recall = hits / (Q * 10);
    process.stdout.write(`ANN recall@10 on 100,000 embedding-like 32-d vectors (default probes): ${recall}\n`);
    expect(recall).toBeGreaterThanOrEqual(0.95);
    expect(allProbed).toBe(Q * 10);
    await store.close();
  });
});

describe('writers, kills and damage', () => {
  const E = 8;
  async function newStore(): Promise<string> {
    const dir = path.join(tmp('ua-store-kill-'), 'store');
    const s = await GalleryStore.create(dir, { kind: 'image', embedDim: E, frames: 1, tokensPerFrame: 3, width: 4, tokens: 'fp32', fingerprint: 'synthetic' });
    await s.close();
    return dir;
  }

  function startWriter(dir: string, start: number) {
    // One process (tsx/cli would run the script in a child that a SIGKILL of its parent leaves running).
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', WORKER, dir, String(start)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: Array<[number, number]> = [];
    let buf = '';
    let err = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop() as string;
      for (const l of lines) {
        const m = /^ack (\d+) (\d+)$/.exec(l);
        if (m) acked.push([Number(m[1]), Number(m[2])]);
      }
    });
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, acked, exited, stderr: () => err };
  }

  test('20 SIGKILLs at random moments of an ingest lose no acknowledged item; a second writer is refused', async () => {
    const dir = await newStore();
    const rnd = lcg(99);
    let next = 0;
    const acknowledged: string[] = [];
    for (let round = 0; round < 20; round++) {
      const w = startWriter(dir, next);
      // Wait for the first acknowledgement (the writer is up), then kill it at a random moment.
      const t0 = Date.now();
      while (w.acked.length === 0 && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
      expect(w.acked.length).toBeGreaterThan(0);
      if (round === 0) await expectUniAdapterError(GalleryStore.open(dir, { write: true }), 'ERR_STATE', 'being written by process');
      await new Promise((r) => setTimeout(r, Math.floor(rnd() * 400)));
      w.child.kill('SIGKILL');
      await w.exited;
      for (const [first, count] of w.acked) for (let i = 0; i < count; i++) acknowledged.push(`item-${first + i}`);
      const last = w.acked[w.acked.length - 1];
      next = last[0] + last[1] + 1000; // ids of a batch that may have committed unacknowledged are not reused
    }
    const store = await GalleryStore.open(dir, { write: true }); // takes over the dead writer's lock
    const present = new Set<string>();
    for (const id of acknowledged) present.add(id);
    const n = await store.size();
    expect(n).toBeGreaterThanOrEqual(acknowledged.length);
    for (let i = 0; i < acknowledged.length; i += 400) {
      const ids = acknowledged.slice(i, i + 400);
      const hits = await store.searchVector(new Float32Array(E).fill(1 / Math.sqrt(E)), { k: n, exact: true, where: `id IN (${ids.map((x) => `'${x}'`).join(', ')})` });
      expect(hits.length).toBe(ids.length);
      const rows = await store.tokens(hits.map((h) => h.row));
      const data = rows.data as Float32Array;
      hits.forEach((h, j) => expect(data[j * 12]).toBe(Number(h.id.slice(5)))); // each item finds its own token record
    }
    await store.close();
  });

  test('damaged or foreign folders are coded errors and nothing stored is lost', async () => {
    const empty = tmp('ua-store-empty-');
    await expectUniAdapterError(GalleryStore.open(empty), 'ERR_FORMAT', 'not a gallery store');
    const dir = await newStore();
    const s = await GalleryStore.open(dir, { write: true });
    const unitCos = (i: number) => {
      const v = Float32Array.from({ length: E }, (_, j) => Math.cos(i + j));
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    };
    await s.add(Array.from({ length: 30 }, (_, i) => ({ id: `a${i}`, features: unitCos(i), tokens: new Float32Array(12).fill(i) })));
    await expectUniAdapterError(s.add([{ id: 'raw', features: new Float32Array(E).fill(1), tokens: new Float32Array(12) }]), 'ERR_ARG', 'L2-normalised');
    await s.close();
    const manifest = path.join(dir, 'store.json');
    const good = fs.readFileSync(manifest, 'utf8');
    fs.writeFileSync(manifest, good.replace('uniadapter-gallery-store/2', 'uniadapter-gallery-store/9'));
    await expectUniAdapterError(GalleryStore.open(dir), 'ERR_FORMAT', 'store.json', 'uniadapter-gallery-store/9');
    fs.writeFileSync(manifest, '{ not json');
    await expectUniAdapterError(GalleryStore.open(dir), 'ERR_FORMAT', 'store.json', 'not valid JSON');
    fs.writeFileSync(manifest, good);
    const tokens = path.join(dir, 'tokens.bin');
    const full = fs.readFileSync(tokens);
    fs.truncateSync(tokens, full.length - 10);
    const r = await GalleryStore.open(dir);
    const hits = await r.searchVector(Float32Array.from({ length: E }, (_, j) => Math.cos(29 + j)), { k: 30, exact: true });
    const last = hits.find((h) => h.id === 'a29') as { row: number };
    await expectUniAdapterError(r.tokens([last.row]), 'ERR_FORMAT', 'tokens.bin', 'truncated');
    await r.close();
    fs.writeFileSync(tokens, full);
    const lance = path.join(dir, 'lance', 'items.lance');
    const versions = path.join(lance, '_versions');
    const saved = fs.readdirSync(versions).map((f) => [f, fs.readFileSync(path.join(versions, f))] as const);
    for (const [f] of saved) fs.writeFileSync(path.join(versions, f), 'garbage');
    await expectUniAdapterError(GalleryStore.open(dir), 'ERR_FORMAT', 'item table');
    for (const [f, b] of saved) fs.writeFileSync(path.join(versions, f), b);
    const back = await GalleryStore.open(dir);
    expect(await back.size()).toBe(30);
    await back.close();
  });
});
