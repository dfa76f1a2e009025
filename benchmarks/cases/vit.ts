/**
 * (a) ViT forward: images per second through the visual encoder with the UniAdapter visual branch,
 * vision_proj and the ITC features (encodeImages without returning the tokens), at the configuration's
 * image size and, for BLIP-base, at 224 and 384 px; once per precision of the run.
 */
import { describeConfig, precisionTag } from '../configs';
import type { BenchmarkCase } from '../context';
import { total, vitForward, vitTokens } from '../flops';
import { randomPixels } from '../inputs';
import { makeResult, measure } from '../measure';
import type { BenchResult } from '../types';

/** ViT forward benchmarks at each planned image size. */
export const runVit: BenchmarkCase = async (ctx) => {
  const { plan, options } = ctx;
  const out: BenchResult[] = [];
  for (const precision of options.precisions)
  for (const { imageSize, batch } of plan.vit.sizes) {
    const isDefault = options.config === 'tiny' || imageSize === 384;
    const { model, config } = await ctx.models.retrieval(isDefault ? undefined : imageSize, precision);
    const pixels = randomPixels(ctx.rng, batch, imageSize);
    const timed = await measure(() => model.encodeImages(pixels, { tokens: false }), plan.vit, options.device);
    const tag = precisionTag(options.precisions, precision);
    const result = makeResult(
      {
        id: `vit-${imageSize}${tag.id}`,
        benchmark: 'vit',
        title: `ViT forward ${imageSize} px${tag.title}`,
        config: { ...describeConfig(options.config, config), batch, tokensPerImage: vitTokens(config), input: 'uint8 [B, S, S, 3], normalised natively' },
        throughputUnit: 'images/s',
        flopsPerIteration: batch * total(vitForward(config)),
      },
      plan.vit,
      timed,
      batch,
      ctx.peakGflops
    );
    await ctx.compare(result, config, { kind: 'vit', params: { batch } });
    out.push(result);
    if (!isDefault) await ctx.models.release(imageSize, precision);
  }
  return out;
};
