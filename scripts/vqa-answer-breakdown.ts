/**
 * Which held-out questions does a trained VQA adapter get wrong, and how? The questions of a demo data
 * folder are grouped by template (object words, colors, places and pattern words replaced by
 * placeholders), and for each template it prints the accuracy, the share of the commonest consensus
 * answer, and the answers the model gave most. A template whose answers are one constant (every "is
 * there a <color> <shape>?" answered "no") is one the adapter has not learned to read from the image.
 *
 * With --split train it scores the adapter on its own training questions instead (evenly spaced over the
 * training file): a template answered at its commonest answer there too is one the adapter did not fit,
 * not one it failed to generalise.
 *
 * For every template it also reports where the adapter's first answer token puts its probability: the
 * share that falls on the answer list's first tokens (`answerListMass`; the rest goes to words no
 * answer starts with), and, for yes/no templates, the AUC of log p(yes) - log p(no) between the
 * questions whose answer is "yes" and those whose answer is "no" (`yesNoAuc`; 0.5: the adapter's
 * answer does not depend on the question's truth, whatever "no" or "yes" it gives).
 *
 * With --itm, each yes/no question is also turned into the statement it checks ("is there a red
 * circle?" -> "a red circle") and scored by the frozen backbone's ITM head against its image; per
 * template, the AUC of those scores between the questions whose answer is "yes" and those whose answer
 * is "no" says whether the backbone itself tells them apart (0.5: it does not).
 *
 *   npx tsx scripts/vqa-answer-breakdown.ts <demo-report>/data --adapter <demo-report>/vqa/adapter.safetensors [--weights <VQA backbone>] [--split test|train] [--itm] [--questions 300] [--out breakdown.json]
 *
 * `--weights` names the backbone the adapter was trained on when it is not the embedded VQA backbone,
 * which the demo adapts by default: `models/demo-blip.safetensors` for an adapter of `uniadapter demo
 * --vqa-weights pretrained`; `--itm` always scores with the embedded pretrained backbone's ITM head.
 */
import { parseArgs } from 'util';
import { openDatasetFolder } from '../lib/data/dataset-folder';
import { stackPixels } from '../lib/data/batches';
import { MediaLoader } from '../lib/data/media/media-loader';
import { answerQuestions } from '../lib/inference/answer';
import { writeFileAtomic } from '../lib/io/atomic';
import { setThreads } from '../lib/native/runtime-info';
import type { HostTensor } from '../lib/tensor';
import type { VqaModel } from '../lib/model/vqa-model';
import { pixelsOf } from '../lib/data/media/media-input';
import { preQuestion } from '../lib/text/pre-text';
import { ModelSession } from '../lib/session/model-session';
import { forAnswers, forQuestions, forRetrieval, textBatchToTensors } from '../lib/text/text-batches';
import { BlipTokenizer } from '../lib/text/tokenizer';
import { answerScore, consensusAnswer, humanAnswers } from '../lib/tools/demo/baselines';
import { demoModelConfig, FULL_PLAN } from '../lib/tools/demo/demo-plan';
import { article, LOCATION_PHRASES } from '../lib/tools/synthetic/phrases';
import { COLORS, PATTERN_WORDS, SHAPE_PLURALS, SHAPES } from '../lib/tools/synthetic/vocab';
import { embeddedModel } from '../lib/weights/embedded-model';

const PLACES = Object.values(LOCATION_PHRASES)
  .flat()
  .sort((a, b) => b.length - a.length);

/** The question with its variable words replaced by placeholders. */
export function questionTemplate(question: string): string {
  let t = question;
  for (const p of PLACES) t = t.split(p).join('<place>');
  const words: Array<[readonly string[], string]> = [
    [Object.values(SHAPE_PLURALS), '<shapes>'],
    [SHAPES, '<shape>'],
    [COLORS, '<color>'],
    [Object.values(PATTERN_WORDS), '<pattern>'],
  ];
  for (const [list, placeholder] of words) for (const w of list) t = t.replace(new RegExp(`\\b${w}\\b`, 'g'), placeholder);
  return t.replace(/\ban </g, 'a <');
}

/** The statement a yes/no question checks, or undefined for a question of another form. */
export function yesNoStatement(question: string): string | undefined {
  const patterns: Array<[RegExp, (m: RegExpExecArray) => string]> = [
    [/^is there an? (\w+) (\w+)\?$/, (m) => `${article(m[1])} ${m[1]} ${m[2]}`],
    [/^is the background (\w+)\?$/, (m) => `a shape on a ${m[1]} background`],
    [/^is the (\w+) (small|little|large|big)\?$/, (m) => `${article(m[2])} ${m[2]} ${m[1]}`],
    [/^is the (\w+) ((?:in|at|on|near) .+)\?$/, (m) => `a ${m[1]} ${m[2]}`],
  ];
  for (const [re, make] of patterns) {
    const m = re.exec(question);
    if (m) return make(m);
  }
  return undefined;
}

