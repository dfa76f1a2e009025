/**
 * Training-step time of the demo's three tasks on the embedded backbone (UniAdapter, the demo's plan
 * and data), with retrieval timed under both text paddings side by side: `max-length` (captions padded
 * to 35 tokens, the official code) and `longest` (to the batch's longest, what the demo uses). The two
 * paddings alternate round by round so that both see the same machine load.
 *
 *   npx tsx benchmarks/demo-train-steps.ts [--steps 30] [--rounds 2] [--out benchmarks/results/demo-train-steps.json]
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import type { TextPadding } from '../lib/text/text-batches';
import { DEMO_METHODS } from '../lib/tools/demo/demo-methods';
import { stageModelConfig, type StageContext } from '../lib/tools/demo/demo-stages';
import { ModelSession } from '../lib/session/model-session';
import { Trainer } from '../lib/train/trainer';
import { demoBenchmark } from './demo-bench';
import { median, nowMs } from './timing';

type Task = 'retrieval' | 'vqa' | 'caption';
interface Variant {
  id: string;
  task: Task;
  textPadding: TextPadding;
}

const VARIANTS: Variant[] = [
  { id: 'retrieval-max-length', task: 'retrieval', textPadding: 'max-length' },
  { id: 'retrieval-longest', task: 'retrieval', textPadding: 'longest' },
  { id: 'vqa', task: 'vqa', textPadding: 'longest' },
  { id: 'caption', task: 'caption', textPadding: 'longest' },
];

/** Milliseconds of each step after the first three (warm-up), for `steps` steps. */
async function stepTimes(ctx: StageContext, v: Variant, steps: number, outDir: string): Promise<number[]> {
  const method = DEMO_METHODS.find((m) => m.id === 'uniadapter')!;
  const config = stageModelConfig(ctx, v.task, method);
  await using session = await ModelSession.open({ config, weights: ctx.weights, tokenizer: ctx.tok });
  const trainer = new Trainer(
    {
      task: v.task,
      model: { config },
      data: { folder: ctx.data },
      batchSize: ctx.plan.batchSize,
      epochs: 1000,
      lr: ctx.plan.lr[v.task],
      schedule: 'constant',
      maxSteps: steps + 3,
      augment: false,
      dropout: false,
      textPadding: v.textPadding,
      outputDir: fs.mkdtempSync(path.join(outDir, `${v.id}-`)),
      seed: ctx.plan.seed,
    },
    { model: session.modelFor(v.task), tokenizer: ctx.tok }
  );
  const times: number[] = [];
  let last = nowMs();
  trainer.on('step', () => {
    const now = nowMs();
    times.push(now - last);
    last = now;
  });
  await trainer.run();
  return times.slice(3);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { steps: { type: 'string', default: '30' }, rounds: { type: 'string', default: '2' }, out: { type: 'string' } } });
  const steps = Number(values.steps);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(steps) || steps < 1 || !Number.isInteger(rounds) || rounds < 1) throw new Error('--steps and --rounds must be positive integers');
  await demoBenchmark('uniadapter-demo-train-steps/1', values.out, async ({ stage: ctx }) => {
    const samples = new Map<string, number[]>(VARIANTS.map((v) => [v.id, []]));
    for (let r = 0; r < rounds; r++) {
      for (const v of VARIANTS) {
        const t = await stepTimes(ctx, v, steps, ctx.dir);
        samples.get(v.id)!.push(...t);
        console.error(`round ${r + 1}/${rounds} ${v.id}: median ${median(t).toFixed(0)} ms per step`);
      }
    }
    const results = VARIANTS.map((v) => ({ id: v.id, task: v.task, textPadding: v.textPadding, steps: samples.get(v.id)!.length, medianMs: median(samples.get(v.id)!), batchSize: ctx.plan.batchSize }));
    const byId = Object.fromEntries(results.map((r) => [r.id, r]));
    return {
      plan: { imageSize: ctx.plan.imageSize, batchSize: ctx.plan.batchSize, steps, rounds },
      results,
      ratios: { retrievalLongestOverMaxLength: byId['retrieval-longest'].medianMs / byId['retrieval-max-length'].medianMs },
    };
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
