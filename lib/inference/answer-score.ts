/**
 * How VQA answer ranking scores its shortlist: 'smoothed' (the official code: the label-smoothed loss,
 * which charges every extra answer token about 0.1 × log(vocabulary)) or 'log-likelihood' (the summed
 * log-probability alone).
 */
import { checkChoice } from '../check-choice';
import type { AnswerScore } from '../native/ops';

export type { AnswerScore };

export const ANSWER_SCORES: readonly AnswerScore[] = ['smoothed', 'log-likelihood'];

/** Throws a coded error unless `score` is one of {@link ANSWER_SCORES}. */
export function checkAnswerScore(score: unknown, code: 'ERR_ARG' | 'ERR_CONFIG' = 'ERR_ARG', name = 'score'): void {
  checkChoice(score, ANSWER_SCORES, name, code);
}
