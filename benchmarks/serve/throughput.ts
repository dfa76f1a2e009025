/**
 * The HTTP service under load (autocannon against 127.0.0.1, bounded durations): requests/s and p50/p99
 * latency of /v1/retrieve (with the default ITM re-rank, and ITC only) and /v1/caption with micro-batching on and off (each server a fresh child
 * process of `uniadapter serve`, so the ratio is measured in one run on the same machine), and the
 * server's resident memory over 10,000 retrieve requests.
 *
 *   npx tsx benchmarks/serve/throughput.ts [--config demo-report/serve/serve.yaml] [--seconds 20]
 *       [--connections 32] [--requests 10000] [--out benchmarks/results/serve-throughput.json]
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import autocannon from 'autocannon';
import { readServeConfig } from '../../lib/serve/serve-config';
import { COLORS, POSITIONS, SHAPES, SIZES } from '../../lib/tools/synthetic/vocab';
import { flags, machine, writeReport } from '../store/common';

const CLI = path.join(__dirname, '..', '..', 'lib', 'cli.ts');

interface Server {
  child: ChildProcess;
  base: string;
}

async function startServer(config: string, batching: boolean): Promise<Server> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', CLI, 'serve', '--config', config, '--port', '0', ...(batching ? [] : ['--no-batching'])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  for (let i = 0; i < 600; i++) {
    if ((await fetch(`${base}/readyz`)).status === 200) return { child, base };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server did not become ready in 60 s');
}

async function stopServer(s: Server): Promise<void> {
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

function rssMbOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Distinct retrieval queries (size × color × shape × position, 756 of them), in a strided order so that
 * neighbours differ. Concurrent requests then rarely share a shortlist, so the batched server cannot
 * gain by reading the same items once for many requests, as it could when every request sent one text.
 */
function retrievalQueries(): string[] {
  const all: string[] = [];
  for (const size of SIZES) for (const color of COLORS) for (const shape of SHAPES) for (const pos of POSITIONS) all.push(`a ${size} ${color} ${shape} in the ${pos}`);
  const stride = 331; // coprime with 756: visits every query once per cycle
  return all.map((_, i) => all[(i * stride) % all.length]);
}

/** Bodies sent in turn, one per request (each connection walks the list from its own offset). */
async function load(url: string, bodies: readonly unknown[], o: { connections: number; seconds?: number; amount?: number }): Promise<Record<string, number>> {
  const encoded = bodies.map((b) => JSON.stringify(b));
  let next = 0;
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req) => {
          req.body = encoded[next++ % encoded.length];
          return req;
        },
      },
    ],
    connections: o.connections,
    ...(o.amount ? { amount: o.amount } : { duration: o.seconds }),
    timeout: 60,
  });
  return { requestsPerSecond: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, total: r.requests.total };
}

async function main(): Promise<void> {
  const f = flags(process.argv.slice(2));
  const config = f.get('config') ?? 'demo-report/serve/serve.yaml';
  const seconds = Number(f.get('seconds') ?? 20);
  const connections = Number(f.get('connections') ?? 32);
  const requests = Number(f.get('requests') ?? 10_000);
  const soakConnections = Number(f.get('soak-connections') ?? connections);
  const out = f.get('out') ?? 'benchmarks/results/serve-throughput.json';
  const serve = await readServeConfig(config);
  const gallery = Object.keys(serve.galleries)[0];
  if (!gallery) throw new Error(`${config} names no gallery`);
  const image = fs.readFileSync((await fetchFirstSource(serve.galleries[gallery])) as string).toString('base64');
  const queries = retrievalQueries();
  const m = await machine();
  process.stderr.write(`machine: ${m.cpu.model}, ${m.cpu.logicalCores} cores, fp32 matmul ${m.practicalPeakGflops.toFixed(1)} GFLOP/s\n`);
  const results: Record<string, unknown> = {};
  for (const batching of [true, false]) {
    const s = await startServer(config, batching);
    try {
      const key = batching ? 'batching' : 'noBatching';
      const retrieve = await load(`${s.base}/v1/retrieve`, queries.map((text) => ({ gallery, text, k: 10 })), { connections, seconds });
      process.stderr.write(`${key} retrieve: ${retrieve.requestsPerSecond.toFixed(1)} req/s, p50 ${retrieve.p50Ms} ms, p99 ${retrieve.p99Ms} ms\n`);
      const retrieveItc = await load(`${s.base}/v1/retrieve`, queries.map((text) => ({ gallery, text, k: 10, rerank: 0 })), { connections, seconds });
      process.stderr.write(`${key} retrieve (ITC only): ${retrieveItc.requestsPerSecond.toFixed(1)} req/s, p50 ${retrieveItc.p50Ms} ms, p99 ${retrieveItc.p99Ms} ms\n`);
      const caption = await load(`${s.base}/v1/caption`, [{ image }], { connections, seconds });
      process.stderr.write(`${key} caption: ${caption.requestsPerSecond.toFixed(1)} req/s, p50 ${caption.p50Ms} ms, p99 ${caption.p99Ms} ms\n`);
      const entry: Record<string, unknown> = { retrieve, retrieveItc, caption };
      if (batching) {
        const before = rssMbOf(s.child.pid as number);
        const soak = await load(`${s.base}/v1/retrieve`, queries.map((text) => ({ gallery, text, k: 10 })), { connections: soakConnections, amount: requests });
        const after = rssMbOf(s.child.pid as number);
        entry.soak = { requests, ...soak, rssBeforeMb: before, rssAfterMb: after, rssGrowth: after / before - 1 };
        process.stderr.write(`soak: ${requests} requests, RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB\n`);
      }
      results[key] = entry;
    } finally {
      await stopServer(s);
    }
  }
  const b = results.batching as Record<string, Record<string, number>>;
  const n = results.noBatching as Record<string, Record<string, number>>;
  const ratios = { retrieve: b.retrieve.requestsPerSecond / n.retrieve.requestsPerSecond, retrieveItc: b.retrieveItc.requestsPerSecond / n.retrieveItc.requestsPerSecond, caption: b.caption.requestsPerSecond / n.caption.requestsPerSecond };
  await writeReport(out, { benchmark: 'serve-throughput', settings: { config, seconds, connections, requests, gallery, distinctQueries: queries.length }, machine: m, results, batchingSpeedup: ratios });
  process.stderr.write(`batching speed-up: retrieve ×${ratios.retrieve.toFixed(2)}, retrieve (ITC only) ×${ratios.retrieveItc.toFixed(2)}, caption ×${ratios.caption.toFixed(2)}\nreport: ${out}\n`);
}

/** The media file of the store's first item (the caption benchmark's image). */
async function fetchFirstSource(dir: string): Promise<string> {
  const { GalleryStore } = await import('../../lib/store/gallery-store');
  const store = await GalleryStore.open(dir);
  try {
    const [hit] = await store.searchVector(new Float32Array(store.manifest.embedDim).fill(1 / Math.sqrt(store.manifest.embedDim)), { k: 1, exact: true });
    if (!hit?.source) throw new Error(`${dir}: its first item has no media file`);
    return hit.source;
  } finally {
    await store.close();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
