/**
 * Compact ITM tokens in a gallery store against fp32, on the golden tiny retrieval model: the ITM
 * logits of 10 queries against 40 stored items re-ranked from bf16 and int8 tokens, their worst
 * difference, and the top-10 rankings: only near-ties (fp32 logits closer than twice the worst error)
 * may change order.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { itmMatchLogits } from '../lib/ranking/itm-rerank';
import { GalleryStore, type StoreItem } from '../lib/store/gallery-store';
import type { TokenEncoding } from '../lib/store/token-codec';
import { int64, rowFloat32, uint8, type HostTensor } from '../lib/tensor';
import { openGoldenCase } from '../lib/tools/golden/run-case';
import { loadWeights } from '../lib/weights/load-weights';
import { GOLDEN_TINY } from './helpers/fixtures';

jest.setTimeout(120_000);

const G = 40;
const Q = 10;
const L = 8;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('gallery store tokens: bf16 and int8 against fp32', () => {
  let model: RetrievalModel;
  let items: StoreItem[];
  const dirs: string[] = [];
  const texts = (() => {
    const rnd = lcg(3);
    const ids: number[] = [];
    for (let q = 0; q < Q; q++) for (let p = 0; p < L; p++) ids.push(p === 0 ? 2 : p === L - 1 ? 3 : 5 + Math.floor(rnd() * 110));
    return { inputIds: int64(ids, [Q, L]), attentionMask: int64(new Array(Q * L).fill(1), [Q, L]) };
  })();

  beforeAll(async () => {
    const c = await openGoldenCase(path.join(GOLDEN_TINY, 'retrieval'));
    model = await RetrievalModel.create(c.modelConfig);
    await loadWeights(model, c.weightsPath);
    const rnd = lcg(11);
    const S = model.config.vision.imageSize;
    const px = uint8(Uint8Array.from({ length: G * S * S * 3 }, () => Math.floor(rnd() * 256)), [G, S, S, 3]);
    const e = await model.encodeImages(px, { tokens: true });
    items = Array.from({ length: G }, (_, i) => ({ id: `m${i}`, features: rowFloat32(e.features, i), tokens: rowFloat32(e.tokens as HostTensor, i) }));
  });

  afterAll(async () => {
    await model.dispose();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  async function logitsWith(tokens: TokenEncoding): Promise<number[][]> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ua-store-${tokens}-`));
    dirs.push(dir);
    const v = model.config.vision;
    const store = await GalleryStore.create(dir, {
      kind: 'image',
      embedDim: model.config.embedDim,
      frames: 1,
      tokensPerFrame: (v.imageSize / v.patchSize) ** 2 + 1,
      width: v.width,
      tokens,
      fingerprint: 'test',
    });
    try {
      await store.add(items);
      const rows = Array.from({ length: G }, (_, i) => i);
      const keys = rows.flatMap((i) => Array.from({ length: Q }, (_, q) => i * Q + q));
      const logits = await itmMatchLogits(model, (idx) => store.tokens(idx).then((t) => ({ tokens: t })), texts, keys, { pfa: false });
      return Array.from({ length: Q }, (_, q) => rows.map((i) => logits.get(i * Q + q) as number));
    } finally {
      await store.close();
    }
  }

  const top10 = (row: number[]) => row.map((s, i) => [s, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, 10).map((x) => x[1]);

  test('fp32 tokens round-trip exactly; bf16 and int8 reorder only near-ties', async () => {
    const fp32 = await logitsWith('fp32');
    const direct = await itmMatchLogits(model, async (idx) => ({ tokens: { dtype: 'float32', shape: [idx.length, 1, items[0].tokens!.length / model.config.vision.width, model.config.vision.width], data: Float32Array.from(idx.flatMap((i) => Array.from(items[i].tokens!))) } }), texts, Array.from({ length: G * Q }, (_, k) => k), { pfa: false });
    for (let q = 0; q < Q; q++) for (let i = 0; i < G; i++) expect(fp32[q][i]).toBe(direct.get(i * Q + q));
    const report: Record<string, { maxAbsDiff: number; top10Identical: number; top10Overlap: number; widestFlippedGap: number }> = {};
    for (const enc of ['bf16', 'int8'] as const) {
      const got = await logitsWith(enc);
      let worst = 0;
      let identical = 0;
      let overlap = 0;
      let flippedGap = 0; // the widest fp32 gap between two items whose order the encoding reversed (top 10)
      for (let q = 0; q < Q; q++) {
        for (let i = 0; i < G; i++) worst = Math.max(worst, Math.abs(got[q][i] - fp32[q][i]));
        const a = top10(fp32[q]);
        const b = top10(got[q]);
        if (a.join() === b.join()) identical++;
        overlap += b.filter((x) => a.includes(x)).length / 10;
        const inTop = new Set([...a, ...b]);
        for (const i of inTop) {
          for (const j of inTop) {
            if (fp32[q][i] > fp32[q][j] && got[q][i] < got[q][j]) flippedGap = Math.max(flippedGap, fp32[q][i] - fp32[q][j]);
          }
        }
      }
      report[enc] = { maxAbsDiff: worst, top10Identical: identical / Q, top10Overlap: overlap / Q, widestFlippedGap: flippedGap };
    }
    // The figures the README states come from this report.
    process.stdout.write(`store tokens vs fp32: ${JSON.stringify(report)}\n`);
    // Only near-ties may change order: no two items whose fp32 logits differ by more than twice the
    // encoding's worst error swap places.
    for (const enc of ['bf16', 'int8'] as const) expect(report[enc].widestFlippedGap).toBeLessThanOrEqual(2 * report[enc].maxAbsDiff);
    expect(report.bf16.maxAbsDiff).toBeLessThan(0.01);
    expect(report.bf16.top10Overlap).toBeGreaterThanOrEqual(0.95);
    expect(report.int8.maxAbsDiff).toBeLessThan(0.05);
    expect(report.int8.top10Overlap).toBeGreaterThanOrEqual(0.9);
  });
});
