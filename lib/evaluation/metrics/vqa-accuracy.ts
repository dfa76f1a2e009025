/**
 * Question-answering accuracy: the official VQA v2 soft accuracy (leave-one-annotator-out, min(1,
 * matches/3)) with the official answer normalisation, and the exact-match accuracy used for
 * MSRVTT-QA.
 */
import { UniAdapterError } from '../../errors';
import { normalizeVqaAnswer, vqaCleanWhitespace } from './vqa-normalize';

/**
 * When answers are normalised:
 * - `'official'` (default): as the VQA v2 evaluation tool does it — the prediction and the
 *   ground-truth answers are normalised only when the (whitespace-cleaned) ground-truth answers are not
 *   all identical. With ten identical answers "yes", the prediction "Yes" scores 0.
 * - `'always'`: normalise both sides for every question (useful for raw, unnormalised annotations).
 */
export type VqaNormalizeMode = 'official' | 'always';

export interface VqaAccuracyOptions {
  /** Answer type per question ("yes/no", "number", "other"), for `perAnswerType`. */
  answerTypes?: readonly string[];
  /** Question type per question ("what color", ...), for `perQuestionType`. */
  questionTypes?: readonly string[];
  normalize?: VqaNormalizeMode;
}

export interface VqaAccuracyResult {
  /** Mean accuracy over questions, in percent (the official tool rounds it to 2 decimals; this does not). */
  overall: number;
  /** The soft accuracy of each question, in [0, 1]. */
  perQuestion: number[];
  /** Mean accuracy per answer type, in percent; empty when no answer types were given. */
  perAnswerType: Record<string, number>;
  /** Mean accuracy per question type, in percent; empty when no question types were given. */
  perQuestionType: Record<string, number>;
}

function checkMode(mode: unknown): VqaNormalizeMode {
  if (mode !== 'official' && mode !== 'always') {
    throw new UniAdapterError('ERR_ARG', `normalize must be 'official' or 'always', got ${String(mode)}`);
  }
  return mode;
}

function soft(prediction: string, gtAnswers: readonly string[], mode: VqaNormalizeMode, where: string): number {
  if (typeof prediction !== 'string') throw new UniAdapterError('ERR_ARG', `${where}: the prediction must be a string`);
  if (!Array.isArray(gtAnswers) || gtAnswers.length < 2) {
    throw new UniAdapterError(
      'ERR_DATA',
      `${where}: needs an array of at least 2 ground-truth answers (VQA v2 has 10), got ${
        Array.isArray(gtAnswers) ? gtAnswers.length : typeof gtAnswers
      }`,
    );
  }
  let gts = gtAnswers.map((a, i) => {
    if (typeof a !== 'string') throw new UniAdapterError('ERR_DATA', `${where}: ground-truth answer ${i} is not a string`);
    return vqaCleanWhitespace(a);
  });
  let res = vqaCleanWhitespace(prediction);
  if (mode === 'always' || new Set(gts).size > 1) {
    gts = gts.map(normalizeVqaAnswer);
    res = normalizeVqaAnswer(res);
  }
  let total = 0;
  for (const g of gts) if (g === res) total++;
  // Leave each annotator out in turn: matches among the other n-1 answers.
  let sum = 0;
  for (const g of gts) sum += Math.min(1, (total - (g === res ? 1 : 0)) / 3);
  return sum / gts.length;
}

/**
 * The official VQA soft accuracy of one answer, in [0, 1]: the mean, over the n leave-one-out subsets
 * of the n ground-truth answers, of min(1, #matches in the subset / 3). With 10 answers of which m
 * match: m = 0 → 0, 1 → 0.3, 2 → 0.6, 3 → 0.9, ≥ 4 → 1.
 *
 * @param prediction the predicted answer
 * @param gtAnswers  the human answers (10 for VQA v2; at least 2)
 * @param normalize  when to normalise (see `VqaNormalizeMode`)
 * @throws UniAdapterError ERR_DATA for fewer than 2 answers or a non-string answer, ERR_ARG for a
 *   non-string prediction or unknown mode
 */
