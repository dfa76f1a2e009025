/**
 * Questions and answers about synthetic images and clips, VQA style: short questions over the scene's
 * attributes (color, shape, size, cell, count, background, motion) whose answers are one or two words
 * from a closed vocabulary. Questions are only asked when they have exactly one right answer (e.g.
 * "what color is the circle?" only when the scene has one circle), and yes/no questions are true and
 * false equally often.
 */
import { UniAdapterError } from '../../errors';
import type { Prng } from './prng';
import type { Scene, SceneObject } from './scene';
import { LOCATION_PHRASES } from './phrases';
import {
  BACKGROUNDS,
  COLORS,
  COUNT_ANSWERS,
  MOTION_ANSWERS,
  PATTERN_WORDS,
  POSITIONS,
  SHAPES,
  TEXTURES,
  SHAPE_PLURALS,
  SIZES,
  SIZE_WORDS,
  isTranslation,
  positionName,
  type PositionName,
} from './vocab';

/** What kind of answer a question has; answers of one kind are interchangeable as distractors. */
export type AnswerKind = 'color' | 'shape' | 'size' | 'position' | 'count' | 'yesno' | 'background' | 'pattern' | 'motion' | 'direction';

/** One question with its single correct answer. */
export interface QuestionAnswer {
  question: string;
  answer: string;
  kind: AnswerKind;
}

/** A question's type, as VQA's question_type: its first two words ("what color", "is there", "how many"). */
export function questionType(question: string): string {
  return question.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 2).join(' ');
}

/** Every type of question the generator asks (images and clips). */
export const QUESTION_TYPES: readonly string[] = [
  'what color',
  'what is',
  'how many',
  'what pattern',
  'is the',
  'what shape',
  'which shape',
  'is there',
  'where is',
  'what size',
  'which direction',
];

/** Most questions one item can have (question ids are `itemId * 10 + k`). */
export const MAX_QUESTIONS = 10;

/** Every answer of each kind, in vocabulary order. */
export const ANSWERS_BY_KIND: Readonly<Record<AnswerKind, readonly string[]>> = {
  color: COLORS,
  shape: SHAPES,
  size: SIZES,
  position: POSITIONS,
  count: COUNT_ANSWERS,
  yesno: ['yes', 'no'],
  background: BACKGROUNDS,
  pattern: TEXTURES.map((t) => PATTERN_WORDS[t]),
  motion: Object.values(MOTION_ANSWERS),
  direction: ['left', 'right', 'up', 'down'],
};

type Asker = (rng: Prng) => QuestionAnswer | undefined;

function yesNo(b: boolean): string {
  return b ? 'yes' : 'no';
}

function uniqueBy(objs: SceneObject[], key: (o: SceneObject) => string): SceneObject[] {
  return objs.filter((o) => objs.filter((p) => key(p) === key(o)).length === 1);
}

function pickOr(rng: Prng, objs: SceneObject[]): SceneObject | undefined {
  return objs.length === 0 ? undefined : rng.pick(objs);
}

function where(o: SceneObject, rng: Prng): string {
  return rng.pick(LOCATION_PHRASES[positionName(o.row, o.col)]);
}

/** A cell that shares neither row nor column with `o` (so "is it on the left?" is clearly false). */
function farCell(o: SceneObject, rng: Prng): PositionName {
  const cells: number[] = [];
  for (let c = 0; c < 9; c++) if (Math.floor(c / 3) !== o.row && c % 3 !== o.col) cells.push(c);
  return POSITIONS[rng.pick(cells)];
}

function checkCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_QUESTIONS) {
    throw new UniAdapterError('ERR_ARG', `questions per item must be an integer from 1 to ${MAX_QUESTIONS}, got ${count}`);
  }
}

/** Askers shared by images and clips. */
function commonAskers(scene: Scene): Asker[] {
  const objs = scene.objects;
  const byShape = uniqueBy(objs, (o) => o.shape);
  const n = objs.length;
  return [
    (r) => {
      const o = pickOr(r, byShape);
      if (!o) return undefined;
      const q = r.pick([`what color is the ${o.shape}?`, `what is the color of the ${o.shape}?`]);
      return { question: q, answer: o.color, kind: 'color' };
    },
    (r) => ({
      question: r.pick(['how many objects are there?', 'how many shapes are there?', 'how many shapes can you see?']),
      answer: String(n),
      kind: 'count',
    }),
    (r) => ({
      question: r.pick(['what color is the background?', 'what is the background color?']),
      answer: scene.background.color,
      kind: 'background',
    }),
  ];
}

