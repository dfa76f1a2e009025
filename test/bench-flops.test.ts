/** The analytic FLOP counts of the benchmark suite against hand-computed and published figures. */
import { presetConfig as unresolved } from '../lib/config/presets';
import { resolveConfig } from '../lib/config/resolve-config';

const presetConfig = (...a: Parameters<typeof unresolved>) => resolveConfig(unresolved(...a));
import { backward, itmForward, textForward, total, trainStep, vitForward, vitTokens } from '../benchmarks/flops';
import { latencyStats } from '../benchmarks/timing';

const none = { method: 'none' as const, kvAdapter: false };


describe('benchmark FLOP counts', () => {
  it('ViT-B/16 at 224 px without adapters is 17.6 GMACs (35.1 GFLOP), as usually quoted', async () => {
    const c = await presetConfig('blip-base', 'retrieval', { imageSize: 224, petl: none });
    expect(vitTokens(c)).toBe(197);
    // 12 blocks × (linear layers 2·197·768·(3·768 + 768 + 2·3072) + attention 4·197²·768) + patch embedding + vision_proj
    const blocks = 12 * (2 * 197 * 768 * 9216 + 4 * 197 * 197 * 768);
    const patch = 2 * 196 * 768 * 768;
    const proj = 2 * 768 * 256;
    expect(total(vitForward(c))).toBe(blocks + patch + proj);
    expect(total(vitForward(c)) / 2e9).toBeCloseTo(17.56, 1);
  });

  it('the UniAdapter visual branch adds 2·N·768·512·2 per block', async () => {
    const on = await presetConfig('blip-base', 'retrieval', { imageSize: 384 });
    const off = await presetConfig('blip-base', 'retrieval', { imageSize: 384, petl: none });
    expect(total(vitForward(on)) - total(vitForward(off))).toBe(12 * 2 * 2 * 577 * 768 * 512);
  });

  it('text encoder: 2 × weights × tokens for the linear layers plus attention', async () => {
    const c = await presetConfig('blip-base', 'retrieval', { petl: none });
    const L = 35;
    const linear = 12 * 2 * L * (4 * 768 * 768 + 2 * 768 * 3072);
    const attn = 12 * 4 * L * L * 768;
    expect(total(textForward(c, L))).toBe(linear + attn + 2 * 768 * 256);
  });

  it('shared candidate keys/values save (k−1) key/value projections', async () => {
    const c = await presetConfig('blip-base', 'retrieval');
    const k = 16;
    const N = 577;
    const copies = total(itmForward(c, 35, k, k, N));
    const shared = total(itmForward(c, 35, k, 1, N));
    const kvProj = 12 * 2 * 2 * N * 768 * 768;
    const kvAdapter = 2 * (2 * N * 768 * 64 + 2 * N * 64 * 768);
    expect(copies - shared).toBe((k - 1) * (kvProj + kvAdapter));
  });

  it('a training step counts forward and backward', async () => {
    const c = await presetConfig('blip-base', 'retrieval');
    const t = trainStep(c, 2, 35);
    expect(t.total).toBe(t.forward + t.backward);
    expect(t.backward).toBeGreaterThan(0.5 * t.forward);
    expect(total(backward({ frozen: 1, activation: 1, trainable: 1 }))).toBe(5);
  });
});

describe('latency statistics', () => {
  it('median, nearest-rank p90, mean, min, max', async () => {
    const s = latencyStats([5, 1, 4, 2, 3, 10, 6, 7, 8, 9]);
    expect(s).toEqual({ samples: 10, medianMs: 5.5, p90Ms: 9, meanMs: 5.5, minMs: 1, maxMs: 10 });
    expect(latencyStats([3]).p90Ms).toBe(3);
  });
});
