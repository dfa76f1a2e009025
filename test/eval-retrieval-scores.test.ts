import { buildScoreMatrix, itmEval, OUTSIDE_SHORTLIST_SCORE, topKIndices, transposeScores } from '../lib/eval';
import { UniAdapterError } from '../lib/errors';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (e instanceof UniAdapterError) return e.code;
    throw e;
  }
  return undefined;
}

describe('topKIndices', () => {
  test('best first; ties take the lower index first', () => {
    expect(topKIndices([0.1, 0.5, 0.5, 0.2], 2)).toEqual([1, 2]);
    expect(topKIndices([0.1, 0.5, 0.5, 0.2], 3)).toEqual([1, 2, 3]);
    expect(topKIndices([0.3, 0.3, 0.3], 2)).toEqual([0, 1]);
    expect(topKIndices([1, 3, 2], 10)).toEqual([1, 2, 0]); // k > n takes the whole row
  });

  test('agrees with a stable descending sort on rows full of ties', () => {
    let x = 7;
    const next = () => {
      x = (x * 48271) % 2147483647;
      return x;
    };
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + (next() % 60);
      const row = Array.from({ length: n }, () => next() % 5); // values 0..4: many ties
      const k = 1 + (next() % (n + 3));
      const want = row
        .map((v, i) => [v, i] as const)
        .sort((a, b) => b[0] - a[0] || a[1] - b[1])
        .slice(0, k)
        .map(([, i]) => i);
      expect(topKIndices(row, k)).toEqual(want);
    }
  });

  test('rejects k < 1 and NaN', () => {
    expect(() => topKIndices([1, 2], 0)).toThrow(UniAdapterError);
    expect(() => topKIndices([1, NaN], 1)).toThrow(/row\[1\]/);
  });
});

describe('buildScoreMatrix', () => {
  // sims: 2 queries x 4 candidates.
  const sims = [
    [0.1, 0.5, 0.5, 0.2],
    [0.9, 0.0, 0.3, 0.6],
  ];
  // A fake ITM head: score of (row, col) = 10 * row + col.
  const itm = (row: number, cands: number[]) => cands.map((c) => 10 * row + c);

  test('top-k get rerank + beta*sim, everything else -100', async () => {
    const calls: Array<[number, number[], number[]]> = [];
    const out = await buildScoreMatrix(
      sims,
      2,
      async (row, cands, candSims) => {
        calls.push([row, cands, candSims]);
        return itm(row, cands);
      },
      0,
    );
    expect(out.shape).toEqual([2, 4]);
    expect(out.dtype).toBe('float32');
    // row 0: candidates 1, 2 (tie at 0.5); row 1: candidates 0 (0.9), 3 (0.6).
    expect(calls).toEqual([
      [0, [1, 2], [0.5, 0.5]],
      [1, [0, 3], [0.9, 0.6]],
    ]);
    expect(Array.from(out.data)).toEqual([-100, 1, 2, -100, 10, -100, -100, 13]);
    expect(OUTSIDE_SHORTLIST_SCORE).toBe(-100);
  });

  test('beta adds the similarity (BLIP: beta = 1), stored as float32', async () => {
    const out = await buildScoreMatrix(sims, 2, itm, 1);
    expect(out.data[1]).toBe(Math.fround(1 + 0.5));
    expect(out.data[4]).toBe(Math.fround(10 + 0.9));
    expect(out.data[7]).toBe(Math.fround(13 + 0.6));
    expect(out.data[0]).toBe(-100);
  });

  test('text->image through transposeScores, then itm_eval: a GT outside the shortlist stays at -100', async () => {
    // 2 images, 4 texts (texts 0,1 -> image 0; 2,3 -> image 1). k = 1.
    const s = [
      [0.9, 0.2, 0.8, 0.1],
      [0.3, 0.4, 0.7, 0.6],
    ];
    const i2t = await buildScoreMatrix(s, 1, (_r, c) => c.map(() => 5));
    // image 0 shortlists text 0 (GT) -> rank 0; image 1 shortlists text 2 (GT) -> rank 0.
    const t2iSims = transposeScores(s);
    expect(t2iSims.shape).toEqual([4, 2]);
    expect(Array.from(t2iSims.data)).toEqual([0.9, 0.3, 0.2, 0.4, 0.8, 0.7, 0.1, 0.6].map(Math.fround));
    const t2i = await buildScoreMatrix(t2iSims, 1, (_r, c) => c.map(() => 5));
    // text 0 -> image 0 (GT) rank 0; text 1 -> image 1 shortlisted, GT image 0 at -100 -> rank 1;
    // text 2 -> image 0 shortlisted (0.8 > 0.7), GT image 1 at -100 -> rank 1; text 3 -> image 1 -> rank 0.
    const m = itmEval(i2t, t2i, [0, 0, 1, 1], [[0, 1], [2, 3]]);
    expect(m.txt_r1).toBe(100);
    expect(m.img_r1).toBe(50);
    expect(m.img_r5).toBe(100);
    expect(m.img_mnr).toBeCloseTo(1.5, 12);
  });

  test('validates k, beta, rerank output, and honours abort', async () => {
    expect(await codeOf(buildScoreMatrix(sims, 0, itm))).toBe('ERR_ARG');
    expect(await codeOf(buildScoreMatrix(sims, 2, itm, NaN))).toBe('ERR_ARG');
    expect(await codeOf(buildScoreMatrix([[0, NaN]], 1, itm))).toBe('ERR_ARG');
    expect(await codeOf(buildScoreMatrix(sims, 2, () => [1]))).toBe('ERR_DATA');
    expect(await codeOf(buildScoreMatrix(sims, 2, () => [1, NaN]))).toBe('ERR_DATA');
    const ac = new AbortController();
    const seen: number[] = [];
    const p = buildScoreMatrix(sims, 2, itm, 0, {
      signal: ac.signal,
      onProgress: (done) => {
        seen.push(done);
        ac.abort();
      },
    });
    expect(await codeOf(p)).toBe('ERR_ABORTED');
    expect(seen).toEqual([1]);
  });

  test('k larger than the number of columns re-ranks every column', async () => {
    const out = await buildScoreMatrix(sims, 99, itm);
    expect(Array.from(out.data)).toEqual([0, 1, 2, 3, 10, 11, 12, 13]);
  });
});
