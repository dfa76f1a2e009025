/**
 * (b) Text encoder forward: texts per second through the unimodal BERT encoder with the UniAdapter
 * textual branch, text_proj and the ITC features (encodeTexts without the hidden states).
 */
import { describeConfig } from '../configs';
import type { BenchmarkCase } from '../context';
import { textForward, total } from '../flops';
import { textBatch } from '../inputs';
import { makeResult, measure } from '../measure';

/** The text-encoder forward benchmark. */
export const runTextEncoder: BenchmarkCase = async (ctx) => {
  const { plan, options } = ctx;
  const { model, config } = await ctx.models.retrieval();
  const { batch } = plan.text;
  const L = plan.textLength;
  const t = textBatch(batch, L, config.tokens!);
  const timed = await measure(() => model.encodeTexts(t.inputIds, t.attentionMask), plan.text);
  const result = makeResult(
    {
      id: 'text-encoder',
      benchmark: 'text',
      title: `Text encoder forward (L=${L})`,
      config: { ...describeConfig(options.config, config), batch, textLength: L, padding: 'lengths L/2..L, padded to L' },
      throughputUnit: 'texts/s',
      flopsPerIteration: batch * total(textForward(config, L)),
    },
    plan.text,
    timed,
    batch,
    ctx.peakGflops
  );
  await ctx.compare(result, config, { kind: 'text', params: { batch, length: L } });
  return [result];
};
