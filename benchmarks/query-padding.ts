/**
 * Text → image search time under both query paddings side by side: `max-length` (queries padded to 35
 * tokens, the official evaluation's and the default) and `longest` (to the call's longest query). The
 * demo's backbone with an untrained UniAdapter (the work does not depend on the adapter's values) and an
 * in-memory gallery of the demo's 100 held-out images, or (`--backbone blip-base`) BLIP-base with
 * random weights at 224 px and a gallery of 32 of those images; k 10 with the default ITM re-rank of 16,
 * and calls of 1 and of 16 queries. The paddings alternate call by call so that both see the same machine
 * load; the run also checks that both return the same items in the same order.
 *
 *   npx tsx benchmarks/query-padding.ts [--backbone demo|blip-base] [--calls 40] [--out benchmarks/results/query-padding.json]
 */
import { parseArgs } from 'util';
import { openDatasetFolder } from '../lib/data/dataset-folder';
import { Gallery } from '../lib/inference/gallery';
import { retrieveByText, type RetrievedItem } from '../lib/inference/retrieve';
import { presetConfig } from '../lib/config/presets';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { ModelSession } from '../lib/session/model-session';
import { TEXT_PADDINGS, type TextPadding } from '../lib/text/text-batches';
import { DEMO_METHOD } from '../lib/tools/demo/demo-methods';
import { stageModelConfig } from '../lib/tools/demo/demo-stages';
import { demoBenchmark } from './demo-bench';
import { demoRetrievalQueries } from './demo-queries';
import { median, nowMs } from './timing';

const BATCHES = [1, 16];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { calls: { type: 'string', default: '40' }, backbone: { type: 'string', default: 'demo' }, out: { type: 'string' } },
  });
  const calls = Number(values.calls);
  if (!Number.isInteger(calls) || calls < 2) throw new Error('--calls must be an integer >= 2');
  if (values.backbone !== 'demo' && values.backbone !== 'blip-base') throw new Error('--backbone must be demo or blip-base');
  const blipBase = values.backbone === 'blip-base';
  await demoBenchmark('uniadapter-query-padding/1', values.out, async ({ stage: ctx }) => {
    const tokenizer = ctx.tok;
    // BLIP-base: random weights at 224 px (197 image tokens), UniAdapter r = 128 (the time does not depend on the values).
    await using model = blipBase ? await RetrievalModel.create(presetConfig('blip-base', 'retrieval', { imageSize: 224 })) : undefined;
    await using session = blipBase ? undefined : await ModelSession.open({ config: stageModelConfig(ctx, 'retrieval', DEMO_METHOD), weights: ctx.weights, tokenizer });
    const retrieval = model ?? session!.modelFor('retrieval');
    const test = await (await openDatasetFolder(ctx.data)).task('retrieval').readEval('test');
    const gallery = await Gallery.build(retrieval, blipBase ? test.media.slice(0, 32) : test.media);
    const queries = demoRetrievalQueries();
    const widths = Object.fromEntries(TEXT_PADDINGS.map((p) => [p, [] as number[]])) as Record<TextPadding, number[]>;
    const real = retrieval.encodeTexts.bind(retrieval);
    let current: TextPadding = 'max-length';
    retrieval.encodeTexts = async (ids, mask) => {
      widths[current].push(ids.shape[1]);
      return real(ids, mask);
    };
    const results = [];
    let next = 0;
    for (const batch of BATCHES) {
      const ms: Record<TextPadding, number[]> = { 'max-length': [], longest: [] };
      let differing = 0;
      for (let c = 0; c < calls + 1; c++) {
        const q = Array.from({ length: batch }, () => queries[next++ % queries.length]);
        const got: Partial<Record<TextPadding, RetrievedItem[][]>> = {};
        for (const padding of c % 2 ? TEXT_PADDINGS : [...TEXT_PADDINGS].reverse()) {
          current = padding;
          const t0 = nowMs();
          got[padding] = await retrieveByText(retrieval, gallery, q, { tokenizer, k: 10, textPadding: padding });
          if (c > 0) ms[padding].push(nowMs() - t0); // the first call of each size warms up
        }
        got['max-length']!.forEach((list, i) => {
          if (list.map((r) => r.id).join() !== got.longest![i].map((r) => r.id).join()) differing++;
        });
      }
      const row = {
        queriesPerCall: batch,
        calls,
        medianMs: { maxLength: median(ms['max-length']), longest: median(ms.longest) },
        longestOverMaxLength: median(ms.longest) / median(ms['max-length']),
        queriesWithDifferentResults: differing,
      };
      console.error(`${batch} queries per call: ${row.medianMs.maxLength.toFixed(1)} ms (max-length) vs ${row.medianMs.longest.toFixed(1)} ms (longest), ${row.longestOverMaxLength.toFixed(2)}×`);
      results.push(row);
    }
    return {
      setup: { backbone: values.backbone, imageSize: retrieval.config.vision.imageSize, gallery: gallery.size, k: 10, rerank: 16, queryTokens: { maxLength: median(widths['max-length']), longest: median(widths.longest) } },
      results,
    };
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
