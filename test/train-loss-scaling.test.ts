/**
 * Dynamic loss scaling (fp16 training): an overflow skips the step (parameters unchanged) and backs
 * the scale off; after `growthInterval` clean steps the scale grows. Runs the real training step with
 * loss scaling forced on (the logic is the same on the CPU).
 */
import { RetrievalModel } from '../lib/model/retrieval-model';
import { float32, int64, toNumbers, type HostTensor } from '../lib/tensor';
import { tinyConfig } from './helpers/tiny-models';

function batch() {
  const B = 4;
  const pixels = float32(Array.from({ length: B * 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.13)), [B, 3, 32, 32]);
  const ids: number[] = [];
  for (let b = 0; b < B; b++) ids.push(101, 2000 + b, 2100 + b, 102, 0);
  const mask = ids.map((x) => (x === 0 ? 0 : 1));
  return { pixels, inputIds: int64(ids, [B, 5]), attentionMask: int64(mask, [B, 5]), idx: int64([0, 1, 2, 3], [B]) };
}

function flat(state: Record<string, HostTensor>): number[] {
  return Object.keys(state).sort().flatMap((k) => toNumbers(state[k]));
}

describe('dynamic loss scaling', () => {
  let model: RetrievalModel;
  beforeAll(async () => {
    model = await RetrievalModel.create(tinyConfig('retrieval', { lossScaling: 'dynamic', lossScaleGrowthInterval: 3 }));
  });
  afterAll(async () => model.dispose());

  const step = () => model.trainStep(batch(), { lr: 1e-3, alpha: 0.4, train: false, hardNegatives: 'argmax' });

  it('skips an overflowing step and halves the scale', async () => {
    await model.setLossScale({ scale: 1e38, growthTracker: 2 });
    const before = flat(await model.stateDict('trainable'));
    const r = await step();
    expect(r.stats.finite).toBe(false);
    expect(r.stats.stepped).toBe(false);
    expect(r.stats.lossScale).toBe(5e37);
    expect(flat(await model.stateDict('trainable'))).toEqual(before);
    const s = (await model.lossScale());
    expect(s.scale).toBe(5e37);
    expect(s.growthTracker).toBe(0);
  });

  it('steps with unscaled gradients and grows the scale after the interval', async () => {
    await model.setLossScale({ scale: 1024, growthTracker: 0 });
    const before = flat(await model.stateDict('trainable'));
    const a = await step();
    expect(a.stats.stepped).toBe(true);
    expect(a.stats.lossScale).toBe(1024);
    expect(flat(await model.stateDict('trainable'))).not.toEqual(before);
    await step();
    const c = await step();
    expect(c.stats.lossScale).toBe(2048);
  });

  it('unscaled gradients equal those of an unscaled run', async () => {
    const plain = await RetrievalModel.create(tinyConfig('retrieval', { lossScaling: 'off' }));
    const scaled = await RetrievalModel.create(tinyConfig('retrieval', { lossScaling: 'dynamic' }));
    try {
      const opts = { lr: 1e-3, alpha: 0.4, train: false, hardNegatives: 'argmax' as const, update: false };
      await plain.trainStep(batch(), opts);
      await scaled.setLossScale({ scale: 256, growthTracker: 0 });
      await scaled.trainStep(batch(), opts);
      const g1 = (await plain.grads());
      const g2 = (await scaled.grads());
      for (const k of Object.keys(g1)) {
        const a = toNumbers(g1[k]);
        const b = toNumbers(g2[k]);
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(a[i]));
      }
    } finally {
      await plain.dispose();
      await scaled.dispose();
    }
  });
});
