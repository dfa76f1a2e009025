/**
 * Which held-out questions does a trained VQA adapter get wrong, and how? The questions of a demo data
 * folder are grouped by template (object words, colors, places and pattern words replaced by
 * placeholders), and for each template it prints the accuracy, the share of the commonest consensus
 * answer, and the answers the model gave most. A template whose answers are one constant (every "is
 * there a <color> <shape>?" answered "no") is one the adapter has not learned to read from the image.
 *
 *   npx tsx scripts/vqa-answer-breakdown.ts <demo-report>/data --adapter <demo-report>/vqa/adapter.safetensors [--questions 300] [--out breakdown.json]
 */
import * as path from 'path';
import { parseArgs } from 'util';
import { openDatasetFolder } from '../lib/data/dataset-folder';
import { answerQuestions } from '../lib/inference/answer';
import { writeFileAtomic } from '../lib/io/atomic';
import { setThreads } from '../lib/native/runtime-info';
import { ModelSession } from '../lib/session/model-session';
import { BlipTokenizer } from '../lib/text/tokenizer';
import { answerScore, consensusAnswer, humanAnswers } from '../lib/tools/demo/baselines';
import { demoModelConfig, FULL_PLAN } from '../lib/tools/demo/demo-plan';
import { LOCATION_PHRASES } from '../lib/tools/synthetic/phrases';
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

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { adapter: { type: 'string' }, questions: { type: 'string' }, out: { type: 'string' } } });
  const data = positionals[0];
  if (!data || !values.adapter) throw new Error('usage: vqa-answer-breakdown.ts <demo data folder> --adapter <vqa adapter> [--questions N] [--out file.json]');
  await setThreads(1);
  const tok = BlipTokenizer.bertBaseUncased();
  const task = (await openDatasetFolder(data)).task('vqa');
  const test = (await task.readEval('test')).records.slice(0, Number(values.questions ?? FULL_PLAN.qaEvalQuestions));
  const list = (await task.readAnswerList()).answers;
  const config = demoModelConfig('vqa', FULL_PLAN);
  await using session = await ModelSession.open({ config, weights: (await embeddedModel()).weights, adapter: values.adapter, tokenizer: tok });
  const res = await answerQuestions(session.modelFor('vqa'), test.map((r) => r.image), test.map((r) => r.question), { tokenizer: tok, answerList: list, k: Math.min(16, list.length) });
  const groups = new Map<string, { questions: number; score: number; truths: Map<string, number>; given: Map<string, number> }>();
  test.forEach((r, i) => {
    const key = questionTemplate(r.question);
    const g = groups.get(key) ?? { questions: 0, score: 0, truths: new Map(), given: new Map() };
    const truth = consensusAnswer(humanAnswers(r));
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
    }));
  for (const r of rows) {
    const given = Object.entries(r.given).map(([a, n]) => `${a} ×${n}`).join(', ');
    console.log(`${String(r.questions).padStart(3)}  ${r.accuracy.toFixed(0).padStart(3)} %  (commonest truth '${r.commonestTruth.answer}' ${r.commonestTruth.share.toFixed(0)} %)  ${r.template}  given: ${given}`);
  }
  if (values.out) await writeFileAtomic(values.out, Buffer.from(JSON.stringify({ data: path.resolve(data), adapter: values.adapter, questions: test.length, templates: rows }, null, 1) + '\n'));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
