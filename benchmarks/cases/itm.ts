/**
 * (c) ITM: one pass of the image-grounded encoder + ITM head over P (text, image) pairs, each with
 * its own image tokens (pairs/s); and the re-ranking of k candidate texts for one image, once with
 * the image's cross-attention keys/values shared by the k texts (`pairImage` grouping) and once with
 * k copies of the image tokens as separate rows.
 */
import type { Precision } from '../../lib/config/model-config';
import { concatRows } from '../../lib/tensor';
import { describeConfig, precisionTag } from '../configs';
import type { BenchmarkCase } from '../context';
import { itmForward, total, vitTokens } from '../flops';
import { fillInt64, randomFloats, textBatch } from '../inputs';
import { makeResult, measure } from '../measure';
import type { BenchResult } from '../types';

/** The ITM pass and the shared / copied key-value re-ranking benchmarks, once per precision of the run. */
export const runItm: BenchmarkCase = async (ctx) => {
  const out: BenchResult[] = [];
  for (const precision of ctx.options.precisions) out.push(...(await runItmIn(ctx, precision)));
  return out;
};

async function runItmIn(ctx: Parameters<BenchmarkCase>[0], precision: Precision): Promise<BenchResult[]> {
  const { plan, options } = ctx;
  const { model, config } = await ctx.models.retrieval(undefined, precision);
  const tag = precisionTag(options.precisions, precision);
  const L = plan.textLength;
  const N = vitTokens(config);
  const D = config.vision.width;
  const described = describeConfig(options.config, config);
  const out: BenchResult[] = [];

  const P = plan.itm.pairs;
  const texts = textBatch(P, L, config.tokens);
  const tokens = randomFloats(ctx.rng, [P, 1, N, D]);
  const pass = await measure(() => model.itm({ inputIds: texts.inputIds, attentionMask: texts.attentionMask, imageTokens: tokens, pfa: false }), plan.itm, options.device);
  const passResult = makeResult(
    {
      id: `itm-pass${tag.id}`,
      benchmark: 'itm',
      title: `ITM pass, ${P} pairs${tag.title}`,
      config: { ...described, pairs: P, textLength: L, memoryTokens: N },
      throughputUnit: 'pairs/s',
      flopsPerIteration: total(itmForward(config, L, P, P, N)),
    },
    plan.itm,
    pass,
    P,
    ctx.peakGflops
  );
  await ctx.compare(passResult, config, { kind: 'itm', params: { pairs: P, length: L } });
  out.push(passResult);

  const k = plan.rerank.k;
  const candidates = textBatch(k, L, config.tokens);
  const one = randomFloats(ctx.rng, [1, 1, N, D]);
  const copies = concatRows(Array.from({ length: k }, () => one));
  const variants = [
    { shared: true, id: 'itm-rerank-shared', how: 'one candidate, keys/values computed once and shared by the k texts (pairImage grouping)' },
    { shared: false, id: 'itm-rerank-copies', how: 'k copies of the candidate tokens as separate rows (no pairImage)' },
  ];
  const medians: Record<string, number> = {};
  for (const v of variants) {
    const timed = await measure(
      () =>
        model.itm({
          inputIds: candidates.inputIds,
          attentionMask: candidates.attentionMask,
          imageTokens: v.shared ? one : copies,
          pairImage: v.shared ? fillInt64(k, 0) : undefined,
          pfa: false,
        }),
      plan.rerank,
      options.device
    );
    medians[v.id] = timed.latency.medianMs;
    const r = makeResult(
      {
        id: `${v.id}${tag.id}`,
        benchmark: 'itm',
        title: `ITM re-rank k=${k}, ${v.shared ? 'shared K/V' : 'K/V copies'}${tag.title}`,
        config: { ...described, k, textLength: L, memoryTokens: N, variant: v.how },
        throughputUnit: 'pairs/s',
        flopsPerIteration: total(itmForward(config, L, k, v.shared ? 1 : k, N)),
      },
      plan.rerank,
      timed,
      k,
      ctx.peakGflops
    );
    await ctx.compare(r, config, { kind: 'rerank', params: { k, length: L, shared: v.shared } });
    out.push(r);
  }
  const shared = out.find((r) => r.id === `itm-rerank-shared${tag.id}`);
  if (shared) shared.extra = { speedupOverCopies: medians['itm-rerank-copies'] / medians['itm-rerank-shared'] };
  return out;
}