export function vqaSoftScore(
  prediction: string,
  gtAnswers: readonly string[],
  normalize: VqaNormalizeMode = 'official',
): number {
  return soft(prediction, gtAnswers, checkMode(normalize), 'vqaSoftScore');
}

function checkTypes(name: string, types: readonly string[] | undefined, n: number): void {
  if (types === undefined) return;
  if (!Array.isArray(types) || types.length !== n) {
    throw new UniAdapterError('ERR_ARG', `${name} must be an array with one entry per question (${n})`);
  }
  types.forEach((t, i) => {
    if (typeof t !== 'string') throw new UniAdapterError('ERR_DATA', `${name}[${i}] is not a string`);
  });
}

function groupMeans(types: readonly string[] | undefined, accs: readonly number[]): Record<string, number> {
  if (types === undefined) return {};
  const groups = new Map<string, number[]>();
  types.forEach((t, i) => {
    let g = groups.get(t);
    if (!g) groups.set(t, (g = []));
    g.push(accs[i]);
  });
  return Object.fromEntries([...groups].map(([t, g]) => [t, (100 * g.reduce((a, b) => a + b, 0)) / g.length]));
}

/**
 * The official VQA v2 accuracy over a set of questions: `vqaSoftScore` per question, averaged, in
 * percent; with per-answer-type and per-question-type means when the types are given.
 *
 * @param predictions one predicted answer per question
 * @param gtAnswers   the human answers of each question (10 each for VQA v2)
 * @throws UniAdapterError ERR_ARG for mismatched lengths, no questions or a bad option, ERR_DATA for a
 *   malformed ground truth
 */
export function vqaAccuracy(
  predictions: readonly string[],
  gtAnswers: ReadonlyArray<readonly string[]>,
  options: VqaAccuracyOptions = {},
): VqaAccuracyResult {
  if (!Array.isArray(predictions) || !Array.isArray(gtAnswers)) {
    throw new UniAdapterError('ERR_ARG', 'predictions and gtAnswers must be arrays');
  }
  if (predictions.length !== gtAnswers.length) {
    throw new UniAdapterError(
      'ERR_ARG',
      `${predictions.length} predictions for ${gtAnswers.length} questions: give one prediction per question`,
    );
  }
  if (predictions.length === 0) throw new UniAdapterError('ERR_ARG', 'no questions to evaluate');
  const mode = checkMode(options.normalize ?? 'official');
  checkTypes('answerTypes', options.answerTypes, predictions.length);
  checkTypes('questionTypes', options.questionTypes, predictions.length);
  const perQuestion = predictions.map((p, i) => soft(p, gtAnswers[i], mode, `question ${i}`));
  const overall = (100 * perQuestion.reduce((a, b) => a + b, 0)) / perQuestion.length;
  return {
    overall,
    perQuestion,
    perAnswerType: groupMeans(options.answerTypes, perQuestion),
    perQuestionType: groupMeans(options.questionTypes, perQuestion),
  };
}

/**
 * Exact-match accuracy, in percent, as used for MSRVTT-QA (UniAdapter's `calculate_score`): the share
 * of predictions that equal their target string exactly (no trimming, no case folding, no
 * normalisation).
 *
 * @throws UniAdapterError ERR_ARG for mismatched lengths, an empty list or a non-string entry
 */
export function exactMatchAccuracy(predictions: readonly string[], targets: readonly string[]): number {
  if (!Array.isArray(predictions) || !Array.isArray(targets)) {
    throw new UniAdapterError('ERR_ARG', 'predictions and targets must be arrays of strings');
  }
  if (predictions.length !== targets.length) {
    throw new UniAdapterError('ERR_ARG', `${predictions.length} predictions for ${targets.length} targets`);
  }
  if (predictions.length === 0) throw new UniAdapterError('ERR_ARG', 'no predictions to evaluate');
  let hit = 0;
  for (let i = 0; i < predictions.length; i++) {
    if (typeof predictions[i] !== 'string' || typeof targets[i] !== 'string') {
      throw new UniAdapterError('ERR_ARG', `entry ${i}: predictions and targets must be strings`);
    }
    if (predictions[i] === targets[i]) hit++;
  }
  return (100 * hit) / predictions.length;
}
