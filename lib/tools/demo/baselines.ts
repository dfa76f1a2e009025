/**
 * The baselines the demo's results are judged against: a VQA model that answers the most frequent
 * training answer of the question's type, and the best single caption given to every image. Both are
 * computed from training data only (the constant caption is chosen among training captions).
 */
import { evaluateCaptions } from '../../evaluation/metrics/caption-metrics';

export interface QaItem {
  question: string;
  answers: readonly string[];
}

/** A question's type, as VQA's question_type: its first two words ("what color", "is there", "how many"). */
export function questionType(question: string): string {
  return question.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 2).join(' ');
}

/** Accuracy (%) on `test` of answering each question type's most frequent answer in `train`, and that answer by type (every test type included). */
export function majorityBaseline(train: readonly QaItem[], test: readonly QaItem[]): { accuracy: number; answers: Record<string, string> } {
  const counts = new Map<string, Map<string, number>>();
  for (const r of train) {
    if (!r.answers.length) continue;
    const t = questionType(r.question);
    const m = counts.get(t) ?? new Map<string, number>();
    m.set(r.answers[0], (m.get(r.answers[0]) ?? 0) + 1);
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
  const hits = test.filter((r) => r.answers.includes(answers[questionType(r.question)])).length;
  return { accuracy: test.length ? (100 * hits) / test.length : 0, answers };
}

/** Accuracy (%) per question type of answering with `majority` (from {@link majorityBaseline}) and of each named list of predicted answers. */
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
    if (r.answers.includes(majority[t] ?? '')) h.majority++;
    names.forEach((k, j) => {
      if (r.answers.includes(predicted[k][i])) h.hits[j]++;
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
