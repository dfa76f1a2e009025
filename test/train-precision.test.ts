/**
 * Precision and memory options of the training step: bf16 autocast on the CPU runs and stays close to
 * fp32; gradient checkpointing of the frozen ViT blocks changes nothing numerically (it recomputes the
 * blocks in backward, drop-path randomness included).
 */
import { RetrievalModel } from '../lib/model/retrieval-model';
import type { ModelConfig } from '../lib/config/model-config';
import { float32, int64, toNumbers, type HostTensor } from '../lib/tensor';
import { tinyConfig } from './helpers/tiny-models';

function batch() {
  const B = 4;
  const ids: number[] = [];
  for (let b = 0; b < B; b++) ids.push(101, 2000 + 5 * b, 2200 + b, 102, 0);
  return {
    pixels: float32(Array.from({ length: B * 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.05)), [B, 3, 32, 32]),
    inputIds: int64(ids, [B, 5]),
    attentionMask: int64(ids.map((x) => (x ? 1 : 0)), [B, 5]),
    idx: int64([0, 1, 2, 3], [B]),
  };
}

async function gradsOf(config: ModelConfig, train: boolean): Promise<{ loss: number; grads: Record<string, HostTensor> }> {
  const m = await RetrievalModel.create(config);
  try {
    await m.setSeed(5);
    const r = await m.trainStep(batch(), { lr: 1e-3, alpha: 0.4, train, hardNegatives: 'argmax', update: false });
    return { loss: r.stats.loss, grads: (await m.grads()) };
  } finally {
    await m.dispose();
  }
}

describe('training precision and memory options', () => {
  it('bf16 autocast on the CPU gives a loss close to fp32', async () => {
    const fp32 = await gradsOf(tinyConfig('retrieval'), false);
    const bf16 = await gradsOf(tinyConfig('retrieval', { precision: 'bf16' }), false);
    expect(Number.isFinite(bf16.loss)).toBe(true);
    expect(Math.abs(bf16.loss - fp32.loss) / fp32.loss).toBeLessThan(0.05);
    expect(Object.keys(bf16.grads).sort()).toEqual(Object.keys(fp32.grads).sort());
  });

  it('gradient checkpointing of the ViT blocks gives the same gradients (with drop-path active)', async () => {
    const base = tinyConfig('retrieval');
    const vision = { ...base.vision, dropPath: 0.1 };
    const plain = await gradsOf({ ...base, vision }, true);
    const ckpt = await gradsOf({ ...base, vision: { ...vision, gradCheckpointLayers: 2 } }, true);
    expect(ckpt.loss).toBe(plain.loss);
    for (const k of Object.keys(plain.grads)) {
      const a = toNumbers(plain.grads[k]);
      const b = toNumbers(ckpt.grads[k]);
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(a[i]));
    }
    expect(Object.keys(ckpt.grads).some((k) => k.startsWith('adapters.'))).toBe(true);
  });
});
