/**
 * `uniadapter train --config <file.yaml|json>`: trains a parameter-efficient method with a progress
 * line and a final summary; `--nproc N` starts N data-parallel processes on this machine.
 */
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { UniAdapterError } from '../errors';
import { launch } from '../train/launcher';
import { Trainer, type StepEvent, type TrainSummary } from '../train/trainer';
import type { TrainerConfig } from '../train/trainer-config';
import { intOption, parseCommandArgs, type Command } from './command';
import { createProgress, type Progress } from './progress';

const usage =
  'uniadapter train --config <file.yaml|json> [--nproc N] [--resume latest|<checkpoint>] [--max-steps N] [--output <dir>] [--json]';

/** Reads a training configuration; relative paths in it are relative to the file's folder. */
export function readTrainConfig(file: string): TrainerConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UniAdapterError('ERR_IO', `cannot read ${file}: ${(e as Error).message}`);
  }
  let raw: any;
  try {
    raw = /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
  } catch (e) {
    throw new UniAdapterError('ERR_CONFIG', `${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(e as Error).message}`);
  }
  if (!raw || typeof raw !== 'object') throw new UniAdapterError('ERR_CONFIG', `${file} must hold a mapping`);
  const base = path.dirname(path.resolve(file));
  const rel = (p: unknown) => (typeof p === 'string' && !path.isAbsolute(p) ? path.resolve(base, p) : p);
  if (raw.weights) raw.weights = rel(raw.weights);
  if (raw.outputDir) raw.outputDir = rel(raw.outputDir);
  if (raw.resume && raw.resume !== 'latest') raw.resume = rel(raw.resume);
  if (raw.export?.path) raw.export.path = rel(raw.export.path);
  if (raw.export?.base) raw.export.base = rel(raw.export.base);
  if (raw.data?.folder) raw.data.folder = rel(raw.data.folder);
  if (raw.data?.mediaRoot) raw.data.mediaRoot = rel(raw.data.mediaRoot);
  if (raw.data?.annotations) {
    const a = raw.data.annotations;
    const relAll = (v: unknown): unknown => (Array.isArray(v) ? v.map(rel) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, p]) => [k, rel(p)])) : rel(v));
    // Per split, `gt` may itself map val/test to files.
    raw.data.annotations = Array.isArray(a) || typeof a === 'string' ? relAll(a) : Object.fromEntries(Object.entries(a).map(([k, v]) => [k, relAll(v)]));
  }
  return raw as TrainerConfig;
}

export const TRAIN_FLAGS = {
  config: { type: 'string' },
  nproc: { type: 'string' },
  resume: { type: 'string' },
  'max-steps': { type: 'string' },
  output: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type TrainValues = Record<string, string | boolean | undefined>;

/**
 * Reads the configuration the flags name and applies the flags that override it, or, with --nproc N
 * outside a launched group, returns the exit code of the N launched processes of `subcommand`.
 */
export async function configFromFlags(
  values: TrainValues,
  argv: string[],
  io: Parameters<Command['run']>[1],
  subcommand: string,
  usageLine: string
): Promise<TrainerConfig | number> {
  if (!values.config) throw new UniAdapterError('ERR_ARG', `--config is required\nusage: ${usageLine}`);
  const nproc = intOption(values.nproc as string | undefined, 'nproc', 1) as number;
  if (nproc > 1 && !process.env.WORLD_SIZE) {
    const rest = argv.filter((a, i) => a !== '--nproc' && argv[i - 1] !== '--nproc' && !a.startsWith('--nproc='));
    return launch({ nproc, args: [...process.execArgv, process.argv[1], subcommand, ...rest], stdout: io.stdout, stderr: io.stderr });
  }
  const config = readTrainConfig(values.config as string);
  if (values.resume) config.resume = values.resume as string;
  if (values['max-steps']) config.maxSteps = intOption(values['max-steps'] as string, 'max-steps');
  if (values.output) config.outputDir = path.resolve(values.output as string);
  return config;
}

export const command: Command = {
  name: 'train',
  summary: 'train UniAdapter (or a baseline) from a YAML/JSON configuration; --nproc for data parallel',
  usage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, TRAIN_FLAGS, usage, false);
    const config = await configFromFlags(values, argv, io, 'train', usage);
    if (typeof config === 'number') return config;
    return (await runTraining(config, values, io)).code;
  },
};

