/**
 * BLIP's `RandomAugment(N, M)`: draw N operations with replacement, apply each with probability
 * 0.5 at magnitude M (of MAX_LEVEL = 10). Sampling and applying are separate, so that one plan can
 * be applied to every frame of a video clip.
 *
 * Random draws come in the official order: the N operation indices first, then per operation one
 * draw for "apply?" and, for an applied signed operation, one draw for the sign.
 */
import { UniAdapterError } from '../../errors';
import type { RgbImage } from '../media/rgb-image';
import type { Rng } from '../rng';
import { autoContrast, brightness, equalize, sharpness, type AutoContrastMode } from './color-ops';
import { BLIP_FILL, rotate, shearX, shearY, translateX, translateY, type Fill } from './geometric-ops';

export type AugmentOp =
  | 'Identity'
  | 'AutoContrast'
  | 'Equalize'
  | 'Brightness'
  | 'Sharpness'
  | 'ShearX'
  | 'ShearY'
  | 'TranslateX'
  | 'TranslateY'
  | 'Rotate';

/** BLIP's operation list, in BLIP's order (the order matters for which index picks which op). */
export const BLIP_AUGMENT_OPS: readonly AugmentOp[] = [
  'Identity',
  'AutoContrast',
  'Brightness',
  'Sharpness',
  'Equalize',
  'ShearX',
  'ShearY',
  'TranslateX',
  'TranslateY',
  'Rotate',
];

export const MAX_LEVEL = 10;
const TRANSLATE_CONST = 10;

export interface RandomAugmentOptions {
  /** Operations drawn per image (default 2). */
  n?: number;
  /** Magnitude, 0..10 (default 5). */
  m?: number;
  /** Probability of applying each drawn operation (default 0.5). */
  prob?: number;
  /** The operations to draw from (default BLIP's ten). */
  ops?: readonly AugmentOp[];
  /** See {@link AutoContrastMode}; default 'blip-uint8-wrap' (the official code), 'stretch' is the fix. */
  autoContrastMode?: AutoContrastMode;
  /** Border colour of the geometric operations (default 128, 128, 128). */
  fill?: Fill;
}

/** One operation to apply, with its signed argument (factor, pixels or degrees) where it has one. */
export interface AugmentStep {
  op: AugmentOp;
  arg?: number;
}

const SIGNED = new Set<AugmentOp>(['ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate']);

/** The unsigned argument of an operation at magnitude `m` (official `level_to_args`). */
export function augmentMagnitude(op: AugmentOp, m: number): number | undefined {
  const level = m / MAX_LEVEL;
  switch (op) {
    case 'Brightness':
    case 'Sharpness':
      return level * 1.8 + 0.1;
    case 'ShearX':
    case 'ShearY':
      return level * 0.3;
    case 'TranslateX':
    case 'TranslateY':
      return level * TRANSLATE_CONST;
    case 'Rotate':
      return level * 30;
    default:
      return undefined;
  }
}

/** Applies one operation to an image (a new image; the input is not changed). */
export function applyAugmentStep(
  img: RgbImage,
  step: AugmentStep,
  options: { autoContrastMode?: AutoContrastMode; fill?: Fill } = {}
): RgbImage {
  const fill = options.fill ?? BLIP_FILL;
  const arg = step.arg ?? 0;
  switch (step.op) {
    case 'Identity':
      return { data: new Uint8Array(img.data), width: img.width, height: img.height };
    case 'AutoContrast':
      return autoContrast(img, options.autoContrastMode);
    case 'Equalize':
      return equalize(img);
    case 'Brightness':
      return brightness(img, step.arg ?? 1);
    case 'Sharpness':
      return sharpness(img, step.arg ?? 1);
    case 'ShearX':
      return shearX(img, arg, fill);
    case 'ShearY':
      return shearY(img, arg, fill);
    case 'TranslateX':
      return translateX(img, arg, fill);
    case 'TranslateY':
      return translateY(img, arg, fill);
    case 'Rotate':
      return rotate(img, arg, fill);
    default:
      throw new UniAdapterError('ERR_ARG', `unknown augmentation '${String((step as AugmentStep).op)}'`);
  }
}

/** BLIP's RandomAugment: `sample(rng)` draws a plan, `apply(img, plan)` applies it, `run` does both. */
export class RandomAugment {
  readonly n: number;
  readonly m: number;
  readonly prob: number;
  readonly ops: readonly AugmentOp[];
  readonly autoContrastMode: AutoContrastMode;
  readonly fill: Fill;

  constructor(options: RandomAugmentOptions = {}) {
    this.n = options.n ?? 2;
    this.m = options.m ?? 5;
    this.prob = options.prob ?? 0.5;
    this.ops = options.ops ?? BLIP_AUGMENT_OPS;
    this.autoContrastMode = options.autoContrastMode ?? 'blip-uint8-wrap';
    this.fill = options.fill ?? BLIP_FILL;
    if (!Number.isInteger(this.n) || this.n < 0) throw new UniAdapterError('ERR_ARG', `RandomAugment: n must be a non-negative integer, got ${this.n}`);
    if (!Number.isFinite(this.m) || this.m < 0 || this.m > MAX_LEVEL) {
      throw new UniAdapterError('ERR_ARG', `RandomAugment: m must be in 0..${MAX_LEVEL}, got ${this.m}`);
    }
    if (!(this.prob >= 0 && this.prob <= 1)) throw new UniAdapterError('ERR_ARG', `RandomAugment: prob must be in [0, 1], got ${this.prob}`);
    if (this.ops.length === 0) throw new UniAdapterError('ERR_ARG', 'RandomAugment: the operation list is empty');
    for (const op of this.ops) {
      if (!BLIP_AUGMENT_OPS.includes(op)) throw new UniAdapterError('ERR_ARG', `RandomAugment: unknown operation '${op}'`);
    }
    if (this.autoContrastMode !== 'stretch' && this.autoContrastMode !== 'blip-uint8-wrap') {
      throw new UniAdapterError('ERR_ARG', `RandomAugment: unknown autoContrastMode '${String(this.autoContrastMode)}'`);
    }
  }

  /** Draws a plan: the operations that will be applied, in order, with their signed arguments. */
  sample(rng: Rng): AugmentStep[] {
    const drawn: AugmentOp[] = [];
    for (let i = 0; i < this.n; i++) drawn.push(this.ops[rng.int(this.ops.length)]);
    const steps: AugmentStep[] = [];
    for (const op of drawn) {
      if (rng.next() > this.prob) continue;
      let arg = augmentMagnitude(op, this.m);
      if (arg !== undefined && SIGNED.has(op)) {
        const u = rng.next();
        // The official code negates rotations when u < 0.5 and the others when u > 0.5.
        if (op === 'Rotate' ? u < 0.5 : u > 0.5) arg = -arg;
      }
      steps.push(arg === undefined ? { op } : { op, arg });
    }
    return steps;
  }

  /** Applies a plan from {@link RandomAugment.sample}. */
  apply(img: RgbImage, steps: readonly AugmentStep[]): RgbImage {
    let out = img;
    for (const step of steps) out = applyAugmentStep(out, step, { autoContrastMode: this.autoContrastMode, fill: this.fill });
    return out === img ? { data: new Uint8Array(img.data), width: img.width, height: img.height } : out;
  }

  /** Samples a plan and applies it. */
  run(img: RgbImage, rng: Rng): RgbImage {
    return this.apply(img, this.sample(rng));
  }
}
