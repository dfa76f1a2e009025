/**
 * One rank of the hard-negative test: a tiny retrieval model joins a Gloo group, takes one captured
 * training step (argmax negatives, no update) on its own batch, and prints what it sampled as JSON.
 * Environment: RANK, WORLD_SIZE, MASTER_PORT, ALL_RANK ('1' or '0'), BATCH.
 */
import { RetrievalModel } from '../../lib/model/retrieval-model';
import { float32, int64, toNumbers } from '../../lib/tensor';
import { tinyConfig } from './tiny-models';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function main(): Promise<void> {
  const rank = Number(process.env.RANK);
  const worldSize = Number(process.env.WORLD_SIZE);
  const B = Number(process.env.BATCH ?? 4);
  const allRank = process.env.ALL_RANK === '1';
  const model = await RetrievalModel.create(tinyConfig('retrieval', { negativeAllRank: allRank, queueSize: 16 }));
  try {
    await model.initDistributed({ rank, worldSize, masterAddr: '127.0.0.1', masterPort: Number(process.env.MASTER_PORT) });
    const rnd = lcg(1000 + rank);
    const pixels = float32(Array.from({ length: B * 3 * 32 * 32 }, () => rnd() * 4 - 2), [B, 3, 32, 32]);
    const L = 8;
    const ids = Array.from({ length: B * L }, (_, i) => (i % L === 0 ? 101 : 1000 + Math.floor(rnd() * 2000)));
    const r = await model.trainStep(
      { pixels, inputIds: int64(ids, [B, L]), attentionMask: int64(new Array(B * L).fill(1), [B, L]), idx: int64(Array.from({ length: B }, (_, b) => rank * B + b), [B]) },
      { lr: 0, alpha: 0.4, hardNegatives: 'argmax', update: false, train: false, capture: true }
    );
    const c = r.captured;
    const out = {
      rank,
      temp: r.stats.temp,
      imageFeat: toNumbers(c.image_feat),
      textFeat: toNumbers(c.text_feat),
      embedDim: c.image_feat.shape[1],
      weightsT2iShape: c.weights_t2i.shape,
      negImage: toNumbers(c.neg_image_idx_for_text),
      negText: toNumbers(c.neg_text_idx_for_image),
    };
    process.stdout.write(JSON.stringify(out) + '\n');
  } finally {
    await model.dispose();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
