/** The typed configuration of a training run (what `uniadapter train --config` reads). */
import type { ModelChoice, TrainTask } from '../config/model-choice';
import { validateModelChoice } from '../config/model-choice';
import { validateDataChoice, type DataChoice } from '../data/data-choice';
import { validateEvaluationSection } from '../evaluation/eval-config';
import { UniAdapterError } from '../errors';
import { checkTextPadding, type TextPadding } from '../text/text-batches';
import { WEIGHTS_DTYPES, type SaveWeightsOptions } from '../weights/save-weights';

export { isVideoTask, modelTask, type ModelChoice, type TrainTask } from '../config/model-choice';

export type { DataChoice } from '../data/data-choice';

/** What a pretraining run writes when it ends: a BLIP checkpoint, with saveWeights' options. */
export interface WeightsExport extends Pick<SaveWeightsOptions, 'dtype' | 'momentum' | 'tied' | 'base'> {
  /** Default: outputDir/model.safetensors. */
  path?: string;
}

export interface TrainerConfig {
  task: TrainTask;
  model: ModelChoice;
  /** BLIP weights (.pth or .safetensors); without them the backbone is random (tests, demos). */
  weights?: string;
  data: DataChoice;
  /** Global batch size (all processes together). */
  batchSize: number;
  epochs: number;
  lr: number;
  minLr?: number;
  weightDecay?: number;
  schedule?: 'cosine-epoch' | 'cosine-step' | 'constant';
  warmupSteps?: number;
  /** ITC distillation weight (retrieval), ramped during the first epoch. */
  alpha?: number;
  hardNegatives?: 'sample' | 'argmax';
  /**
   * Token length of retrieval captions, in training and in evaluation (35, the official value; the
   * DiDeMo config uses 64 for its paragraphs).
   */
  maxTextLength?: number;
  /**
   * Retrieval and pretraining captions padded to maxTextLength ('max-length', the official code) or to
   * each batch's longest ('longest': the same losses up to float rounding, less compute for short captions).
   * Evaluation reads it too.
   */
  textPadding?: TextPadding;
  /** Frame choice of video clips when augment is off: 'uniform' (segment starts) or BLIP's 'blip-arange'. */
  frameSampling?: 'uniform' | 'blip-arange';
  /** Frames per clip for the video tasks (8 in the paper). */
  frames?: number;
  /** Training augmentation (RandomResizedCrop, flip; RandAugment for images). */
  augment?: boolean;
  randAugment?: boolean;
  /** RandAugment's AutoContrast: 'blip-uint8-wrap' (the official code) or 'stretch' (the fix). */
  autoContrast?: 'blip-uint8-wrap' | 'stretch';
  /** Dropout and drop-path in the frozen modules, as the official training (default true). */
  dropout?: boolean;
  clipGradNorm?: number;
  exemptBiasNorm?: boolean;
  /** AdamW betas and epsilon (0.9, 0.999, 1e-8 as PyTorch). */
  adamBetas?: [number, number];
  adamEps?: number;
  seed?: number;
  /**
   * Shuffle blocks of this many consecutive training records as units (default 1), for data written
   * in minimal pairs (the synthetic generator's `shapeTwins`); it must divide the batch size, and
   * training must run in one process.
   */
  shuffleBlock?: number;
  /** Samples decoded at once while a step runs. */
  loaderConcurrency?: number;
  onBadRecord?: 'skip' | 'fail';
  /** Where checkpoints, the adapter and the log go. */
  outputDir: string;
  /** Also checkpoint every N steps (a checkpoint is always written at the end of each epoch). */
  checkpointEverySteps?: number;
  /** A checkpoint file to continue from, or 'latest' (outputDir/checkpoint.safetensors if present). */
  resume?: string;
  /** Stop after this many optimizer steps in total (for short runs). */
  maxSteps?: number;
  /** LibTorch intra-op threads (default: as `uniadapter doctor` recommends). */
  threads?: number;
  /** Pretraining only: the checkpoint it writes at the end (instead of an adapter). */
  export?: WeightsExport;
}

/** Every key of {@link TrainerConfig}; the type below fails to compile when one is missing. */
const TRAINER_CONFIG_KEYS = [
  'task', 'model', 'weights', 'data', 'batchSize', 'epochs', 'lr', 'minLr', 'weightDecay', 'schedule', 'warmupSteps', 'alpha',
  'hardNegatives', 'maxTextLength', 'textPadding', 'frameSampling', 'frames', 'augment', 'randAugment', 'autoContrast', 'dropout', 'clipGradNorm',
  'exemptBiasNorm', 'adamBetas', 'adamEps', 'seed', 'shuffleBlock', 'loaderConcurrency', 'onBadRecord', 'outputDir',
  'checkpointEverySteps', 'resume', 'maxSteps', 'threads', 'export',
] as const satisfies ReadonlyArray<keyof TrainerConfig>;
const everyKeyListed: [Exclude<keyof TrainerConfig, (typeof TRAINER_CONFIG_KEYS)[number]>] extends [never] ? true : never = true;
void everyKeyListed;

/** Sections a training file may hold for other commands: `uniadapter eval` reads `evaluation` from the same file. */
const OTHER_COMMANDS_SECTIONS = ['evaluation'];

