/** Options of one native training step (forward, backward, optimizer update in one call). */
import type { StepInfo } from '../native/ops';

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

/** What a step reports: loss, gradient norm, whether the optimizer stepped, the loss scale, task losses. */
export type StepStats = StepInfo;
