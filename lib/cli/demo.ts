/**
 * `uniadapter demo [--quick] [--checkpoint <BLIP .pth|.safetensors>] [--report <dir>]`: the main job
 * on its embedded default (see lib/tools/demo/run-demo.ts). Exits non-zero when training did not clearly
 * beat the untrained model.
 */
import { FULL_PLAN, QUICK_PLAN } from '../tools/demo/demo-plan';
import { runDemo } from '../tools/demo/run-demo';
import { parseCommandArgs, type Command } from './command';

const usage = 'uniadapter demo [--quick] [--checkpoint <BLIP .pth|.safetensors>] [--report <dir>] [--steps N]';

export const command: Command = {
  name: 'demo',
  summary: 'generate synthetic data, train UniAdapter on a frozen small BLIP, show retrieve/answer/caption, write a report',
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      { quick: { type: 'boolean' }, checkpoint: { type: 'string' }, report: { type: 'string' }, steps: { type: 'string' } },
      usage,
      false
    );
    const plan = { ...(values.quick ? QUICK_PLAN : FULL_PLAN) };
    if (values.steps) plan.retrievalSteps = Number(values.steps);
    if (values.checkpoint) plan.imageSize = 224;
    const started = Date.now();
    const log = (line: string) => io.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
    const report = await runDemo({ plan, reportDir: (values.report as string | undefined) ?? 'demo-report', checkpoint: values.checkpoint as string | undefined, log });
    log(`done in ${report.seconds.toFixed(0)} s`);
    // The quick plan is too short to learn; it exercises every stage (tests, CI).
    return report.passed || values.quick ? 0 : 1;
  },
};
