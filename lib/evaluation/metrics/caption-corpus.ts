/**
 * Validation of the parallel candidate / reference lists taken by the caption metrics.
 */
import { UniAdapterError } from '../../errors';

/**
 * Checks that `candidates` holds one string per item and `references` one non-empty array of strings
 * per item. Throws `ERR_ARG` for mismatched, empty or non-string candidate lists and `ERR_DATA` for an
 * item without references or a non-string reference.
 */
export function checkCaptionCorpus(
  candidates: readonly string[],
  references: ReadonlyArray<readonly string[]>,
): void {
  if (!Array.isArray(candidates) || !Array.isArray(references)) {
    throw new UniAdapterError('ERR_ARG', 'candidates and references must be arrays');
  }
  if (candidates.length !== references.length) {
    throw new UniAdapterError(
      'ERR_ARG',
      `${candidates.length} candidates for ${references.length} reference sets: give one set per candidate`,
    );
  }
  if (candidates.length === 0) throw new UniAdapterError('ERR_ARG', 'no candidates to evaluate');
  candidates.forEach((c, i) => {
    if (typeof c !== 'string') throw new UniAdapterError('ERR_ARG', `candidate ${i} is not a string`);
    const refs = references[i];
    if (!Array.isArray(refs) || refs.length === 0) {
      throw new UniAdapterError('ERR_DATA', `candidate ${i} has no reference sentences`);
    }
    refs.forEach((r, j) => {
      if (typeof r !== 'string') throw new UniAdapterError('ERR_DATA', `reference ${j} of candidate ${i} is not a string`);
    });
  });
}