/** Questions about the background's pattern (the `patterns` option). */
function patternAskers(scene: Scene): Asker[] {
  const word = PATTERN_WORDS[scene.background.texture];
  return [
    (r) => ({ question: r.pick(['what pattern is the background?', 'what is the pattern of the background?']), answer: word, kind: 'pattern' }),
    (r) => {
      const truth = r.bernoulli(0.5);
      const asked = truth ? word : r.pick(ANSWERS_BY_KIND.pattern.filter((w) => w !== word));
      return { question: `is the background ${asked}?`, answer: yesNo(truth), kind: 'yesno' };
    },
  ];
}

/** Options of the questions about an item. */
export interface QuestionOptions {
  /** Question types (see {@link questionType}) never asked; the item gets its count from the other types. */
  omitTypes?: readonly string[];
}

/** Options of the image questions. */
export interface ImageQuestionOptions extends QuestionOptions {
  /** Also ask about the background's pattern (plain, speckled, striped, shaded). */
  patterns?: boolean;
}

function imageAskers(scene: Scene, options: ImageQuestionOptions = {}): Asker[] {
  const objs = scene.objects;
  const byShape = uniqueBy(objs, (o) => o.shape);
  const byColor = uniqueBy(objs, (o) => o.color);
  const count = (pred: (o: SceneObject) => boolean) => String(objs.filter(pred).length);
  return [
    ...commonAskers(scene),
    ...(options.patterns ? patternAskers(scene) : []),
    (r) => {
      const o = r.pick(objs);
      const q = r.pick([`what color is the shape ${where(o, r)}?`, `what color is the object ${where(o, r)}?`]);
      return { question: q, answer: o.color, kind: 'color' };
    },
    (r) => {
      const o = r.pick(objs);
      const q = r.pick([`what shape is ${where(o, r)}?`, `which shape is ${where(o, r)}?`]);
      return { question: q, answer: o.shape, kind: 'shape' };
    },
    (r) => {
      const o = pickOr(r, byColor);
      if (!o) return undefined;
      const q = r.pick([`what shape is the ${o.color} object?`, `what is the shape of the ${o.color} object?`]);
      return { question: q, answer: o.shape, kind: 'shape' };
    },
    (r) => {
      if (r.bernoulli(0.5)) {
        const color = r.bernoulli(0.6) ? r.pick(objs).color : r.pick(COLORS);
        return { question: `how many ${color} objects are there?`, answer: count((o) => o.color === color), kind: 'count' };
      }
      const shape = r.bernoulli(0.6) ? r.pick(objs).shape : r.pick(SHAPES);
      return { question: `how many ${SHAPE_PLURALS[shape]} are there?`, answer: count((o) => o.shape === shape), kind: 'count' };
    },
    (r) => {
      const o = pickOr(r, byShape);
      if (!o || o.size === null) return undefined;
      const asked = r.bernoulli(0.5) ? o.size : o.size === 'small' ? 'large' : 'small';
      return { question: `is the ${o.shape} ${r.pick(SIZE_WORDS[asked])}?`, answer: yesNo(asked === o.size), kind: 'yesno' };
    },
    (r) => {
      const o = pickOr(r, byShape);
      if (!o || o.size === null) return undefined;
      const q = r.pick([`what size is the ${o.shape}?`, `is the ${o.shape} small or large?`]);
      return { question: q, answer: o.size, kind: 'size' };
    },
    (r) => {
      const o = r.pick(objs);
      if (r.bernoulli(0.5)) return { question: `is there a ${o.color} ${o.shape}?`, answer: 'yes', kind: 'yesno' };
      // A hard negative: change one attribute of an object present to a combination that is absent.
      for (let tries = 0; tries < 20; tries++) {
        const shape = r.bernoulli(0.5) ? o.shape : r.pick(SHAPES);
        const color = shape === o.shape ? r.pick(COLORS) : o.color;
        if (!objs.some((p) => p.shape === shape && p.color === color)) {
          const q = `is there ${/^[aeiou]/.test(color) ? 'an' : 'a'} ${color} ${shape}?`;
          return { question: q, answer: 'no', kind: 'yesno' };
        }
      }
      return undefined;
    },
    (r) => {
      const o = pickOr(r, uniqueBy(objs, (p) => `${p.color} ${p.shape}`));
      if (!o) return undefined;
      return { question: `where is the ${o.color} ${o.shape}?`, answer: positionName(o.row, o.col), kind: 'position' };
    },
    (r) => {
      const o = pickOr(r, byShape);
      if (!o) return undefined;
      const truth = r.bernoulli(0.5);
      const cell = truth ? positionName(o.row, o.col) : farCell(o, r);
      return { question: `is the ${o.shape} ${r.pick(LOCATION_PHRASES[cell])}?`, answer: yesNo(truth), kind: 'yesno' };
    },
  ];
}

