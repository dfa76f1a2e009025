/**
 * The baselines the demo's results are judged against: a VQA model that answers the most frequent
 * training answer of the question's type, and the best single caption given to every image. Both are
 * computed from training data only (the constant caption is chosen among training captions).
 */
import { evaluateCaptions } from '../../evaluation/metrics/caption-metrics';
import { vqaSoftScore } from '../../evaluation/metrics/vqa-accuracy';
import { questionType } from '../synthetic/questions';

export { questionType };

export interface QaItem {
  question: string;
  /** The distinct answers. */
  answers: readonly string[];
  /** The human answers as given (VQA: ten), which the scores count; `answers` stands in when absent. */
  humanAnswers?: readonly string[];
}

/** The answers a question's scores count: its human answers, or its distinct answers when it has none. */
export const humanAnswers = (r: QaItem): readonly string[] => r.humanAnswers ?? r.answers;

/**
 * The score of one answer in [0, 1]: VQA v2's soft accuracy against the human answers (an answer two
 * of ten annotators gave scores 0.6, not 1), or exact match where a question has a single answer.
 */
export function answerScore(prediction: string, answers: readonly string[]): number {
  return answers.length >= 2 ? vqaSoftScore(prediction, answers) : answers[0] === prediction ? 1 : 0;
}

/** Each distinct answer with how many annotators gave it, most given first (ties in order of first appearance). */
export function tallyAnswers(answers: readonly string[]): Array<[answer: string, count: number]> {
  const n = new Map<string, number>();
  for (const a of answers) n.set(a, (n.get(a) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1]);
}

/** The answer most annotators gave (the first of those tied). */
export function consensusAnswer(answers: readonly string[]): string {
  return tallyAnswers(answers)[0]?.[0] ?? '';
}


/**
 * VQA accuracy (%) on `test` of answering each question type's most frequent answer in `train` (each
 * training question counted by its consensus answer), and that answer by type (every test type included).
 */
export function majorityBaseline(train: readonly QaItem[], test: readonly QaItem[]): { accuracy: number; answers: Record<string, string> } {
  const counts = new Map<string, Map<string, number>>();
  for (const r of train) {
    if (!r.answers.length) continue;
    const t = questionType(r.question);
    const m = counts.get(t) ?? new Map<string, number>();
    const a = consensusAnswer(humanAnswers(r));
    m.set(a, (m.get(a) ?? 0) + 1);
    counts.set(t, m);
  }
  const overall = new Map<string, number>();
  for (const m of counts.values()) for (const [a, n] of m) overall.set(a, (overall.get(a) ?? 0) + n);
  const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? '';
  const fallback = top(overall);
  const answers: Record<string, string> = {};
  for (const [t, m] of counts) answers[t] = top(m);
  // A type never seen in training gets the most frequent answer overall.
  for (const r of test) answers[questionType(r.question)] ??= fallback;
  const score = test.reduce((s, r) => s + answerScore(answers[questionType(r.question)], humanAnswers(r)), 0);
  return { accuracy: test.length ? (100 * score) / test.length : 0, answers };
}

/** VQA accuracy (%) per question type of answering with `majority` (from {@link majorityBaseline}) and of each named list of predicted answers. */
export function accuracyByType<K extends string>(
  test: readonly QaItem[],
  majority: Readonly<Record<string, string>>,
  predicted: Readonly<Record<K, readonly string[]>>
): Record<string, { questions: number; majority: number } & Record<K, number>> {
  const names = Object.keys(predicted) as K[];
  const tally = new Map<string, { questions: number; majority: number; hits: number[] }>();
  test.forEach((r, i) => {
    const t = questionType(r.question);
    const h = tally.get(t) ?? { questions: 0, majority: 0, hits: names.map(() => 0) };
    h.questions++;
    h.majority += answerScore(majority[t] ?? '', humanAnswers(r));
    names.forEach((k, j) => {
      h.hits[j] += answerScore(predicted[k][i], humanAnswers(r));
    });
    tally.set(t, h);
  });
  const out: Record<string, { questions: number; majority: number } & Record<K, number>> = {};
  for (const [t, h] of [...tally].sort((a, b) => b[1].questions - a[1].questions || (a[0] < b[0] ? -1 : 1))) {
    const pct = (n: number) => (100 * n) / h.questions;
    out[t] = { questions: h.questions, majority: pct(h.majority), ...Object.fromEntries(names.map((k, j) => [k, pct(h.hits[j])])) } as { questions: number; majority: number } & Record<K, number>;
  }
  return out;
}

/** CIDEr-D of captions against references (ids are positions). */
export function ciderOf(captions: readonly string[], references: ReadonlyArray<readonly string[]>): number {
  const gt = new Map<number, readonly string[]>(references.map((r, i) => [i, r]));
  return evaluateCaptions(captions.map((caption, i) => ({ image_id: i, caption })), gt).CIDEr;
}

/**
 * The best CIDEr-D that one caption given to every image reaches, over the `candidates` most frequent
 * training captions.
 */
export function constantCaptionCider(trainCaptions: readonly string[], references: ReadonlyArray<readonly string[]>, candidates = 100): { cider: number; caption: string } {
  const freq = new Map<string, number>();
  for (const c of trainCaptions) freq.set(c, (freq.get(c) ?? 0) + 1);
  const pool = [...freq].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, candidates).map(([c]) => c);
  let best = { cider: 0, caption: '' };
  for (const c of pool) {
    const cider = ciderOf(references.map(() => c), references);
    if (cider > best.cider) best = { cider, caption: c };
  }
  return best;
}

/** Share of images whose caption no other image got. */
export function distinctFraction(captions: readonly string[]): number {
  const n = new Map<string, number>();
  for (const c of captions) n.set(c, (n.get(c) ?? 0) + 1);
  return captions.length ? captions.filter((c) => n.get(c) === 1).length / captions.length : 0;
}
