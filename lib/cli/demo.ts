/**
 * `uniadapter demo [--quick] [--compare [--methods a,b]] [--checkpoint <BLIP .pth|.safetensors>] [--vqa-weights <file>|pretrained] [--report <dir>]`:
 * the main job on its embedded default (see lib/tools/demo/run-demo.ts), or with `--compare` the table
 * of PETL methods on the same tasks (lib/tools/demo/run-compare.ts). The demo exits non-zero when
 * adaptation did not beat zero-shot and the baselines on every task (its targets are reported beside
 * that); `--compare` exits non-zero when UniAdapter misses 90 % of full fine-tuning on a task.
 * The VQA stage adapts a VQA-fine-tuned backbone, as the official UniAdapter configs do: by default the
 * embedded one (models/demo-blip-vqa.safetensors, made by configs/pretrain-demo-vqa.yaml);
 * `--vqa-weights <file>` names another, `--vqa-weights pretrained` adapts the pretrained backbone itself.
 */
import { UniAdapterError } from '../errors';
import { DEMO_METHODS, type DemoMethod } from '../tools/demo/demo-methods';
import { FULL_PLAN, QUICK_PLAN } from '../tools/demo/demo-plan';
import { compareTargetMet, runCompare } from '../tools/demo/run-compare';
import { runDemo } from '../tools/demo/run-demo';
import { parseCommandArgs, type Command } from './command';

const usage =
  'uniadapter demo [--quick] [--compare [--methods id,id…]] [--checkpoint <BLIP .pth|.safetensors>] [--vqa-weights <VQA-fine-tuned BLIP>|pretrained] [--report <dir>] [--steps N] [--seed N]';

function methodList(value: string | undefined): Array<DemoMethod['id']> | undefined {
  if (value === undefined) return undefined;
  const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
  const known = DEMO_METHODS.map((m) => m.id as string);
  for (const id of ids) {
    if (!known.includes(id)) throw new UniAdapterError('ERR_ARG', `--methods: unknown method '${id}'; the methods are ${known.join(', ')}`);
  }
  return ids as Array<DemoMethod['id']>;
}

export const command: Command = {
  name: 'demo',
  summary: 'generate synthetic data, adapt the shipped pretrained small BLIP with UniAdapter, show retrieve/answer/caption, write a report (--compare: PETL methods side by side)',
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      {
        quick: { type: 'boolean' },
        compare: { type: 'boolean' },
        methods: { type: 'string' },
        checkpoint: { type: 'string' },
        'vqa-weights': { type: 'string' },
        report: { type: 'string' },
        steps: { type: 'string' },
        seed: { type: 'string' },
      },
      usage,
      false
    );
    const plan = { ...(values.quick ? QUICK_PLAN : FULL_PLAN) };
    if (values.steps !== undefined) {
      const steps = Number(values.steps);
      if (!Number.isInteger(steps) || steps < 1) throw new UniAdapterError('ERR_ARG', `--steps must be a positive integer (retrieval steps), got '${String(values.steps)}'`);
      plan.retrievalSteps = steps;
    }
    if (values.seed !== undefined) {
      // Another seed gives another synthetic split: a validation run (the plan was chosen on --seed 7).
      const seed = Number(values.seed);
      if (!Number.isSafeInteger(seed) || seed < 0) throw new UniAdapterError('ERR_ARG', `--seed must be a non-negative integer, got '${String(values.seed)}'`);
      plan.seed = seed;
    }
    if (values.checkpoint) plan.imageSize = 224;
    if (values.methods !== undefined && !values.compare) throw new UniAdapterError('ERR_ARG', '--methods needs --compare');
    const started = Date.now();
    const log = (line: string) => io.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
    const progressStream = process.stderr;
    const reportDir = (values.report as string | undefined) ?? 'demo-report';
    const checkpoint = values.checkpoint as string | undefined;
    const vqaWeights = values['vqa-weights'] as string | undefined;
    if (values.compare) {
      const report = await runCompare({ plan, reportDir, checkpoint, vqaWeights, methods: methodList(values.methods as string | undefined), log, progressStream });
      const met = compareTargetMet(report);
      log(
        report.uniadapterOverFull
          ? `done in ${report.seconds.toFixed(0)} s; UniAdapter ${met ? 'reached' : 'did NOT reach'} 90% of full fine-tuning on every task with ≤ 5% tunable parameters`
          : `done in ${report.seconds.toFixed(0)} s; the rows run do not include both UniAdapter and full fine-tuning, so the target was not measured`
      );
      return met || values.quick ? 0 : 1;
    }
    const report = await runDemo({ plan, reportDir, checkpoint, vqaWeights, log, progressStream });
    log(`done in ${report.seconds.toFixed(0)} s`);
    // The quick plan is too short to learn; it exercises every stage (tests, CI).
    return report.passed || values.quick ? 0 : 1;
  },
};
