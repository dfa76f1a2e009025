/**
 * The HTTP service under load (autocannon against 127.0.0.1, bounded durations): requests/s and p50/p99
 * latency of /v1/retrieve (with the default ITM re-rank, and ITC only) and /v1/caption with
 * micro-batching on and off (each server a fresh child process of `uniadapter serve`; the modes take
 * turns for several rounds in one run on the same machine), and the server's resident memory over
 * 10,000 retrieve requests. The server's CPU use is read from /proc during each load. Servers inherit
 * this process's environment: OPENBLAS_THREAD_TIMEOUT=28 compares with OpenBLAS's own default.
 *
 *   npx tsx benchmarks/serve/throughput.ts [--config demo-report/serve/serve.yaml] [--seconds 20] [--rounds 3]
 *       [--connections 32] [--requests 10000] [--out benchmarks/results/serve-throughput.json]
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import autocannon from 'autocannon';
import { readServeConfig } from '../../lib/serve/serve-config';
import { demoRetrievalQueries } from '../demo-queries';
import { flags, machine, writeReport } from '../store/common';
import { median } from '../timing';

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

/** CPU seconds (user + system) the process has used so far. */
function cpuSecondsOf(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

function rssMbOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const ROUTES = ['retrieve', 'retrieveItc', 'caption'] as const;
type Route = (typeof ROUTES)[number];
type Mode = 'batching' | 'noBatching';

/** Bodies sent in turn, one per request, from one list shared by all connections. */
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
  const roundCount = Number(f.get('rounds') ?? 3);
  const serve = await readServeConfig(config);
  const gallery = Object.keys(serve.galleries)[0];
  if (!gallery) throw new Error(`${config} names no gallery`);
  const image = fs.readFileSync((await fetchFirstSource(serve.galleries[gallery])) as string).toString('base64');
  const queries = demoRetrievalQueries();
  const m = await machine();
  process.stderr.write(`machine: ${m.cpu.model}, ${m.cpu.logicalCores} cores, fp32 matmul ${m.practicalPeakGflops.toFixed(1)} GFLOP/s\n`);
  const routes: Record<Route, { path: string; bodies: unknown[] }> = {
    retrieve: { path: '/v1/retrieve', bodies: queries.map((text) => ({ gallery, text, k: 10 })) },
    retrieveItc: { path: '/v1/retrieve', bodies: queries.map((text) => ({ gallery, text, k: 10, rerank: 0 })) },
    caption: { path: '/v1/caption', bodies: [{ image }] },
  };
  // Rounds alternate the two servers, so a drift in the machine's speed (this VM's varies from minute
  // to minute) falls on both modes alike; each round gives a ratio and the report takes their median.
  const rounds: Array<Record<Mode, Record<Route, Record<string, number>>>> = [];
  let soak: Record<string, number> | undefined;
  for (let round = 0; round < roundCount; round++) {
    const entry = {} as Record<Mode, Record<Route, Record<string, number>>>;
    for (const mode of ['batching', 'noBatching'] as const) {
      const s = await startServer(config, mode === 'batching');
      try {
        entry[mode] = {} as Record<Route, Record<string, number>>;
        for (const route of ROUTES) {
          const cpu0 = cpuSecondsOf(s.child.pid as number);
          const t0 = process.hrtime.bigint();
          const r = await load(`${s.base}${routes[route].path}`, routes[route].bodies, { connections, seconds });
          r.serverCpuPercent = (100 * (cpuSecondsOf(s.child.pid as number) - cpu0)) / (Number(process.hrtime.bigint() - t0) / 1e9);
          entry[mode][route] = r;
          process.stderr.write(`round ${round + 1} ${mode} ${route}: ${r.requestsPerSecond.toFixed(1)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, server CPU ${r.serverCpuPercent.toFixed(0)} %\n`);
        }
        if (mode === 'batching' && round === roundCount - 1) {
          const before = rssMbOf(s.child.pid as number);
          const r = await load(`${s.base}/v1/retrieve`, routes.retrieve.bodies, { connections: soakConnections, amount: requests });
          const after = rssMbOf(s.child.pid as number);
          soak = { requests, ...r, rssBeforeMb: before, rssAfterMb: after, rssGrowth: after / before - 1 };
          process.stderr.write(`soak: ${requests} requests, RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB\n`);
        }
      } finally {
        await stopServer(s);
      }
    }
    rounds.push(entry);
  }
  const ratioOf = (route: Route) => rounds.map((r) => r.batching[route].requestsPerSecond / r.noBatching[route].requestsPerSecond);
  const perRound = Object.fromEntries(ROUTES.map((r) => [r, ratioOf(r)])) as Record<Route, number[]>;
  const ratios = Object.fromEntries(ROUTES.map((r) => [r, median(perRound[r])])) as Record<Route, number>;
  await writeReport(out, {
    benchmark: 'serve-throughput',
    settings: { config, seconds, rounds: roundCount, connections, requests, gallery, distinctQueries: queries.length, openblasThreadTimeout: process.env.OPENBLAS_THREAD_TIMEOUT ?? null },
    machine: m,
    rounds,
    soak,
    batchingSpeedupPerRound: perRound,
    batchingSpeedup: ratios,
  });
  process.stderr.write(`batching speed-up (median of ${roundCount} rounds): ${ROUTES.map((r) => `${r} ×${ratios[r].toFixed(2)} (${perRound[r].map((x) => x.toFixed(2)).join(', ')})`).join('; ')}\nreport: ${out}\n`);
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
