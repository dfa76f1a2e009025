/**
 * The parameter-efficient family in one framework: every method builds, trains one step, changes only
 * what its rule trains, and keeps the frozen backbone exactly as it was.
 */
import type { PetlMethod } from '../lib/config/model-config';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { float32, int64, toNumbers } from '../lib/tensor';
import { tinyConfig } from './helpers/tiny-models';

function batch() {
  const B = 4;
  const ids: number[] = [];
  for (let b = 0; b < B; b++) ids.push(101, 2000 + 3 * b, 2100 + b, 102, 0);
  return {
    pixels: float32(Array.from({ length: B * 3 * 32 * 32 }, (_, i) => Math.cos(i * 0.07)), [B, 3, 32, 32]),
    inputIds: int64(ids, [B, 5]),
    attentionMask: int64(ids.map((x) => (x ? 1 : 0)), [B, 5]),
    idx: int64([0, 1, 2, 3], [B]),
  };
}

const METHODS: Array<[PetlMethod, RegExp]> = [
  ['uniadapter', /^(adapters\.|text_encoder\.encoder\.video_|vision_proj\.|text_proj\.|itm_head\.)/],
  ['adapter', /(adapter_seq|vision_proj\.|text_proj\.|itm_head\.)/],
  ['parallel', /(adapter_par|vision_proj\.|text_proj\.|itm_head\.)/],
  ['mam', /(adapter_par|\.prefix\.|vision_proj\.|text_proj\.|itm_head\.)/],
  ['lora', /(lora_|vision_proj\.|text_proj\.|itm_head\.)/],
  ['linear-probe', /^(vision_proj\.|text_proj\.|itm_head\.)/],
  ['full', /./],
];

describe.each(METHODS)('%s', (method, trainedNames) => {
  it('trains exactly its parameters and leaves the backbone untouched', async () => {
    const model = await RetrievalModel.create(tinyConfig('retrieval', { petl: { method, bottleneck: 8, loraRank: 2, prefixLength: 3, kvAdapter: method === 'uniadapter', kvBottleneck: 4 } }));
    try {
      const info = await model.parameterInfo();
      const trainable = info.entries.filter((e) => e.trainable).map((e) => e.name);
      expect(trainable.length).toBeGreaterThan(0);
      for (const n of trainable) expect(n).toMatch(trainedNames);
      expect(trainable.some((n) => n.includes('_m.') || n.startsWith('adapters_m'))).toBe(false);
      const before = await model.stateDict('all');
      const r = await model.trainStep(batch(), { lr: 1e-2, alpha: 0.4, train: false, hardNegatives: 'argmax' });
      expect(Number.isFinite(r.stats.loss)).toBe(true);
      expect(r.stats.stepped).toBe(true);
      const after = await model.stateDict('all');
      const changed = Object.keys(before).filter((n) => {
        const a = toNumbers(before[n]);
        const b = toNumbers(after[n]);
        return a.some((v, i) => v !== b[i]);
      });
      const trainableSet = new Set(trainable);
      const momentumOrQueue = (n: string) => /_m\.|^adapters_m|_queue$|^temp$/.test(n);
      // Only trained tensors (and the momentum copies / queues the step updates) change.
      for (const n of changed) expect(trainableSet.has(n) || momentumOrQueue(n)).toBe(true);
      expect(changed.filter((n) => trainableSet.has(n)).length).toBeGreaterThan(0);
      if (method !== 'full') expect(changed.some((n) => n.startsWith('visual_encoder.blocks.0.attn.qkv.weight'))).toBe(false);
    } finally {
      await model.dispose();
    }
  });
});