/** `n` records evenly spaced over `records` (all of them when there are no more than `n`). */
export function evenlySpaced<T>(records: readonly T[], n: number): T[] {
  if (records.length <= n) return [...records];
  return Array.from({ length: n }, (_, i) => records[Math.floor((i * records.length) / n)]);
}

/** Probability that a random "yes" score exceeds a random "no" score (ties count half); NaN without both. */
function auc(yes: number[], no: number[]): number {
  if (yes.length === 0 || no.length === 0) return NaN;
  let wins = 0;
  for (const y of yes) for (const n of no) wins += y > n ? 1 : y === n ? 0.5 : 0;
  return wins / (yes.length * no.length);
}

/** The softmax probability of `logits` that falls on the token ids `ids` (each id counted once). */
export function softmaxMass(logits: ArrayLike<number>, ids: readonly number[]): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp(logits[i] - max);
  return [...new Set(ids)].reduce((acc, id) => acc + Math.exp(logits[id] - max), 0) / total;
}

/** Per question: the first answer token's probability mass on the answer list's first tokens, and log p(yes) - log p(no). */
async function firstTokenView(model: VqaModel, test: Array<{ image: string; question: string }>, list: readonly string[], tok: BlipTokenizer): Promise<Array<{ listMass: number; yesNoMargin: number }>> {
  const answers = textBatchToTensors(forAnswers(tok, list));
  const firstIds = [...new Set(forAnswers(tok, list).inputIds.map((row) => row[1]))];
  const [yesId, noId] = forAnswers(tok, ['yes', 'no']).inputIds.map((row) => row[1]);
  const out: Array<{ listMass: number; yesNoMargin: number }> = [];
  for (let s = 0; s < test.length; s += 32) {
    const part = test.slice(s, s + 32);
    const q = textBatchToTensors(forQuestions(tok, part.map((r) => preQuestion(r.question))));
    const pixels = await pixelsOf(part.map((r) => r.image), model.config.vision.imageSize);
    const r = await model.rank({ pixels, questionIds: q.inputIds, questionMask: q.attentionMask, answerListIds: answers.inputIds, answerListMask: answers.attentionMask }, { k: 1, capture: true });
    const logits = r.captured.rank_start_logits;
    const [rows, vocab] = logits.shape;
    const d = logits.data as Float32Array;
    for (let i = 0; i < rows; i++) {
      const row = d.subarray(i * vocab, (i + 1) * vocab);
      out.push({ listMass: softmaxMass(row, firstIds), yesNoMargin: row[yesId] - row[noId] });
    }
  }
  return out;
}

