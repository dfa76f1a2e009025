/**
 * MSRVTT-QA annotations: open-ended questions on MSR-VTT videos, records
 * `{video_id | video, question, answer, question_id}`. The rank-inference answer list is the
 * vocabulary of the K most frequent training answers (ClipBERT: K = 1,500).
 */
import { preQuestion } from '../../text/pre-text';
import { UniAdapterError } from '../../errors';
import { readAnnotationFiles } from './annotation-file';
import { BadRecordLog, type BadRecord, type RecordLocation } from './bad-records';
import { checkMediaFiles, resolveVideo } from './media';
import type { VideoReadOptions } from './msrvtt';
import { RecordError, optionalIdValue, stringField, validateRecords } from './record-fields';
import { QUESTION_MAX_WORDS } from './vqa';

/** Size of the default answer vocabulary. */
export const VIDEO_QA_VOCABULARY_SIZE = 1500;

/** One video question. */
export interface VideoQaRecord {
  /** `question_id`, or the record's index in its file when absent. */
  questionId: number | string;
  /** Normalised question (pre_question). */
  question: string;
  /** Resolved video path. */
  video: string;
  /** The ground-truth answer, verbatim (absent in test files without answers). */
  answer?: string;
  /** `[answer]` (or empty): the shape the VQA model's loss takes. */
  answers: string[];
  /** `[1]` (or empty). */
  weights: number[];
  source: RecordLocation;
}

/** A set of video questions. */
export interface VideoQaSet {
  kind: 'video-qa';
  split: 'train' | 'test';
  records: VideoQaRecord[];
  skipped: BadRecord[];
}

async function readVideoQuestions(
  files: string | readonly string[],
  options: VideoReadOptions,
  split: 'train' | 'test'
): Promise<VideoQaSet> {
  const log = new BadRecordLog(options.onBadRecord);
  const raw = await readAnnotationFiles(files, log);
  const items = validateRecords(raw, log, (r, it) => {
    const answerValue = r.answer;
    let answer: string | undefined;
    if (answerValue === undefined || answerValue === null) {
      if (split === 'train') throw new RecordError(`missing field 'answer'`);
    } else if (typeof answerValue === 'string' || typeof answerValue === 'number') {
      answer = String(answerValue);
    } else {
      throw new RecordError(`field 'answer' must be a string`);
    }
    return {
      questionId: optionalIdValue(r, 'question_id', 'id') ?? it.loc.index,
      question: preQuestion(stringField(r, 'question'), options.maxWords ?? QUESTION_MAX_WORDS),
      video: resolveVideo(options.mediaRoot, stringField(r, 'video_id', 'video', 'clip_name'), options.videoExtension),
      answer,
      answers: answer === undefined ? [] : [answer],
      weights: answer === undefined ? [] : [1],
    };
  });
  const kept = await checkMediaFiles(items, (q) => [q.video], log, {
    ...options,
    video: true,
    setPath: (q, _from, to) => (q.video = to),
  });
  return { kind: 'video-qa', split, records: kept.map((k) => ({ ...k.value, source: k.loc })), skipped: log.records };
}

/**
 * Reads MSRVTT-QA training files: every record needs an answer.
 *
 * @throws UniAdapterError `ERR_IO` (file), `ERR_DATA` (bad records under onBadRecord 'fail').
 */
export function readMsrvttQaTrain(files: string | readonly string[], options: VideoReadOptions): Promise<VideoQaSet> {
  return readVideoQuestions(files, options, 'train');
}

/**
 * Reads an MSRVTT-QA validation or test file (answers optional).
 *
 * @throws UniAdapterError `ERR_IO` (file), `ERR_DATA` (bad records under onBadRecord 'fail').
 */
export function readMsrvttQaTest(file: string, options: VideoReadOptions): Promise<VideoQaSet> {
  return readVideoQuestions(file, options, 'test');
}

/**
 * The `k` most frequent answers of a training set, most frequent first; ties keep the order of first
 * appearance. Used as the candidate list of rank inference.
 *
 * @throws UniAdapterError `ERR_ARG` for a non-positive k, `ERR_DATA` when no record has an answer.
 */
export function answerVocabulary(records: readonly { answer?: string }[], k = VIDEO_QA_VOCABULARY_SIZE): string[] {
  if (!Number.isInteger(k) || k < 1) throw new UniAdapterError('ERR_ARG', `vocabulary size must be a positive integer, got ${k}`);
  const counts = new Map<string, { count: number; first: number }>();
  records.forEach((r, i) => {
    if (r.answer === undefined) return;
    const c = counts.get(r.answer);
    if (c === undefined) counts.set(r.answer, { count: 1, first: i });
    else c.count++;
  });
  if (counts.size === 0) throw new UniAdapterError('ERR_DATA', 'no answers to build an answer vocabulary from');
  return [...counts.entries()]
    .sort((a, b) => b[1].count - a[1].count || a[1].first - b[1].first)
    .slice(0, k)
    .map(([answer]) => answer);
}
