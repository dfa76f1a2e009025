/** The checks of beam-search options shared by captioning and VQA generation, made before the native call. */
import { UniAdapterError } from '../errors';

export interface GenerationLimits {
  numBeams: number;
  maxLength: number;
  minLength: number;
  repetitionPenalty: number;
}

/** BLIP's captioning settings: 3 beams, at most 20 tokens, at least 5, no repetition penalty. */
export const CAPTION_GENERATION_DEFAULTS: GenerationLimits = { numBeams: 3, maxLength: 20, minLength: 5, repetitionPenalty: 1.0 };

/** BLIP's VQA generation: 3 beams, at most 10 tokens including [DEC], at least 1. */
export const VQA_GENERATION_DEFAULTS: GenerationLimits = { numBeams: 3, maxLength: 10, minLength: 1, repetitionPenalty: 1.0 };

/**
 * Resolves and checks generation options: `numBeams` and `maxLength` positive integers, `minLength`
 * an integer in [0, maxLength] (a default larger than the given maxLength is lowered to it),
 * `repetitionPenalty` a finite number > 0.
 *
 * @throws UniAdapterError ERR_ARG naming the option and the value given
 */
export function generationLimits(
  given: { numBeams?: number; maxLength?: number; minLength?: number; repetitionPenalty?: number },
  defaults: GenerationLimits
): GenerationLimits {
  const numBeams = given.numBeams ?? defaults.numBeams;
  const maxLength = given.maxLength ?? defaults.maxLength;
  if (!Number.isSafeInteger(numBeams) || numBeams < 1) {
    throw new UniAdapterError('ERR_ARG', `numBeams must be a positive integer, got ${String(numBeams)}`);
  }
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
    throw new UniAdapterError('ERR_ARG', `maxLength must be a positive integer, got ${String(maxLength)}`);
  }
  const minLength = given.minLength ?? Math.min(defaults.minLength, maxLength);
  if (!Number.isSafeInteger(minLength) || minLength < 0) {
    throw new UniAdapterError('ERR_ARG', `minLength must be a non-negative integer, got ${String(minLength)}`);
  }
  if (minLength > maxLength) {
    throw new UniAdapterError('ERR_ARG', `minLength ${minLength} is larger than maxLength ${maxLength}; no sequence could satisfy both`);
  }
  const repetitionPenalty = given.repetitionPenalty ?? defaults.repetitionPenalty;
  if (typeof repetitionPenalty !== 'number' || !Number.isFinite(repetitionPenalty) || repetitionPenalty <= 0) {
    throw new UniAdapterError(
      'ERR_ARG',
      `repetitionPenalty must be a finite number > 0 (1 = no penalty), got ${String(repetitionPenalty)}`
    );
  }
  return { numBeams, maxLength, minLength, repetitionPenalty };
}
