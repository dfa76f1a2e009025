/** `uniadapter golden <case-dir> --out <file.safetensors>`: run a fixture case and write its outputs. */
import { runGoldenCase } from '../tools/golden/run-case';
import { writeSafetensors } from '../io/safetensors';
import { UniAdapterError } from '../errors';
import { parseCommandArgs, type Command } from './command';

const usage = 'uniadapter golden <case-dir> --out <file.safetensors> [--weights <file>] [--json]';

export const command: Command = {
  name: 'golden',
  summary: 'run a golden fixture case folder and write every computed tensor',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { out: { type: 'string' }, weights: { type: 'string' }, json: { type: 'boolean' } },
      usage
    );
    if (positionals.length !== 1 || !values.out) throw new UniAdapterError('ERR_ARG', `usage: ${usage}`);
    const started = Date.now();
    const out = values.out as string;
    const { outputs, load, kind } = await runGoldenCase(positionals[0], { weightsPath: values.weights as string | undefined });
    const names = Object.keys(outputs).sort();
    await writeSafetensors(out, names.map((n) => [n, outputs[n]] as [string, (typeof outputs)[string]]), {
      case: kind,
      source: positionals[0],
    });
    const summary = { case: kind, tensors: names.length, out, weights: load.file, seconds: (Date.now() - started) / 1000 };
    if (values.json) io.stdout.write(JSON.stringify(summary) + '\n');
    else io.stdout.write(`${kind}: wrote ${names.length} tensors to ${out} in ${summary.seconds.toFixed(1)} s\n`);
    return 0;
  },
};
