/** Options of one native training step (forward, backward, optimizer update in one call). */
import type { StepInfo, StepOptionFields } from '../native/ops';

/**
 * lr: the learning rate of this step (schedules are computed in TypeScript); weightDecay, beta1, beta2,
 * eps: AdamW's; exemptBiasNorm: exempt biases and norm weights from weight decay (the official code
 * decays everything); clipGradNorm: clip the global gradient norm (0 = off, as the official code);
 * update: false computes gradients without updating (readable with grads()); train: dropout and
 * drop-path active; capture: return the step's intermediate tensors (for checks against the official
 * code). Omitted options take the core's defaults.
 */
export type StepOptions = Omit<StepOptionFields, 'backward'>;

/** What a step reports: loss, gradient norm, whether the optimizer stepped, the loss scale, task losses. */
export type StepStats = StepInfo;
