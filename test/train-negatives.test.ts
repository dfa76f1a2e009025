/**
 * Hard-negative sampling follows `negativeAllRank` as the official forward's two branches do: with
 * true the negatives of each text/image are mined over the batches of every rank, with false over the
 * local batch only. Two Gloo processes each take one captured step with argmax negatives; the
 * indices must equal an independent argmax over the features each branch should use.
 */
import { spawn } from 'child_process';
import * as net from 'net';
import * as path from 'path';

jest.setTimeout(300_000);

const B = 4;
const WORKER = path.join(__dirname, 'helpers', 'negatives-worker.ts');

interface RankOutput {
  rank: number;
  temp: number;
  imageFeat: number[];
  textFeat: number[];
  embedDim: number;
  weightsT2iShape: number[];
  negImage: number[];
  negText: number[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function runRank(rank: number, port: number, allRank: boolean): Promise<RankOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), WORKER], {
      env: { ...process.env, RANK: String(rank), WORLD_SIZE: '2', MASTER_PORT: String(port), ALL_RANK: allRank ? '1' : '0', BATCH: String(B) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop() as string)) : reject(new Error(`rank ${rank} exited ${code}: ${err}`))));
  });
}

async function runPair(allRank: boolean): Promise<RankOutput[]> {
  const port = await freePort();
  const outs = await Promise.all([runRank(0, port, allRank), runRank(1, port, allRank)]);
  return outs.sort((a, b) => a.rank - b.rank);
}

function rows(flat: number[], dim: number): number[][] {
  return Array.from({ length: flat.length / dim }, (_, i) => flat.slice(i * dim, (i + 1) * dim));
}

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

/** argmax_j q·pool[j] over j whose global image id differs from `self` (the masked softmax's argmax). */
function hardest(q: number[], pool: number[][], poolIds: number[], self: number): number {
  let best = -1;
  let bestScore = -Infinity;
  pool.forEach((p, j) => {
    if (poolIds[j] === self) return;
    const s = dot(q, p);
    if (s > bestScore) {
      bestScore = s;
      best = j;
    }
  });
  return best;
}

/** The negatives each rank should pick: from the pool of every rank (allRank) or from its own batch. */
function expected(outs: RankOutput[], allRank: boolean) {
  const d = outs[0].embedDim;
  return outs.map((o) => {
    const img = rows(o.imageFeat, d);
    const txt = rows(o.textFeat, d);
    const poolImg = allRank ? outs.flatMap((p) => rows(p.imageFeat, d)) : img;
    const poolTxt = allRank ? outs.flatMap((p) => rows(p.textFeat, d)) : txt;
    const poolIds = allRank ? outs.flatMap((p) => Array.from({ length: B }, (_, b) => p.rank * B + b)) : Array.from({ length: B }, (_, b) => o.rank * B + b);
    return {
      negImage: txt.map((t, b) => hardest(t, poolImg, poolIds, o.rank * B + b)),
      negText: img.map((v, b) => hardest(v, poolTxt, poolIds, o.rank * B + b)),
    };
  });
}

describe('hard negatives and negativeAllRank (2 Gloo processes)', () => {
  let all: RankOutput[];
  let local: RankOutput[];
  beforeAll(async () => {
    all = await runPair(true);
    local = await runPair(false);
  });

  it('negativeAllRank: true mines over the batches of both ranks', () => {
    for (const o of all) expect(o.weightsT2iShape).toEqual([B, 2 * B]);
    const want = expected(all, true);
    all.forEach((o, r) => {
      expect(o.negImage).toEqual(want[r].negImage);
      expect(o.negText).toEqual(want[r].negText);
    });
    // The data make the setting matter: some hardest negatives live on the other rank.
    const crossRank = all.some((o) => [...o.negImage, ...o.negText].some((j) => Math.floor(j / B) !== o.rank));
    expect(crossRank).toBe(true);
  });

  it('negativeAllRank: false mines over the local batch only', () => {
    for (const o of local) expect(o.weightsT2iShape).toEqual([B, B]);
    const want = expected(local, false);
    local.forEach((o, r) => {
      expect(o.negImage).toEqual(want[r].negImage);
      expect(o.negText).toEqual(want[r].negText);
      for (const j of [...o.negImage, ...o.negText]) expect(j).toBeLessThan(B);
    });
  });

  it('the two settings see the same features (only the pool differs)', () => {
    expect(local.map((o) => o.imageFeat)).toEqual(all.map((o) => o.imageFeat));
  });
});
