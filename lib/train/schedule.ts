/**
 * Learning-rate and distillation schedules, computed in TypeScript and passed to every native step.
 * The official schedule is cosine per epoch (constant within an epoch), no warm-up, min lr 0
 * (ARCHITECTURE_SPEC §10.2); per-step cosine and a linear warm-up are options.
 */
import { UniAdapterError } from '../errors';

export interface ScheduleConfig {
  initLr: number;
  minLr?: number;
  epochs: number;
  /** 'cosine-epoch' (official), 'cosine-step', or 'constant'. */
  kind?: 'cosine-epoch' | 'cosine-step' | 'constant';
  /** Linear warm-up over the first steps (0 = none, as the official code). */
  warmupSteps?: number;
  warmupStartLr?: number;
}

export interface SchedulePoint {
  epoch: number;
  /** Step within the epoch (0-based). */
  step: number;
  stepsPerEpoch: number;
}

export function checkSchedule(c: ScheduleConfig): void {
  if (!(c.initLr > 0)) throw new UniAdapterError('ERR_CONFIG', `learning rate must be positive, got ${c.initLr}`);
  if (!Number.isInteger(c.epochs) || c.epochs < 1) throw new UniAdapterError('ERR_CONFIG', `epochs must be a positive integer, got ${c.epochs}`);
  if ((c.minLr ?? 0) < 0 || (c.minLr ?? 0) > c.initLr) throw new UniAdapterError('ERR_CONFIG', 'minLr must be in [0, initLr]');
  if ((c.warmupSteps ?? 0) < 0) throw new UniAdapterError('ERR_CONFIG', 'warmupSteps must be >= 0');
}

export function learningRate(c: ScheduleConfig, p: SchedulePoint): number {
  const minLr = c.minLr ?? 0;
  const kind = c.kind ?? 'cosine-epoch';
  const global = p.epoch * p.stepsPerEpoch + p.step;
  let lr: number;
  if (kind === 'constant') lr = c.initLr;
  else {
    const progress = kind === 'cosine-epoch' ? p.epoch / c.epochs : global / (c.epochs * p.stepsPerEpoch);
    lr = (c.initLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress)) + minLr;
  }
  const warm = c.warmupSteps ?? 0;
  if (global < warm) {
    const start = c.warmupStartLr ?? 0;
    lr = start + (lr - start) * ((global + 1) / warm);
  }
  return lr;
}

/** The ITC distillation weight: alpha ramped linearly over epoch 0 (i / iterations), then alpha. */
export function distillationAlpha(alpha: number, p: SchedulePoint): number {
  return p.epoch > 0 ? alpha : alpha * Math.min(1, p.step / p.stepsPerEpoch);
}
