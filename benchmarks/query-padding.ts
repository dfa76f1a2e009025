/**
 * Text → image search time under both query paddings side by side: `max-length` (queries padded to 35
 * tokens, the official evaluation's and the default) and `longest` (to the call's longest query). The
 * demo's backbone with an untrained UniAdapter (the work does not depend on the adapter's values), an
 * in-memory gallery of the demo's 100 held-out images, k 10 with the default ITM re-rank of 16, and
 * calls of 1 and of 16 queries. The paddings alternate call by call so that both see the same machine
 * load; the run also checks that both return the same items in the same order.
 *
 *   npx tsx benchmarks/query-padding.ts [--calls 40] [--out benchmarks/results/query-padding.json]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { openDatasetFolder } from '../lib/data/dataset-folder';
import { Gallery } from '../lib/inference/gallery';
import { retrieveByText, type RetrievedItem } from '../lib/inference/retrieve';
import { writeFileAtomic } from '../lib/io/atomic';
import { ModelSession } from '../lib/session/model-session';
import { BlipTokenizer } from '../lib/text/tokenizer';
import { TEXT_PADDINGS, type TextPadding } from '../lib/text/text-batches';
import { FULL_PLAN } from '../lib/tools/demo/demo-plan';
import { DEMO_METHOD } from '../lib/tools/demo/demo-methods';
import { demoMachine, generateDemoData } from '../lib/tools/demo/demo-setup';
import { stageModelConfig } from '../lib/tools/demo/demo-stages';
import { embeddedModel } from '../lib/weights/embedded-model';
import { demoRetrievalQueries } from './demo-queries';
import { median, nowMs } from './timing';

const BATCHES = [1, 16];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { calls: { type: 'string', default: '40' }, out: { type: 'string' } } });
  const calls = Number(values.calls);
  if (!Number.isInteger(calls) || calls < 2) throw new Error('--calls must be an integer >= 2');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-query-padding-'));
  try {
    const machine = await demoMachine();
    console.error(`machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.blas}, ${machine.threads} thread(s), matmul ${machine.matmulGflops.toFixed(1)} GFLOP/s measured`);
    const plan = FULL_PLAN;
    const data = path.join(work, 'data');
    await generateDemoData(data, plan, (l) => console.error(l));
    const tokenizer = BlipTokenizer.bertBaseUncased();
    const weights = (await embeddedModel()).weights;
    const ctx = { weights, data, plan, tok: tokenizer, dir: work, log: (l: string) => console.error(l) };
    await using session = await ModelSession.open({ config: stageModelConfig(ctx, 'retrieval', DEMO_METHOD), weights, tokenizer });
    const model = session.modelFor('retrieval');
    const test = await (await openDatasetFolder(data)).task('retrieval').readEval('test');
    const gallery = await Gallery.build(model, test.media);
    const queries = demoRetrievalQueries();
    const widths = Object.fromEntries(TEXT_PADDINGS.map((p) => [p, [] as number[]])) as Record<TextPadding, number[]>;
    const real = model.encodeTexts.bind(model);
    let current: TextPadding = 'max-length';
    model.encodeTexts = async (ids, mask) => {
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
          got[padding] = await retrieveByText(model, gallery, q, { tokenizer, k: 10, textPadding: padding });
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
    const report = {
      format: 'uniadapter-query-padding/1',
      date: new Date().toISOString(),
      machine: { ...machine, matmulGflopsAfter: (await demoMachine()).matmulGflops },
      setup: { imageSize: plan.imageSize, gallery: gallery.size, k: 10, rerank: 16, queryTokens: { maxLength: median(widths['max-length']), longest: median(widths.longest) } },
      results,
    };
    console.log(JSON.stringify(report, null, 2));
    if (values.out) await writeFileAtomic(values.out, Buffer.from(JSON.stringify(report, null, 2) + '\n'));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
