/**
 * VQA v2 and Visual Genome QA annotations in BLIP's format (ARCHITECTURE_SPEC §9.4):
 * `{question_id, question, answer: [10 human answers], image, dataset: "vqa"}`,
 * `{question, answer: "…", image, dataset: "vg"}`, test files without answers, and the
 * `answer_list.json` of candidate answers for rank inference.
 *
 * Answer weights: a VQA question gives each distinct answer the weight count/len (count/10 for the
 * usual ten answers), in order of first appearance; a VG question has its single answer with weight
 * 0.2. Questions go through pre_question (50 words); answers are kept verbatim.
 */
import { preQuestion } from '../../text/pre-text';
import { UniAdapterError } from '../../errors';
import { readAnnotationFiles, readJsonDocument, describeJson } from './annotation-file';
import { BadRecordLog, type BadRecord, type BadRecordPolicy, type RecordLocation } from './bad-records';
import { checkMediaFiles, resolveMedia } from './media';
import type { AnnotationReadOptions } from './read-options';
import { RecordError, optionalIdValue, stringField, validateRecords, type RawRecord } from './record-fields';

/** Word limit of questions. */
export const QUESTION_MAX_WORDS = 50;
/** Weight of the single answer of a Visual Genome question. */
export const VG_ANSWER_WEIGHT = 0.2;

/** One question. */
export interface VqaRecord {
  /** `question_id` (absent on VG questions). */
  questionId?: number | string;
  /** Normalised question (pre_question). */
  question: string;
  /** Resolved image path. */
  image: string;
  /** Distinct answers (empty for test questions without answers). */
  answers: string[];
  /** Weight of each distinct answer. */
  weights: number[];
  /** The human answers as given (VQA: ten of them), for the VQA accuracy; absent without answers. */
  humanAnswers?: string[];
  /** 'vqa', 'vg' or the record's own `dataset` value. */
  dataset: string;
  source: RecordLocation;
}

/** A set of questions. */
export interface VqaSet {
  kind: 'vqa';
  split: 'train' | 'test';
  records: VqaRecord[];
  skipped: BadRecord[];
}

/** Options of the VQA readers. */
export interface VqaReadOptions extends AnnotationReadOptions {
  /** Image root of Visual Genome questions (default: mediaRoot). */
  vgRoot?: string;
}

/** Distinct answers and their weights by BLIP's rule (1/len added per occurrence). */
export function answerWeights(answers: readonly string[]): { answers: string[]; weights: number[] } {
  const w = new Map<string, number>();
  for (const a of answers) w.set(a, (w.get(a) ?? 0) + 1 / answers.length);
  return { answers: [...w.keys()], weights: [...w.values()] };
}

function parseQuestion(r: RawRecord, options: VqaReadOptions, needAnswers: boolean): Omit<VqaRecord, 'source'> {
  const question = preQuestion(stringField(r, 'question'), options.maxWords ?? QUESTION_MAX_WORDS);
  const imageName = stringField(r, 'image');
  const questionId = optionalIdValue(r, 'question_id');
  const answer = r.answer ?? r.answers;
  const declared = r.dataset;
  if (declared !== undefined && typeof declared !== 'string') {
    throw new RecordError(`field 'dataset' must be a string, found ${describeJson(declared)}`);
  }
  const dataset = declared ?? (typeof answer === 'string' ? 'vg' : 'vqa');
  const root = dataset === 'vg' ? options.vgRoot ?? options.mediaRoot : options.mediaRoot;
  const base = { questionId, question, image: resolveMedia(root, imageName), dataset };
  if (answer === undefined || answer === null) {
    if (needAnswers) throw new RecordError(`missing field 'answer'`);
    if (questionId === undefined) throw new RecordError(`missing field 'question_id' (needed to report test answers)`);
    return { ...base, answers: [], weights: [] };
  }
  if (typeof answer === 'string') {
    if (dataset === 'vg') return { ...base, answers: [answer], weights: [VG_ANSWER_WEIGHT], humanAnswers: [answer] };
    return { ...base, answers: [answer], weights: [1], humanAnswers: [answer] };
  }
  if (!Array.isArray(answer) || answer.length === 0) {
    throw new RecordError(`field 'answer' must be a string or a non-empty list of strings, found ${describeJson(answer)}`);
  }
  answer.forEach((a, i) => {
    if (typeof a !== 'string') throw new RecordError(`field 'answer'[${i}] must be a string, found ${describeJson(a)}`);
  });
  const human = answer as string[];
  if (dataset === 'vg') {
    // A VG question normally has one answer string; a list is weighted 0.2 per distinct answer.
    const distinct = [...new Set(human)];
    return { ...base, answers: distinct, weights: distinct.map(() => VG_ANSWER_WEIGHT), humanAnswers: human };
  }
  return { ...base, ...answerWeights(human), humanAnswers: human };
}

async function readQuestions(
  files: string | readonly string[],
  options: VqaReadOptions,
  split: 'train' | 'test'
): Promise<VqaSet> {
  const log = new BadRecordLog(options.onBadRecord);
  const raw = await readAnnotationFiles(files, log);
  const items = validateRecords(raw, log, (r) => parseQuestion(r, options, split === 'train'));
  const kept = await checkMediaFiles(items, (q) => [q.image], log, options);
  return { kind: 'vqa', split, records: kept.map((k) => ({ ...k.value, source: k.loc })), skipped: log.records };
}

/**
 * Reads VQA training files (`vqa_train.json`, `vqa_val.json`, `vg_qa.json`, in the order given):
 * every question must have answers.
 *
 * @throws UniAdapterError `ERR_IO` (file), `ERR_DATA` (bad records under onBadRecord 'fail').
 */
export function readVqaTrain(files: string | readonly string[], options: VqaReadOptions): Promise<VqaSet> {
  return readQuestions(files, options, 'train');
}

/**
 * Reads a VQA test or validation file: answers are optional (kept when present, for local
 * accuracy); questions without answers need a `question_id`.
 *
 * @throws UniAdapterError `ERR_IO` (file), `ERR_DATA` (bad records under onBadRecord 'fail').
 */
export function readVqaTest(file: string, options: VqaReadOptions): Promise<VqaSet> {
  return readQuestions(file, options, 'test');
}

/** The candidate answers of rank inference and the entries left out. */
export interface AnswerList {
  answers: string[];
  skipped: BadRecord[];
}

/**
 * Reads `answer_list.json`: a JSON list of answer strings. Entries that are not non-empty strings,
 * and repeated answers, are bad records.
 *
 * @throws UniAdapterError `ERR_IO`, `ERR_DATA` (not a list, or a bad entry under 'fail').
 */
export async function readAnswerList(file: string, options: { onBadRecord?: BadRecordPolicy } = {}): Promise<AnswerList> {
  const log = new BadRecordLog(options.onBadRecord);
  const doc = await readJsonDocument(file, 'answer list');
  if (!Array.isArray(doc)) {
    throw new UniAdapterError('ERR_DATA', `${file}: an answer list must be a JSON list of strings, found ${describeJson(doc)}`);
  }
  const answers: string[] = [];
  const seen = new Set<string>();
  doc.forEach((a, index) => {
    if (typeof a !== 'string' || a.length === 0) log.report({ file, index }, `answer must be a non-empty string, found ${describeJson(a)}`);
    else if (seen.has(a)) log.report({ file, index }, `answer '${a}' is listed twice`);
    else {
      seen.add(a);
      answers.push(a);
    }
  });
  if (answers.length === 0) throw new UniAdapterError('ERR_DATA', `${file}: the answer list is empty`);
  return { answers, skipped: log.records };
}
