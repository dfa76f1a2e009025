/**
 * Training checkpoints: everything a step changes (trainable tensors, momentum copies, queues,
 * temperature), the optimizer and loss-scaler state, the random-number state and the data position,
 * in one safetensors file written atomically. Resuming from it continues the run exactly.
 */
import type { ResolvedModelConfig } from '../config/model-config';
import { UniAdapterError } from '../errors';
import { SafetensorsFile, writeSafetensors } from '../io/safetensors';
import type { BlipModel } from '../model/blip-model';
import type { HostTensor } from '../tensor';
import { backboneFingerprint } from '../weights/adapter-file';

export const CHECKPOINT_FORMAT = 'uniadapter-checkpoint/1';

export interface TrainingProgress {
  /** The next batch to run: epoch and batch index within the epoch. */
  epoch: number;
  batch: number;
  /** Optimizer steps done. */
  step: number;
}

export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT;
  progress: TrainingProgress;
  lossScale: { scale: number; growthTracker: number };
  model: ResolvedModelConfig;
  /** The training configuration (plain data) of the run that wrote it. */
  train: Record<string, unknown>;
  backbone: { fingerprint: string; tensors: number };
  createdAt: string;
}

const PREFIX = { model: 'model.', optim: 'optim.', rng: 'rng.' } as const;

export async function saveCheckpoint(
  model: BlipModel,
  path: string,
  progress: TrainingProgress,
  train: Record<string, unknown>
): Promise<void> {
  const state = await model.stateDict('training');
  const training = await model.trainingState();
  const backbone = await backboneFingerprint(model);
  const tensors: Array<[string, HostTensor]> = [];
  for (const [n, t] of Object.entries(state)) tensors.push([PREFIX.model + n, t]);
  for (const [n, t] of Object.entries(training.optimizer)) tensors.push([PREFIX.optim + n, t]);
  for (const [n, t] of Object.entries(training.rng)) tensors.push([PREFIX.rng + n, t]);
  const meta: CheckpointState = {
    format: CHECKPOINT_FORMAT,
    progress,
    lossScale: training.lossScale,
    model: model.config,
    train,
    backbone,
    createdAt: new Date().toISOString(),
  };
  await writeSafetensors(path, tensors, { 'uniadapter-checkpoint': JSON.stringify(meta) });
}

export async function readCheckpointState(path: string): Promise<CheckpointState> {
  const file = await SafetensorsFile.open(path);
  try {
    return parseState(path, file.metadata);
  } finally {
    await file.close();
  }
}

function parseState(path: string, meta: Record<string, string>): CheckpointState {
  const raw = meta['uniadapter-checkpoint'];
  if (!raw) throw new UniAdapterError('ERR_WEIGHTS', `${path} is not a uniadapter training checkpoint`);
  const s = JSON.parse(raw) as CheckpointState;
  if (s.format !== CHECKPOINT_FORMAT) throw new UniAdapterError('ERR_WEIGHTS', `${path}: unsupported checkpoint format '${s.format}'`);
  return s;
}

/** Restores the model, optimizer, scaler and RNG state; returns where training stopped. */
export async function restoreCheckpoint(model: BlipModel, path: string, options: { allowBackboneMismatch?: boolean } = {}): Promise<CheckpointState> {
  const file = await SafetensorsFile.open(path);
  try {
    const state = parseState(path, file.metadata);
    if (state.model.task !== model.config.task || state.model.petl.method !== model.config.petl.method) {
      throw new UniAdapterError(
        'ERR_WEIGHTS',
        `${path} holds a ${state.model.task}/${state.model.petl.method} run; this model is ${model.config.task}/${model.config.petl.method}`
      );
    }
    const backbone = await backboneFingerprint(model);
    if (!options.allowBackboneMismatch && backbone.fingerprint !== state.backbone.fingerprint) {
      throw new UniAdapterError('ERR_WEIGHTS', `${path} was written with another frozen backbone (load the same BLIP weights before resuming)`);
    }
    const groups: Record<keyof typeof PREFIX, Record<string, HostTensor>> = { model: {}, optim: {}, rng: {} };
    for (const name of file.names()) {
      const key = (Object.keys(PREFIX) as Array<keyof typeof PREFIX>).find((k) => name.startsWith(PREFIX[k]));
      if (!key) throw new UniAdapterError('ERR_FORMAT', `${path}: unexpected tensor '${name}'`);
      groups[key][name.slice(PREFIX[key].length)] = await file.read(name);
    }
    const r = await model.loadTensors(groups.model, { dropMismatched: false });
    if ((r.unexpected ?? []).length) {
      throw new UniAdapterError('ERR_WEIGHTS', `${path}: tensors unknown to this model: ${(r.unexpected as string[]).slice(0, 5).join(', ')}`);
    }
    await model.restoreTrainingState({ optimizer: groups.optim, rng: groups.rng, lossScale: state.lossScale });
    return state;
  } finally {
    await file.close();
  }
}
