/**
 * ITM tokens at BLIP-base shape in a gallery store: N items (default 10,000) of 577 × 768 ViT tokens
 * (synthetic N(0, 1) values) with 256-d ITC vectors, stored as bf16 and as int8. For each encoding:
 * ingest time, disk bytes per item, the read of 16 shortlisted items' tokens (disk read + decode to
 * fp32, over 1,000 queries with random shortlists, resident memory before and after), and the full
 * text query through `searchStoreByText` (ITC shortlist of 16, token read, ITM re-rank by a BLIP-base
 * retrieval model with random weights) over a few queries, its token read and ITM timed apart.
 *
 *   npx tsx benchmarks/store/tokens.ts [--items 10000] [--reads 1000] [--itm-queries 5] [--dir DIR]
 *       [--out benchmarks/results/store-tokens.json]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { presetConfig } from '../../lib/config/presets';
import { RetrievalModel } from '../../lib/model/retrieval-model';
import { GalleryStore } from '../../lib/store/gallery-store';
import { searchStoreByText } from '../../lib/store/store-search';
import { BlipTokenizer } from '../../lib/text/tokenizer';
import { flags, folderBytes, generator, latency, machine, normalize, nowMs, progress, resetPeakRss, rssMb, writeReport } from './common';

const TOKENS = 577;
const WIDTH = 768;
const DIM = 256;
const SHORTLIST = 16;

async function ingest(dir: string, encoding: 'bf16' | 'int8', items: number, pool: Float32Array): Promise<Record<string, unknown>> {
  const g = generator(3);
  const per = TOKENS * WIDTH;
  const store = await GalleryStore.create(dir, { kind: 'image', embedDim: DIM, frames: 1, tokensPerFrame: TOKENS, width: WIDTH, tokens: encoding, fingerprint: 'benchmark' });
  const batch = 64;
  const t0 = nowMs();
  for (let i = 0; i < items; i += batch) {
    const n = Math.min(batch, items - i);
    await store.add(
      Array.from({ length: n }, (_, j) => {
        const off = Math.floor(g.uniform() * (pool.length - per));
        return { id: `item-${i + j}`, features: normalize(Float32Array.from({ length: DIM }, g.normal)), tokens: pool.subarray(off, off + per) };
      })
    );
    progress(`ingest ${encoding}`, i + n, items, t0);
  }
  const seconds = (nowMs() - t0) / 1000;
  const info = await store.info();
  await store.close();
  const bytes = folderBytes(dir);
  return { items, ingestSeconds: seconds, ingestItemsPerSecond: items / seconds, diskBytes: bytes, diskBytesPerItem: bytes / items, tokenBytesPerItem: info.bytes.tokens / items };
}

async function query(dir: string, model: RetrievalModel, o: { reads: number; itmQueries: number; items: number }): Promise<Record<string, unknown>> {
  const store = await GalleryStore.open(dir);
  const g = generator(4);
  const tokenizer = BlipTokenizer.bertBaseUncased();
  resetPeakRss();
  const before = rssMb();
  const readMs: number[] = [];
  const t0 = nowMs();
  for (let q = 0; q < o.reads; q++) {
    const rows = Array.from({ length: SHORTLIST }, () => Math.floor(g.uniform() * o.items));
    const s = nowMs();
    await store.tokens(rows);
    readMs.push(nowMs() - s);
    if ((q + 1) % 50 === 0 || q + 1 === o.reads) progress('token reads', q + 1, o.reads, t0);
  }
  const afterReads = rssMb();
  const searchMs: number[] = [];
  const texts = ['a dog running on the beach', 'two people riding bicycles', 'a red car parked on a street', 'a plate of food on a table', 'a man holding an umbrella', 'children playing football'];
  for (let q = 0; q < o.itmQueries; q++) {
    const s = nowMs();
    const r = await searchStoreByText(model, store, [texts[q % texts.length]], { tokenizer, k: 10, rerank: SHORTLIST, exact: true });
    searchMs.push(nowMs() - s);
    if (r[0].length !== 10) throw new Error('the search returned fewer than 10 results');
    process.stderr.write(`query ${q + 1}/${o.itmQueries}: ${(searchMs.at(-1) as number).toFixed(0)} ms\n`);
  }
  const end = rssMb();
  await store.close();
  const read = latency(readMs);
  const search = latency(searchMs);
  return {
    tokenRead16: read,
    textSearchRerank16: search,
    itmShareOfSearch: 1 - read.p50Ms / search.p50Ms,
    rssMb: { beforeReads: before.rss, afterReads: afterReads.rss, afterSearches: end.rss, peak: end.peak },
  };
}

async function main(): Promise<void> {
  const f = flags(process.argv.slice(2));
  const o = { items: Number(f.get('items') ?? 10_000), reads: Number(f.get('reads') ?? 1000), itmQueries: Number(f.get('itm-queries') ?? 5) };
  const out = f.get('out') ?? 'benchmarks/results/store-tokens.json';
  const root = f.get('dir') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ua-store-tokens-'));
  const m = await machine();
  process.stderr.write(`machine: ${m.cpu.model}, ${m.cpu.logicalCores} cores, fp32 matmul ${m.practicalPeakGflops.toFixed(1)} GFLOP/s\n`);
  const g = generator(5);
  const pool = Float32Array.from({ length: 2 * TOKENS * WIDTH }, g.normal);
  const model = await RetrievalModel.create(presetConfig('blip-base', 'retrieval'));
  const modelRss = rssMb().rss;
  const results: Record<string, unknown> = {};
  try {
    for (const encoding of ['bf16', 'int8'] as const) {
      const dir = path.join(root, encoding);
      const built = await ingest(dir, encoding, o.items, pool);
      results[encoding] = { ...built, ...(await query(dir, model, o)) };
      await writeReport(out, { benchmark: 'store-tokens', partial: true, settings: o, machine: m, rssWithModelMb: modelRss, results });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await model.dispose();
  }
  await writeReport(out, { benchmark: 'store-tokens', settings: o, machine: m, rssWithModelMb: modelRss, results });
  process.stderr.write(`report: ${out}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
