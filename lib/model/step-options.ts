/** Options of one native training step (forward, backward, optimizer update in one call). */
import type { OptionObject } from '../native';

export interface StepOptions {
  /** Learning rate of this step (schedules are computed in TypeScript). */
  lr: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Exempt biases and norm weights from weight decay (the official code decays everything). */
  exemptBiasNorm?: boolean;
  /** Clip the global gradient norm (0 = off, as the official code). */
  clipGradNorm?: number;
  /** false: compute gradients but do not update (gradients stay readable with grads()). */
  update?: boolean;
  /** Dropout and drop-path active (training mode); false runs the frozen modules in eval mode. */
  train?: boolean;
  /** Return the intermediate tensors of the step (for checks against the official code). */
  capture?: boolean;
}

export interface StepStats {
  loss: number;
  gradNorm: number;
  stepped: boolean;
  finite: boolean;
  lossScale: number;
  [key: string]: number | boolean;
}

export function stepOptions(o: StepOptions, extra: OptionObject = {}): OptionObject {
  return { ...(o as unknown as OptionObject), ...extra };
}
