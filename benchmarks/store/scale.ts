/**
 * A gallery store at catalogue scale: N items (default 1,000,000) with 256-d ITC vectors and tiny tokens,
 * written through the store's API. Measures ingest items/s, disk bytes per item, the ANN index build,
 * and — in a fresh process that only searches, so its memory is a searching service's — open time,
 * resident memory, ITC top-100 latency p50/p99 for exact search and for the ANN index at several
 * probe counts, and the ANN's recall@10 and @100 against exact search.
 *
 * Two data models (`--data`); queries are fresh draws from the same model, not stored items:
 * - `low-rank` (default): embeddings of intrinsic dimension 16 — a mixture of `clusters` Gaussian
 *   clusters in 16-d, mapped into 256-d by a fixed random matrix, with small isotropic noise — as the
 *   embeddings of real catalogues are (their neighbourhoods have low intrinsic dimension);
 * - `isotropic`: `clusters` Gaussian clusters on the 256-d sphere with isotropic spread, the hard case:
 *   within a cluster the neighbours are those of random 256-d vectors, which no IVF partition captures.
 *
 *   npx tsx benchmarks/store/scale.ts [--items 1000000] [--data low-rank|isotropic] [--clusters 2000]
 *       [--queries 100] [--dir DIR] [--keep] [--out benchmarks/results/store-scale.json]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { defaultPartitions, GalleryStore } from '../../lib/store/gallery-store';
import { flags, folderBytes, generator, latency, machine, normalize, nowMs, progress, resetPeakRss, rssMb, writeReport } from './common';

const PROBES = [8, 16, 32, 64];
const K = 100;

interface Mixture {
  draw: () => Float32Array;
}

const INTRINSIC = 16;

/** The data model's generator; `seed` draws the points, the model itself (centres, map) is fixed. */
function mixture(seed: number, data: string, dim: number, clusters: number, spread: number): Mixture {
  if (data === 'low-rank') return lowRank(seed, dim, clusters);
  if (data !== 'isotropic') throw new Error(`--data must be low-rank or isotropic, got '${data}'`);
  const model = generator(1);
  const centres = Array.from({ length: clusters }, () => normalize(Float32Array.from({ length: dim }, model.normal)));
  const g = generator(seed + 100);
  const sigma = spread / Math.sqrt(dim);
  return {
    draw: () => {
      const c = centres[Math.floor(g.uniform() * clusters)];
      const v = new Float32Array(dim);
      for (let i = 0; i < dim; i++) v[i] = c[i] + sigma * g.normal();
      return normalize(v);
    },
  };
}

function lowRank(seed: number, dim: number, clusters: number): Mixture {
  const model = generator(1);
  const map = Float32Array.from({ length: dim * INTRINSIC }, () => model.normal() / Math.sqrt(INTRINSIC));
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: INTRINSIC }, model.normal));
  const g = generator(seed + 100);
  const noise = 0.1 / Math.sqrt(dim);
  const z = new Float32Array(INTRINSIC);
  return {
    draw: () => {
      const c = centres[Math.floor(g.uniform() * clusters)];
      for (let j = 0; j < INTRINSIC; j++) z[j] = c[j] + 0.5 * g.normal();
      const v = new Float32Array(dim);
      for (let i = 0; i < dim; i++) {
        let x = noise * g.normal();
        for (let j = 0; j < INTRINSIC; j++) x += map[i * INTRINSIC + j] * z[j];
        v[i] = x;
      }
      return normalize(v);
    },
  };
}

interface Settings {
  items: number;
  data: string;
  dim: number;
  clusters: number;
  spread: number;
  queries: number;
}

async function build(dir: string, o: Settings): Promise<Record<string, unknown>> {
  const mix = mixture(1, o.data, o.dim, o.clusters, o.spread);
  const store = await GalleryStore.create(dir, { kind: 'image', embedDim: o.dim, frames: 1, tokensPerFrame: 1, width: 4, tokens: 'bf16', fingerprint: 'benchmark', metadata: { shard: 'number' } });
  const tiny = new Float32Array(4);
  const batch = 10_000;
  const t0 = nowMs();
  for (let i = 0; i < o.items; i += batch) {
    const n = Math.min(batch, o.items - i);
    await store.add(Array.from({ length: n }, (_, j) => ({ id: `item-${i + j}`, features: mix.draw(), tokens: tiny, metadata: { shard: (i + j) % 16 } })));
    progress('ingest', i + n, o.items, t0);
  }
  const ingestS = (nowMs() - t0) / 1000;
  const t1 = nowMs();
  await store.createIndex();
  const indexS = (nowMs() - t1) / 1000;
  const bytesWithOldVersions = folderBytes(dir);
  await store.optimize({ olderThanMs: 0 }); // no reader has the store open here
  const info = await store.info();
  await store.close();
  const bytes = folderBytes(dir);
  return {
    diskBytesBeforePruningOldVersions: bytesWithOldVersions,
    items: o.items,
    ingestSeconds: ingestS,
    ingestItemsPerSecond: o.items / ingestS,
    ingestRssMb: rssMb(),
    indexSeconds: indexS,
    indexPartitions: defaultPartitions(o.items),
    diskBytes: bytes,
    diskBytesPerItem: bytes / o.items,
    tableBytes: info.bytes.table,
    tokenBytes: info.bytes.tokens,
  };
}

function recall(ann: readonly string[], exact: readonly string[], k: number): number {
  const want = new Set(exact.slice(0, k));
  return ann.slice(0, k).filter((id) => want.has(id)).length / k;
}

