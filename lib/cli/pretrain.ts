/**
 * `uniadapter pretrain --config <file.yaml|json>`: BLIP's pretraining (ITC with momentum distillation
 * and the queue, ITM with hard negatives, LM with the decoder tied to the text encoder) of a whole
 * backbone, optionally on a synthetic split it generates first. It writes a BLIP checkpoint
 * (safetensors) that `loadWeights` reads for retrieval, VQA and captioning, and beside it a manifest:
 * the configuration, the command and seed that made it, and the file's SHA-256.
 *
 * With `task: vqa` (and `petl.method: full`, `weights`: a pretrained backbone) it runs BLIP's VQA
 * fine-tuning of that whole backbone instead, the step that made model_base_vqa_capfilt_large.pth (the
 * backbone the official UniAdapter configs adapt), on a synthetic split's questions; the checkpoint
 * and manifest are written the same way.
 */
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { UniAdapterError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { generateSyntheticDataset } from '../tools/synthetic';
import type { SyntheticDatasetOptions } from '../tools/synthetic/options';
import { baseReferenceFor } from '../weights/checkpoint-view';
import { manifestPathOf, PRETRAINED_MANIFEST_FORMAT, sha256File, type PretrainedManifest } from '../weights/pretrained-manifest';
import { validateTrainerConfig, writesWholeModel, type TrainerConfig } from '../train/trainer-config';
import { parseCommandArgs, type Command } from './command';
import { configFromFlags, runTraining, TRAIN_FLAGS } from './train';

const usage = 'uniadapter pretrain --config <file.yaml|json> [--nproc N] [--resume latest|<checkpoint>] [--max-steps N] [--output <dir>] [--json]';

export const command: Command = {
  name: 'pretrain',
  summary: "BLIP's pretraining (ITC + ITM + LM, tied decoder) of a whole backbone, or its VQA fine-tuning (task: vqa); writes a BLIP checkpoint and its manifest",
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, TRAIN_FLAGS, usage, false);
    const read = await configFromFlags(values, argv, io, 'pretrain', usage);
    if (typeof read === 'number') return read;
    const config = read as TrainerConfig & { synthetic?: SyntheticDatasetOptions };
    if (config.task !== undefined && config.task !== 'pretrain' && config.task !== 'vqa') {
      throw new UniAdapterError(
        'ERR_CONFIG',
        `${values.config}: task is '${config.task}'; uniadapter pretrain runs task 'pretrain' (or 'vqa', BLIP's VQA fine-tuning of a whole backbone); use uniadapter train for the others`
      );
    }
    config.task ??= 'pretrain';
    const { synthetic, ...trainer } = config;
    // Before the split is generated (minutes), so that a misspelt key stops the run at once.
    validateTrainerConfig(trainer);
    if (trainer.task === 'vqa') {
      const missing = [!writesWholeModel(trainer) ? "petl.method 'full'" : '', !trainer.weights ? "'weights' (the pretrained backbone to start from)" : ''].filter(Boolean);
      if (missing.length) throw new UniAdapterError('ERR_CONFIG', `${values.config}: task 'vqa' here fine-tunes a whole pretrained backbone; the config lacks ${missing.join(' and ')}`);
      // The point of the run is the checkpoint (and its manifest), not an adapter.
      trainer.export ??= {};
    }
    if (synthetic) {
      if (!('folder' in trainer.data)) throw new UniAdapterError('ERR_CONFIG', "'synthetic' needs data.folder: the folder the split is generated into");
      const vqa = trainer.task === 'vqa';
      io.stderr.write(`generating the synthetic ${vqa ? 'VQA' : 'pretraining'} split in ${trainer.data.folder}\n`);
      await generateSyntheticDataset(trainer.data.folder, { ...synthetic, tasks: [vqa ? 'vqa' : 'retrieval'] });
    }
    const { code, summary } = await runTraining(trainer, values, io);
    if (code !== 0 || !summary.weights) return code;
    if (Number(process.env.RANK ?? 0) !== 0) return code;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const pkg = require('../../package.json') as { version: string };
    const manifest: PretrainedManifest = {
      format: PRETRAINED_MANIFEST_FORMAT,
      weights: path.basename(summary.weights),
      sha256: await sha256File(summary.weights),
      bytes: fs.statSync(summary.weights).size,
      ...(trainer.export?.base ? { base: await baseReferenceFor(summary.weights, trainer.export.base) } : {}),
      command: `uniadapter pretrain --config ${path.relative(process.cwd(), path.resolve(values.config as string))}`,
      seed: trainer.seed ?? 42,
      steps: summary.steps,
      finalLoss: summary.finalLoss,
      seconds: summary.seconds,
      config: YAML.parse(fs.readFileSync(values.config as string, 'utf8')) as PretrainedManifest['config'],
      createdAt: new Date().toISOString(),
      library: `uniadapter ${pkg.version}`,
    };
    const manifestPath = manifestPathOf(summary.weights);
    await writeFileAtomic(manifestPath, Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
    if (!values.json) io.stdout.write(`manifest    ${manifestPath} (sha256 ${manifest.sha256.slice(0, 16)}…)\n`);
    return code;
  },
};