/** What the progress line notes about a training step: loss and its parts first (a narrow terminal cuts the end), lr, speed, epoch, memory. */
export function stepNote(e: StepEvent): string {
  const parts = Object.entries(e.parts)
    .map(([k, v]) => `${k.replace(/^loss/, '').toLowerCase()} ${v.toFixed(3)}`)
    .join(' ');
  return (
    `loss ${e.loss.toFixed(4)}${parts ? ` (${parts})` : ''}${e.skipped ? '  [step skipped: non-finite gradients]' : ''}  ` +
    `lr ${e.lr.toExponential(2)}  ${e.samplesPerSecond.toFixed(1)} samples/s  epoch ${e.epoch + 1}  rss ${(e.rssMb / 1024).toFixed(2)} GB`
  );
}

/** Runs a training configuration with a progress line and a summary; the exit code and the summary. */
export async function runTraining(
  config: TrainerConfig,
  values: TrainValues,
  io: Parameters<Command['run']>[1]
): Promise<{ code: number; summary: TrainSummary }> {
  const abort = new AbortController();
  let progress: Progress | undefined;
  const print = (line: string) => (progress ? progress.print(line) : io.stderr.write(line + '\n'));
  const onSignal = () => {
    print('uniadapter train: stopping after this step (a checkpoint will be written)');
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const trainer = new Trainer(config, { signal: abort.signal });
  const rank = Number(process.env.RANK ?? 0);
  if (rank === 0 && !values.json) {
    trainer.on('start', (s) => {
      io.stderr.write(
        `training ${config.task}: ${s.records} records, ${s.stepsPerEpoch} steps/epoch, ${s.totalSteps} steps; ` +
          `${s.trainable.toLocaleString('en-US')} trainable of ${s.total.toLocaleString('en-US')} parameters (${((100 * s.trainable) / s.total).toFixed(2)}%)\n`
      );
      const start = Math.min(s.resumedFrom?.step ?? 0, s.totalSteps);
      progress = createProgress('step', Math.max(1, s.totalSteps), { stream: io.stderr, start, plainEvery: 10 });
    });
    trainer.on('step', (e) => progress?.tick(1, stepNote(e)));
    trainer.on('epoch', (e) => print(`epoch ${e.epoch + 1}: mean loss ${e.meanLoss.toFixed(4)} over ${e.steps} steps in ${e.seconds.toFixed(1)} s`));
    trainer.on('log', (m) => print(m));
  }
  try {
    const summary = await trainer.run();
    progress?.done();
    progress = undefined;
    if (rank === 0) {
      if (values.json) io.stdout.write(JSON.stringify({ ...summary, losses: undefined }) + '\n');
      else
        io.stdout.write(
          [
            `status      ${summary.status} after ${summary.steps} steps (${summary.epochs} epochs) in ${summary.seconds.toFixed(1)} s`,
            `final loss  ${summary.finalLoss.toFixed(4)}`,
            `trainable   ${summary.trainableParameters.toLocaleString('en-US')} of ${summary.totalParameters.toLocaleString('en-US')} parameters`,
            summary.adapter ? `adapter     ${summary.adapter} (${((summary.adapterBytes ?? 0) / 2 ** 20).toFixed(2)} MiB)` : '',
            summary.weights ? `weights     ${summary.weights} (${((summary.weightsBytes ?? 0) / 2 ** 20).toFixed(2)} MiB)` : '',
            summary.checkpoint ? `checkpoint  ${summary.checkpoint}` : '',
            summary.skippedRecords ? `skipped     ${summary.skippedRecords} bad records` : '',
          ]
            .filter(Boolean)
            .join('\n') + '\n'
        );
    }
    return { code: summary.status === 'aborted' ? 130 : 0, summary };
  } finally {
    // A run that failed ends its line before the error is printed.
    progress?.done();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
