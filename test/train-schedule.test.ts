import { distillationAlpha, learningRate } from '../lib/train/schedule';

describe('learning-rate schedule', () => {
  it('cosine per epoch reproduces the official multipliers (E = 5, 6, 10)', () => {
    const mult = (E: number) => Array.from({ length: E }, (_, e) => learningRate({ initLr: 1, epochs: E }, { epoch: e, step: 17, stepsPerEpoch: 100 }));
    expect(mult(5).map((x) => +x.toFixed(4))).toEqual([1, 0.9045, 0.6545, 0.3455, 0.0955]);
    expect(mult(6).map((x) => +x.toFixed(3))).toEqual([1, 0.933, 0.75, 0.5, 0.25, 0.067]);
    expect(mult(10).map((x) => +x.toFixed(4))).toEqual([1, 0.9755, 0.9045, 0.7939, 0.6545, 0.5, 0.3455, 0.2061, 0.0955, 0.0245]);
  });

  it('is constant within an epoch (official) and changes every step with cosine-step', () => {
    const c = { initLr: 1e-5, epochs: 2 };
    expect(learningRate(c, { epoch: 0, step: 0, stepsPerEpoch: 10 })).toBe(learningRate(c, { epoch: 0, step: 9, stepsPerEpoch: 10 }));
    const s = { ...c, kind: 'cosine-step' as const };
    expect(learningRate(s, { epoch: 0, step: 5, stepsPerEpoch: 10 })).toBeLessThan(learningRate(s, { epoch: 0, step: 4, stepsPerEpoch: 10 }));
    expect(learningRate(s, { epoch: 1, step: 0, stepsPerEpoch: 10 })).toBeCloseTo(0.5e-5, 12);
  });

  it('warms up linearly', () => {
    const c = { initLr: 1, epochs: 1, warmupSteps: 4 };
    expect([0, 1, 2, 3, 4].map((s) => learningRate(c, { epoch: 0, step: s, stepsPerEpoch: 100 }))).toEqual([0.25, 0.5, 0.75, 1, 1]);
  });

  it('ramps the distillation weight over the first epoch only', () => {
    expect(distillationAlpha(0.4, { epoch: 0, step: 0, stepsPerEpoch: 10 })).toBe(0);
    expect(distillationAlpha(0.4, { epoch: 0, step: 5, stepsPerEpoch: 10 })).toBeCloseTo(0.2, 12);
    expect(distillationAlpha(0.4, { epoch: 1, step: 0, stepsPerEpoch: 10 })).toBe(0.4);
  });
});