function rejectUnknownKeys(c: object): void {
  for (const k of Object.keys(c)) {
    if ((TRAINER_CONFIG_KEYS as readonly string[]).includes(k) || OTHER_COMMANDS_SECTIONS.includes(k)) continue;
    if (k === 'synthetic') {
      throw new UniAdapterError('ERR_CONFIG', "'synthetic' (a split generated before training) is read by `uniadapter pretrain` only; generate the split with `uniadapter synth` for other tasks");
    }
    throw new UniAdapterError('ERR_CONFIG', `unknown key '${k}' in the training configuration (known: ${[...TRAINER_CONFIG_KEYS, ...OTHER_COMMANDS_SECTIONS].join(', ')})`);
  }
}

/**
 * Whether a run writes a whole BLIP checkpoint (`export`) rather than an adapter: pretraining, and full
 * fine-tuning of any task (as BLIP's fine-tuned checkpoints, e.g. model_base_vqa_capfilt_large.pth).
 */
export function writesWholeModel(c: Pick<TrainerConfig, 'task' | 'model'>): boolean {
  return c.task === 'pretrain' || (c.model?.petl?.method ?? c.model?.config?.petl?.method) === 'full';
}

export function validateTrainerConfig(c: TrainerConfig): void {
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw new UniAdapterError('ERR_CONFIG', 'the training configuration must be a mapping');
  rejectUnknownKeys(c);
  validateEvaluationSection((c as { evaluation?: unknown }).evaluation);
  const tasks: TrainTask[] = ['retrieval', 'video-retrieval', 'vqa', 'video-qa', 'caption', 'pretrain'];
  if (!tasks.includes(c.task)) throw new UniAdapterError('ERR_CONFIG', `task must be one of ${tasks.join(', ')}, got '${c.task}'`);
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1) throw new UniAdapterError('ERR_CONFIG', `batchSize must be a positive integer, got ${c.batchSize}`);
  if (!c.outputDir) throw new UniAdapterError('ERR_CONFIG', 'outputDir is required');
  if (!c.model) throw new UniAdapterError('ERR_CONFIG', "'model' is required (a 'preset' or a 'config')");
  validateModelChoice(c.model);
  if (!c.data) throw new UniAdapterError('ERR_CONFIG', "'data' is required (a dataset folder or annotation files)");
  validateDataChoice(c.data);
  if (c.maxTextLength !== undefined && (!Number.isInteger(c.maxTextLength) || c.maxTextLength < 2)) {
    throw new UniAdapterError('ERR_CONFIG', `maxTextLength must be an integer of at least 2 ([CLS] and [SEP]), got ${c.maxTextLength}`);
  }
  if (c.textPadding !== undefined) checkTextPadding(c.textPadding, 'ERR_CONFIG', 'textPadding');
  if (c.export !== undefined && !writesWholeModel(c)) {
    throw new UniAdapterError(
      'ERR_CONFIG',
      `'export' is for runs that change the whole model (task 'pretrain', or petl.method 'full'), which write a whole checkpoint; task '${c.task}' with this PETL method writes an adapter`
    );
  }
  if (c.export !== undefined) validateExport(c.export);
  if (c.shuffleBlock !== undefined && (!Number.isInteger(c.shuffleBlock) || c.shuffleBlock < 1 || c.batchSize % c.shuffleBlock !== 0)) {
    throw new UniAdapterError('ERR_CONFIG', `shuffleBlock must be a positive integer that divides batchSize ${c.batchSize}, got ${String(c.shuffleBlock)}`);
  }
  if (c.maxSteps !== undefined && (!Number.isInteger(c.maxSteps) || c.maxSteps < 1)) throw new UniAdapterError('ERR_CONFIG', 'maxSteps must be a positive integer');
}

function validateExport(e: WeightsExport): void {
  const known = ['path', 'dtype', 'momentum', 'tied', 'base'];
  if (!e || typeof e !== 'object' || Array.isArray(e)) throw new UniAdapterError('ERR_CONFIG', `export must be a mapping of ${known.join(', ')}`);
  for (const k of Object.keys(e)) if (!known.includes(k)) throw new UniAdapterError('ERR_CONFIG', `export: unknown key '${k}' (known: ${known.join(', ')})`);
  if (e.path !== undefined && (typeof e.path !== 'string' || !e.path)) throw new UniAdapterError('ERR_CONFIG', 'export.path must be a non-empty path');
  if (e.dtype !== undefined && !WEIGHTS_DTYPES.includes(e.dtype)) throw new UniAdapterError('ERR_CONFIG', `export.dtype must be one of ${WEIGHTS_DTYPES.join(', ')}, got '${String(e.dtype)}'`);
  if (e.momentum !== undefined && typeof e.momentum !== 'boolean') throw new UniAdapterError('ERR_CONFIG', 'export.momentum must be true or false');
  if (e.tied !== undefined && e.tied !== 'duplicate' && e.tied !== 'once') throw new UniAdapterError('ERR_CONFIG', `export.tied must be 'duplicate' or 'once', got '${String(e.tied)}'`);
  if (e.base !== undefined && (typeof e.base !== 'string' || !e.base)) throw new UniAdapterError('ERR_CONFIG', 'export.base must be the path of the checkpoint the export is a difference from');
}
