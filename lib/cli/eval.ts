/** `uniadapter eval --config <yaml|json>`: runs an evaluation protocol, writes JSON, prints a table. */
import { writeFileAtomic } from '../io/atomic';
import { UniAdapterError } from '../errors';
import { validateEvaluationSection, type EvalConfig } from '../evaluation/eval-config';
import { runEvaluation } from '../evaluation/run-evaluation';
import { intOption, parseCommandArgs, type Command } from './command';
import { progressReporter } from './progress';
import { readTrainConfig } from './train';

const usage = 'uniadapter eval --config <file.yaml|json> [--adapter <file>] [--split val|test] [--limit N] [--out <result.json>] [--json]';

export const command: Command = {
  name: 'eval',
  summary: 'evaluate retrieval (R@K, MdR), VQA accuracy or captioning (BLEU-4, CIDEr-D) on a dataset split',
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      { config: { type: 'string' }, adapter: { type: 'string' }, split: { type: 'string' }, limit: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
      usage,
      false
    );
    if (!values.config) throw new UniAdapterError('ERR_ARG', `--config is required\nusage: ${usage}`);
    // The same file as training (paths relative to the file): its `evaluation` section overrides.
    const raw = readTrainConfig(values.config as string) as unknown as EvalConfig & { evaluation?: Partial<EvalConfig> };
    try {
      validateEvaluationSection(raw.evaluation);
    } catch (e) {
      throw new UniAdapterError('ERR_CONFIG', `${values.config}: ${(e as Error).message}`);
    }
    const c: EvalConfig = { ...raw, ...(raw.evaluation ?? {}) };
    if (values.adapter) c.adapter = values.adapter as string;
    if (values.split) c.split = values.split as 'val' | 'test';
    if (values.limit) c.limit = intOption(values.limit as string, 'limit');
    const result = await runEvaluation(c, values.json ? {} : { onProgress: progressReporter({ stream: io.stderr }) });
    const out = (values.out as string | undefined) ?? c.output;
    if (out) await writeFileAtomic(out, Buffer.from(JSON.stringify(result, null, 2) + '\n'));
    if (values.json) {
      io.stdout.write(JSON.stringify({ ...result, predictions: undefined }) + '\n');
      return 0;
    }
    const rows = Object.entries(result.metrics).map(([k, v]) => `  ${k.padEnd(12)} ${Number.isInteger(v) ? v : v.toFixed(2)}`);
    io.stdout.write([`${result.task} (${result.split}, ${result.items} items, ${result.seconds.toFixed(1)} s)`, ...rows, out ? `result written to ${out}` : ''].filter(Boolean).join('\n') + '\n');
    return 0;
  },
};
