/** `uniadapter params`: parameter counts of a task model under a parameter-efficient method. */
import type { Task } from '../config/model-config';
import { presetConfig } from '../config/presets';
import { UniAdapterError } from '../errors';
import { createModel } from '../model/create-model';
import { intOption, parseCommandArgs, writeJson, type Command } from './command';
import { PETL_FLAGS, PETL_USAGE, petlFromFlags } from './petl-flags';

const usage = `uniadapter params --preset blip-base|blip-large --task retrieval|vqa|caption ${PETL_USAGE} [--image-size N] [--json]`;

function formatCount(n: number): string {
  return `${n.toLocaleString('en-US')} (${(n / 1e6).toFixed(2)}M)`;
}

export const command: Command = {
  name: 'params',
  summary: 'count the parameters of a model: adapter projections, trainable set, total, by group',
  usage,
  async run(argv, io) {
    const { values: raw } = parseCommandArgs(
      argv,
      { preset: { type: 'string' }, task: { type: 'string' }, 'image-size': { type: 'string' }, json: { type: 'boolean' }, ...PETL_FLAGS },
      usage,
      false
    );
    const values = raw as Record<string, string | boolean | undefined>;
    const preset = (values.preset as string | undefined) ?? 'blip-base';
    const task = (values.task ?? 'retrieval') as Task;
    if (!['retrieval', 'vqa', 'caption'].includes(task)) throw new UniAdapterError('ERR_ARG', `--task must be retrieval, vqa or caption, got '${task}'`);
    const base = presetConfig(preset, task, { imageSize: intOption(values['image-size'] as string | undefined, 'image-size') });
    const config = { ...base, petl: petlFromFlags(values, base.petl) };
    const model = await createModel(config);
    try {
      const info = await model.parameterInfo();
      const result = {
        preset,
        task,
        method: config.petl.method,
        petl: config.petl,
        adapterProjections: info.counts.adapterProjections,
        trainable: info.counts.trainable,
        total: info.counts.total,
        totalWithPetl: info.counts.totalWithPetl,
        petlParameters: info.counts.petl,
        trainableShareOfTotal: info.counts.trainable / info.counts.total,
        byGroup: info.counts.byGroup,
      };
      if (values.json) {
        writeJson(io, result);
        return 0;
      }
      io.stdout.write(
        [
          `${result.preset} ${task}, method ${config.petl.method}` + (config.petl.method === 'uniadapter' ? ` (r=${config.petl.bottleneck}, share ${config.petl.share})` : ''),
          `  adapter projections  ${formatCount(result.adapterProjections)}`,
          `  trainable            ${formatCount(result.trainable)}  = ${(100 * result.trainableShareOfTotal).toFixed(2)}% of the model`,
          `  total (no momentum)  ${formatCount(result.total)}`,
          '  by group:',
          ...Object.entries(result.byGroup).map(([g, n]) => `    ${g.padEnd(14)} ${formatCount(n)}`),
        ].join('\n') + '\n'
      );
      return 0;
    } finally {
      await model.dispose();
    }
  },
};
