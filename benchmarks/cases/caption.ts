/**
 * (e) Caption generation latency per image: beam search (3 beams, max 20 tokens including the
 * 4-token prompt "[DEC] a picture of", min 5) with a caption model (UniAdapter on the ViT and the
 * decoder). With random weights the number of generated tokens is whatever the beams produce; it is
 * reported with the timing.
 */
import { CaptionModel } from '../../lib/model/caption-model';
import { BlipTokenizer } from '../../lib/text/tokenizer';
import { captionPromptTensor } from '../../lib/text/text-batches';
import { CAPTION_PROMPT } from '../../lib/data/batches';
import type { Precision } from '../../lib/config/model-config';
import { benchModelConfig, describeConfig, precisionTag } from '../configs';
import type { BenchmarkCase } from '../context';
import { randomPixels } from '../inputs';
import { makeResult, measure } from '../measure';
import { nowMs } from '../timing';

/** The caption-generation benchmark, once per precision of the run. */
export const runCaption: BenchmarkCase = async (ctx) => {
  const out = [];
  for (const precision of ctx.options.precisions) out.push(await runCaptionIn(ctx, precision));
  return out;
};

async function runCaptionIn(ctx: Parameters<BenchmarkCase>[0], precision: Precision) {
  const { plan, options } = ctx;
  const tag = precisionTag(options.precisions, precision);
  const t0 = nowMs();
  const model = await CaptionModel.create(benchModelConfig(options.config, 'caption', { device: options.device, precision }));
  const config = model.config;
  ctx.log(`  built ${options.config} ${precision} caption model in ${((nowMs() - t0) / 1000).toFixed(1)} s`);
  try {
    const c = plan.caption;
    const pixels = randomPixels(ctx.rng, c.batch, config.vision.imageSize);
    const prompt = captionPromptTensor(BlipTokenizer.bertBaseUncased(), CAPTION_PROMPT, c.batch);
    let lengths: number[] = [];
    const timed = await measure(async () => {
      const g = await model.generate(pixels, prompt, { numBeams: c.numBeams, maxLength: c.maxLength, minLength: c.minLength });
      lengths.push(g.ids.shape[1]);
    }, c, options.device);
    lengths = lengths.slice(c.warmup);
    const result = makeResult(
      {
        id: `caption-beam3${tag.id}`,
        benchmark: 'caption',
        title: `Caption generation, beam ${c.numBeams}, max ${c.maxLength}${tag.title}`,
        config: { ...describeConfig(options.config, config), batch: c.batch, numBeams: c.numBeams, maxLength: c.maxLength, minLength: c.minLength, prompt: CAPTION_PROMPT },
        throughputUnit: 'images/s',
      },
      c,
      timed,
      c.batch,
      ctx.peakGflops,
      { outputLengthMedian: lengths.sort((a, b) => a - b)[Math.floor(lengths.length / 2)] ?? 0 }
    );
    result.reference = { status: 'not-implemented', reason: 'the PyTorch reference has no beam-search decoder (transformers is not part of the reference)' };
    return result;
  } finally {
    await model.dispose();
  }
}