/** The frozen backbone's ITM score (match minus no-match logit) of each yes/no question's statement with its image. */
async function itmScores(test: Array<{ image: string; question: string }>, tok: BlipTokenizer): Promise<Array<number | undefined>> {
  const base = demoModelConfig('retrieval', FULL_PLAN);
  await using session = await ModelSession.open({ config: { ...base, petl: { method: 'none' } }, weights: (await embeddedModel()).weights, tokenizer: tok });
  const model = session.modelFor('retrieval');
  const media = new MediaLoader({ size: FULL_PLAN.imageSize, frames: 1, augment: false });
  const imageTokens = new Map<string, HostTensor>();
  const scores: Array<number | undefined> = [];
  for (const r of test) {
    const statement = yesNoStatement(r.question);
    if (!statement) {
      scores.push(undefined);
      continue;
    }
    let tokens = imageTokens.get(r.image);
    if (!tokens) {
      tokens = (await model.encodeImages(stackPixels([await media.image(r.image, 0)]), { tokens: true })).tokens!;
      imageTokens.set(r.image, tokens);
    }
    const t = textBatchToTensors(forRetrieval(tok, [statement], { firstToken: 'enc' }));
    const logits = (await model.itm({ inputIds: t.inputIds, attentionMask: t.attentionMask, imageTokens: tokens })).logits.data as Float32Array;
    scores.push(logits[1] - logits[0]);
  }
  return scores;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { adapter: { type: 'string' }, weights: { type: 'string' }, split: { type: 'string', default: 'test' }, itm: { type: 'boolean' }, questions: { type: 'string' }, out: { type: 'string' } } });
  const data = positionals[0];
  if (!data || !values.adapter) throw new Error('usage: vqa-answer-breakdown.ts <demo data folder> --adapter <vqa adapter> [--weights <VQA backbone>] [--split test|train] [--itm] [--questions N] [--out file.json]');
  if (values.split !== 'test' && values.split !== 'train') throw new Error(`--split must be test or train, got ${values.split}`);
  await setThreads(1);
  const tok = BlipTokenizer.bertBaseUncased();
  const task = (await openDatasetFolder(data)).task('vqa');
  const n = Number(values.questions ?? FULL_PLAN.qaEvalQuestions);
  const test = values.split === 'train' ? evenlySpaced((await task.readTrain()).records, n) : (await task.readEval('test')).records.slice(0, n);
  const list = (await task.readAnswerList()).answers;
  const config = demoModelConfig('vqa', FULL_PLAN);
  await using session = await ModelSession.open({ config, weights: values.weights ?? (await embeddedModel('vqa')).weights, adapter: values.adapter, tokenizer: tok });
  const res = await answerQuestions(session.modelFor('vqa'), test.map((r) => r.image), test.map((r) => r.question), { tokenizer: tok, answerList: list, k: Math.min(16, list.length) });
  const view = await firstTokenView(session.modelFor('vqa'), test, list, tok);
  const itm: Array<number | undefined> = values.itm ? await itmScores(test, tok) : [];
  interface Group {
    questions: number;
    score: number;
    truths: Map<string, number>;
    given: Map<string, number>;
    itm: { yes: number[]; no: number[] };
    listMass: number;
    margin: { yes: number[]; no: number[] };
  }
  const groups = new Map<string, Group>();
  test.forEach((r, i) => {
    const key = questionTemplate(r.question);
    const g: Group = groups.get(key) ?? { questions: 0, score: 0, truths: new Map(), given: new Map(), itm: { yes: [], no: [] }, listMass: 0, margin: { yes: [], no: [] } };
    const truth = consensusAnswer(humanAnswers(r));
    const s = itm[i];
    if (s !== undefined && (truth === 'yes' || truth === 'no')) g.itm[truth].push(s);
    if (truth === 'yes' || truth === 'no') g.margin[truth].push(view[i].yesNoMargin);
    g.listMass += view[i].listMass;
    g.questions++;
    g.score += answerScore(res[i].answer, humanAnswers(r));
    g.truths.set(truth, (g.truths.get(truth) ?? 0) + 1);
    g.given.set(res[i].answer, (g.given.get(res[i].answer) ?? 0) + 1);
    groups.set(key, g);
  });
  const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  const rows = [...groups]
    .sort((a, b) => b[1].questions - a[1].questions)
    .map(([template, g]) => ({
      template,
      questions: g.questions,
      accuracy: (100 * g.score) / g.questions,
      commonestTruth: { answer: top(g.truths)[0][0], share: (100 * top(g.truths)[0][1]) / g.questions },
      given: Object.fromEntries(top(g.given).slice(0, 4)),
      answerListMass: g.listMass / g.questions,
      ...(g.margin.yes.length > 0 && g.margin.no.length > 0 ? { yesNoAuc: auc(g.margin.yes, g.margin.no) } : {}),
      ...(g.itm.yes.length + g.itm.no.length > 0 ? { backboneItmAuc: auc(g.itm.yes, g.itm.no) } : {}),
    }));
  for (const r of rows) {
    const given = Object.entries(r.given).map(([a, n]) => `${a} ×${n}`).join(', ');
    const auc = r.backboneItmAuc === undefined ? '' : `  backbone ITM AUC ${r.backboneItmAuc.toFixed(2)}`;
    const yn = r.yesNoAuc === undefined ? '' : `  adapter yes/no AUC ${r.yesNoAuc.toFixed(2)}`;
    console.log(
      `${String(r.questions).padStart(3)}  ${r.accuracy.toFixed(0).padStart(3)} %  (commonest truth '${r.commonestTruth.answer}' ${r.commonestTruth.share.toFixed(0)} %)  ${r.template}  given: ${given}  ` +
        `on the answer list: ${(100 * r.answerListMass).toFixed(1)} %${yn}${auc}`
    );
  }
  if (values.out) await writeFileAtomic(values.out, Buffer.from(JSON.stringify({ data, adapter: values.adapter, ...(values.weights ? { weights: values.weights } : {}), split: values.split, questions: test.length, templates: rows }, null, 1) + '\n'));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
