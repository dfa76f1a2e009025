/**
 * (d) One UniAdapter retrieval training step (samples/s): ITC with momentum distillation and the
 * queue, ITM with sampled hard negatives, backward, AdamW over the trainable parameters (adapters,
 * kv adapters, heads); dropout on, as in training.
 */
import { describeConfig, precisionTag } from '../configs';
import type { BenchmarkCase } from '../context';
import { trainStep } from '../flops';
import { arangeInt64, randomPixels, textBatch } from '../inputs';
import { makeResult, measure } from '../measure';

/** The retrieval training-step benchmark, at each planned image size. */
export const runTrainStep: BenchmarkCase = async (ctx) => {
  const { plan, options } = ctx;
  const results = [];
  for (const precision of options.precisions)
  for (const size of plan.train.sizes) {
    const { model, config } = await ctx.models.retrieval(size.imageSize, precision);
    const tag = precisionTag(options.precisions, precision);
    const B = size.batch;
    const L = plan.textLength;
    const S = config.vision.imageSize;
    const pixels = randomPixels(ctx.rng, B, S);
    const texts = textBatch(B, L, config.tokens!);
    const idx = arangeInt64(B);
    const step = { lr: 1e-5, alpha: 0.4, hardNegatives: 'sample' as const, train: true, update: true };
    let lastLoss = NaN;
    const timed = await measure(async () => {
      const r = await model.trainStep({ pixels, inputIds: texts.inputIds, attentionMask: texts.attentionMask, idx }, step);
      lastLoss = r.stats.loss;
    }, plan.train, options.device);
    const flops = trainStep(config, B, L);
    const result = makeResult(
      {
        id: `${plan.train.sizes.length > 1 ? `train-step-${S}` : 'train-step'}${tag.id}`,
        benchmark: 'train',
        title: `Retrieval training step, batch ${B} at ${S} px${tag.title}`,
        config: {
          ...describeConfig(options.config, config),
          batch: B,
          textLength: L,
          queueSize: config.queueSize,
          optimizer: 'AdamW (lr 1e-5, weight decay 0.05) over the trainable set',
          hardNegatives: 'sampled (multinomial)',
          momentumSharesBackbone: config.momentumSharesBackbone,
        },
        throughputUnit: 'samples/s',
        flopsPerIteration: flops.total,
      },
      plan.train,
      timed,
      B,
      ctx.peakGflops,
      { forwardGflop: flops.forward / 1e9, backwardGflop: flops.backward / 1e9, flopsPerSampleGflop: flops.total / B / 1e9, lastLoss }
    );
    await ctx.compare(result, config, { kind: 'train', params: { batch: B, length: L, lr: 1e-5, alpha: 0.4, weightDecay: 0.05 } });
    results.push(result);
    if (size.imageSize !== undefined) await ctx.models.release(size.imageSize, precision);
  }
  return results;
};