function videoAskers(scene: Scene): Asker[] {
  const objs = scene.objects;
  const first = objs[0];
  const byShape = uniqueBy(objs, (o) => o.shape);
  const moving = isTranslation(first.motion);
  const changing = first.motion === 'growing' || first.motion === 'shrinking';
  const askers: Asker[] = [...commonAskers(scene)];
  if (moving) {
    askers.push(
      (r) => ({
        question: r.pick(['what color is the moving object?', 'what color is the shape that moves?']),
        answer: first.color,
        kind: 'color',
      }),
      (r) => ({ question: r.pick(['what shape is moving?', 'which shape is moving?']), answer: first.shape, kind: 'shape' }),
      (r) => ({
        question: r.pick([`which direction is the ${first.color} ${first.shape} moving?`, `where is the ${first.color} ${first.shape} going?`]),
        answer: first.motion,
        kind: 'direction',
      }),
      (r) => {
        const truth = r.bernoulli(0.5);
        const dir = truth ? first.motion : r.pick(['left', 'right', 'up', 'down'].filter((d) => d !== first.motion));
        return { question: `is the ${first.color} ${first.shape} moving ${dir}?`, answer: yesNo(truth), kind: 'yesno' };
      }
    );
  }
  if (changing) {
    const verb = first.motion === 'growing' ? 'growing' : 'shrinking';
    askers.push(
      () => ({ question: `what color is the ${verb} shape?`, answer: first.color, kind: 'color' }),
      (r) => ({ question: r.pick([`what shape is ${verb}?`, `which shape is ${verb}?`]), answer: first.shape, kind: 'shape' })
    );
  }
  askers.push(
    (r) => {
      const o = pickOr(r, byShape);
      if (!o) return undefined;
      return { question: `what is the ${o.shape} doing?`, answer: MOTION_ANSWERS[o.motion], kind: 'motion' };
    },
    (r) => {
      const o = pickOr(r, byShape);
      if (!o || o.motion === 'growing' || o.motion === 'shrinking') return undefined;
      return { question: `is the ${o.shape} moving?`, answer: yesNo(isTranslation(o.motion)), kind: 'yesno' };
    }
  );
  if (changing) {
    askers.push((r) => {
      const truth = r.bernoulli(0.5);
      const asked = truth ? first.motion : first.motion === 'growing' ? 'shrinking' : 'growing';
      const it = `the ${first.color} ${first.shape}`;
      const q =
        asked === 'growing'
          ? r.pick([`is ${it} growing?`, `is ${it} getting bigger?`])
          : r.pick([`is ${it} shrinking?`, `is ${it} getting smaller?`]);
      return { question: q, answer: yesNo(truth), kind: 'yesno' };
    });
  }
  return askers;
}

/** Runs askers in random order (each once per round) until `count` distinct questions of the types not omitted are found. */
function collect(askers: Asker[], rng: Prng, count: number, omitTypes: readonly string[] = []): QuestionAnswer[] {
  const out: QuestionAnswer[] = [];
  const seen = new Set<string>();
  for (let round = 0; round < 20 && out.length < count; round++) {
    for (const ask of rng.shuffle(askers.slice())) {
      if (out.length >= count) break;
      const qa = ask(rng);
      if (qa && !seen.has(qa.question) && !omitTypes.includes(questionType(qa.question))) {
        seen.add(qa.question);
        out.push(qa);
      }
    }
  }
  return out;
}

/** Up to `count` (1..10) distinct questions with answers about a still scene (fewer only if the scene allows fewer). */
export function imageQuestions(scene: Scene, rng: Prng, count: number, options: ImageQuestionOptions = {}): QuestionAnswer[] {
  checkCount(count);
  return collect(imageAskers(scene, options), rng, count, options.omitTypes);
}

/** Up to `count` (1..10) distinct questions with answers about a clip (fewer only if the scene allows fewer). */
export function videoQuestions(scene: Scene, rng: Prng, count: number, options: QuestionOptions = {}): QuestionAnswer[] {
  checkCount(count);
  return collect(videoAskers(scene), rng, count, options.omitTypes);
}

/**
 * Ten "human" answers for a VQA-v2 style record: mostly the correct answer; in about three questions
 * out of ten, one or two annotators give another answer of the same kind (so the answer weights are
 * 1.0, 0.9 or 0.8 for the correct answer).
 */
export function simulateAnswers(qa: QuestionAnswer, rng: Prng, annotators = 10): string[] {
  const answers = new Array<string>(annotators).fill(qa.answer);
  if (rng.bernoulli(0.3)) {
    const wrong = ANSWERS_BY_KIND[qa.kind].filter((a) => a !== qa.answer);
    const k = rng.bernoulli(0.6) ? 1 : 2;
    for (const slot of rng.sample([...answers.keys()], Math.min(k, annotators - 1))) answers[slot] = rng.pick(wrong);
  }
  return answers;
}