const TRUTH = 'exact-top100.json';

/** Exact top-100 of every query (the ground truth) and its latency, in a process of its own. */
async function exactPhase(dir: string, o: Settings): Promise<Record<string, unknown>> {
  const store = await GalleryStore.open(dir);
  const queries = Array.from({ length: o.queries }, mixture(2, o.data, o.dim, o.clusters, o.spread).draw);
  const ids: string[][] = [];
  const ms: number[] = [];
  const t0 = nowMs();
  for (let q = 0; q < queries.length; q++) {
    const s = nowMs();
    ids.push((await store.searchVector(queries[q], { k: K, exact: true })).map((h) => h.id));
    ms.push(nowMs() - s);
    progress('exact', q + 1, queries.length, t0);
  }
  await store.close();
  fs.writeFileSync(path.join(path.dirname(dir), TRUTH), JSON.stringify(ids));
  return { latency: latency(ms), rssMb: rssMb() };
}

/** What a searching service sees, in a fresh process: open, first query, ANN latency and recall, memory. */
async function annPhase(dir: string, o: Settings): Promise<Record<string, unknown>> {
  const exactIds = JSON.parse(fs.readFileSync(path.join(path.dirname(dir), TRUTH), 'utf8')) as string[][];
  const start = rssMb();
  resetPeakRss();
  const t0 = nowMs();
  const store = await GalleryStore.open(dir);
  const items = await store.size();
  const openMs = nowMs() - t0;
  const queries = Array.from({ length: o.queries }, mixture(2, o.data, o.dim, o.clusters, o.spread).draw);
  const t1 = nowMs();
  await store.searchVector(queries[0], { k: K, nprobes: PROBES[0] });
  const firstQueryMs = nowMs() - t1;
  const afterOpen = rssMb();
  const ann: Record<string, unknown>[] = [];
  for (const nprobes of PROBES) {
    const ms: number[] = [];
    let r10 = 0;
    let r100 = 0;
    for (let q = 0; q < queries.length; q++) {
      const s = nowMs();
      const ids = (await store.searchVector(queries[q], { k: K, nprobes })).map((h) => h.id);
      ms.push(nowMs() - s);
      r10 += recall(ids, exactIds[q], 10);
      r100 += recall(ids, exactIds[q], 100);
    }
    const row = { nprobes, latency: latency(ms), recallAt10: r10 / queries.length, recallAt100: r100 / queries.length };
    ann.push(row);
    process.stderr.write(`ann nprobes ${nprobes}: p50 ${row.latency.p50Ms.toFixed(1)} ms, p99 ${row.latency.p99Ms.toFixed(1)} ms, recall@10 ${row.recallAt10.toFixed(3)}, @100 ${row.recallAt100.toFixed(3)}\n`);
  }
  const filteredMs: number[] = [];
  for (const v of queries.slice(0, 20)) {
    const s = nowMs();
    await store.searchVector(v, { k: K, nprobes: 32, where: 'shard = 3' });
    filteredMs.push(nowMs() - s);
  }
  const end = rssMb();
  await store.close();
  return {
    items,
    queries: queries.length,
    openMs,
    firstQueryMs,
    rssMb: { processStart: start.rss, afterOpenAndFirstQuery: afterOpen.rss, afterAllQueries: end.rss, peakWhileSearching: end.peak, peakAboveStart: end.peak - start.rss },
    ann,
    annFiltered: { where: 'shard = 3', nprobes: 32, latency: latency(filteredMs) },
  };
}

function child(phase: string, dir: string): Record<string, unknown> {
  const args = process.argv.slice(2).filter((a, i, all) => a !== '--dir' && all[i - 1] !== '--dir');
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', __filename, '--phase', phase, '--dir', dir, ...args], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${phase} phase failed (exit ${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
}

async function main(): Promise<void> {
  const f = flags(process.argv.slice(2));
  const o: Settings = {
    items: Number(f.get('items') ?? 1_000_000),
    data: f.get('data') ?? 'low-rank',
    dim: Number(f.get('dim') ?? 256),
    clusters: Number(f.get('clusters') ?? 2000),
    spread: Number(f.get('spread') ?? 0.6),
    queries: Number(f.get('queries') ?? 100),
  };
  const phase = f.get('phase');
  if (phase) {
    const run = phase === 'exact' ? exactPhase : annPhase;
    process.stdout.write(JSON.stringify(await run(f.get('dir') as string, o)) + '\n');
    return;
  }
  const out = f.get('out') ?? 'benchmarks/results/store-scale.json';
  const dir = f.get('dir') ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ua-store-scale-')), 'store');
  const m = await machine();
  process.stderr.write(`machine: ${m.cpu.model}, ${m.cpu.logicalCores} cores, fp32 matmul ${m.practicalPeakGflops.toFixed(1)} GFLOP/s\n`);
  const built = await build(dir, o);
  await writeReport(out, { benchmark: 'store-scale', partial: true, settings: o, machine: m, build: built });
  const exact = child('exact', dir);
  await writeReport(out, { benchmark: 'store-scale', partial: true, settings: o, machine: m, build: built, exact });
  const search = child('ann', dir);
  await writeReport(out, { benchmark: 'store-scale', settings: o, machine: m, build: built, exact, search });
  process.stderr.write(`report: ${out}\n`);
  if (!f.has('keep')) fs.rmSync(path.dirname(dir), { recursive: true, force: true });
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
