/**
 * A task's annotation files bound to their reader: from a {@link TaskSpec} (annotation format, media
 * root, file per split) to typed `readTrain()` / `readEval(split)` functions. Used by dataset folders
 * and by raw annotation files given on their own.
 */
import { UniAdapterError } from '../../errors';
import type { BadRecordPolicy } from './bad-records';
import {
  readCocoCaptionEval,
  readCocoCaptionGt,
  readCocoCaptionTrain,
  type CaptionEvalSet,
  type CaptionGroundTruth,
  type CaptionTrainSet,
} from './coco-caption';
import { readDidemoEval, readDidemoTrain } from './didemo';
import { readKarpathyRetrievalEval, readKarpathyRetrievalTrain } from './karpathy-retrieval';
import { readMsrvttRetrievalEval, readMsrvttRetrievalTrain } from './msrvtt';
import { answerVocabulary, readMsrvttQaTest, readMsrvttQaTrain, VIDEO_QA_VOCABULARY_SIZE, type VideoQaSet } from './msrvtt-qa';
import type { RetrievalEvalSet, RetrievalTrainSet } from './retrieval-set';
import { readAnswerList, readVqaTest, readVqaTrain, type AnswerList, type VqaSet } from './vqa';

/** The tasks a dataset can serve (the CLI's task names). */
export const TASK_NAMES = ['retrieval', 'video-retrieval', 'vqa', 'video-qa', 'caption'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/** The annotation formats understood. */
export const ANNOTATION_FORMATS = [
  'coco-karpathy',
  'flickr30k',
  'msrvtt',
  'didemo',
  'vqa-v2',
  'msrvtt-qa',
  'coco-caption',
] as const;
export type AnnotationFormat = (typeof ANNOTATION_FORMATS)[number];

/** The task each format serves. */
export const FORMAT_TASK: Readonly<Record<AnnotationFormat, TaskName>> = {
  'coco-karpathy': 'retrieval',
  flickr30k: 'retrieval',
  msrvtt: 'video-retrieval',
  didemo: 'video-retrieval',
  'vqa-v2': 'vqa',
  'msrvtt-qa': 'video-qa',
  'coco-caption': 'caption',
};

/** The annotation formats of a task. */
export function formatsOf(task: TaskName): AnnotationFormat[] {
  return ANNOTATION_FORMATS.filter((f) => FORMAT_TASK[f] === task);
}

/** Files that only some formats read (any other format would ignore them). */
export const FORMAT_ONLY_FILES: Readonly<Record<'vgMediaRoot' | 'answerList' | 'gt', readonly AnnotationFormat[]>> = {
  vgMediaRoot: ['vqa-v2'],
  answerList: ['vqa-v2', 'msrvtt-qa'],
  gt: ['coco-caption'],
};

/** Why the file `key` does not go with `format` ("gt is only for coco-caption"), or undefined when it does. */
export function misplacedFile(key: string, format: AnnotationFormat): string | undefined {
  const formats = (FORMAT_ONLY_FILES as Readonly<Record<string, readonly AnnotationFormat[]>>)[key];
  return formats && !formats.includes(format) ? `${key} is only for ${formats.join(' and ')}` : undefined;
}

/** Evaluation splits. */
export type EvalSplit = 'val' | 'test';

/** Resolved (absolute) files of one task. */
export interface TaskSpec {
  format: AnnotationFormat;
  /** Folder the media names are relative to. */
  mediaRoot: string;
  /** Image root of Visual Genome questions (vqa-v2 only; default mediaRoot). */
  vgMediaRoot?: string;
  train?: string[];
  val?: string;
  test?: string;
  /** Candidate answers for rank inference (vqa-v2; msrvtt-qa builds one from training answers if absent). */
  answerList?: string;
  /** COCO-format caption ground truth per split (coco-caption). */
  gt?: Partial<Record<EvalSplit, string>>;
}

/** Options of a read: bad-record policy, eager file check, word limit. */
export interface TaskReadOptions {
  onBadRecord?: BadRecordPolicy;
  checkFiles?: boolean;
  checkConcurrency?: number;
  maxWords?: number;
  /** Extension for video names without one (default ".mp4"). */
  videoExtension?: string;
}

interface TaskBase {
  readonly format: AnnotationFormat;
  readonly spec: TaskSpec;
  /** Whether the split has an annotation file. */
  has(split: 'train' | EvalSplit): boolean;
}

/** Image or video retrieval (coco-karpathy, flickr30k, msrvtt, didemo). */
export interface RetrievalTask extends TaskBase {
  readonly task: 'retrieval' | 'video-retrieval';
  readTrain(options?: TaskReadOptions): Promise<RetrievalTrainSet>;
  readEval(split: EvalSplit, options?: TaskReadOptions): Promise<RetrievalEvalSet>;
}

/** VQA v2 (+ Visual Genome). */
export interface VqaTask extends TaskBase {
  readonly task: 'vqa';
  readTrain(options?: TaskReadOptions): Promise<VqaSet>;
  readEval(split: EvalSplit, options?: TaskReadOptions): Promise<VqaSet>;
  readAnswerList(options?: { onBadRecord?: BadRecordPolicy }): Promise<AnswerList>;
}

/** MSRVTT-QA. */
export interface VideoQaTask extends TaskBase {
  readonly task: 'video-qa';
  readTrain(options?: TaskReadOptions): Promise<VideoQaSet>;
  readEval(split: EvalSplit, options?: TaskReadOptions): Promise<VideoQaSet>;
  /** The answer list file if the task names one, else the `k` most frequent training answers. */
  readAnswerList(options?: { onBadRecord?: BadRecordPolicy; k?: number }): Promise<AnswerList>;
}

/** COCO captioning. */
export interface CaptionTask extends TaskBase {
  readonly task: 'caption';
  readTrain(options?: TaskReadOptions): Promise<CaptionTrainSet>;
  readEval(split: EvalSplit, options?: TaskReadOptions): Promise<CaptionEvalSet>;
  readGroundTruth(split: EvalSplit, options?: { onBadRecord?: BadRecordPolicy }): Promise<CaptionGroundTruth>;
}

/** The readers of one task. */
export type TaskDataset = RetrievalTask | VqaTask | VideoQaTask | CaptionTask;

/** The reader type of each task name. */
export interface TaskDatasetOf {
  retrieval: RetrievalTask;
  'video-retrieval': RetrievalTask;
  vqa: VqaTask;
  'video-qa': VideoQaTask;
  caption: CaptionTask;
}

function trainFiles(spec: TaskSpec): string[] {
  if (spec.train === undefined || spec.train.length === 0) {
    throw new UniAdapterError('ERR_ARG', `this ${spec.format} dataset has no training annotations`);
  }
  return spec.train;
}

function evalFile(spec: TaskSpec, split: EvalSplit): string {
  if (split !== 'val' && split !== 'test') {
    throw new UniAdapterError('ERR_ARG', `evaluation split must be 'val' or 'test', got '${String(split)}'`);
  }
  const f = spec[split];
  if (f === undefined) throw new UniAdapterError('ERR_ARG', `this ${spec.format} dataset has no '${split}' annotations`);
  return f;
}

/**
 * Binds a task's files to the readers of its format.
 *
 * @throws UniAdapterError `ERR_ARG` for an unknown format.
 */
export function taskDataset(spec: TaskSpec): TaskDataset {
  const base = {
    format: spec.format,
    spec,
    has: (split: 'train' | EvalSplit) => (split === 'train' ? (spec.train?.length ?? 0) > 0 : spec[split] !== undefined),
  };
  const opts = (o: TaskReadOptions | undefined) => ({ ...o, mediaRoot: spec.mediaRoot });
  switch (spec.format) {
    case 'coco-karpathy':
    case 'flickr30k':
      return {
        ...base,
        task: 'retrieval',
        readTrain: async (o) => readKarpathyRetrievalTrain(trainFiles(spec), opts(o)),
        readEval: async (split, o) => readKarpathyRetrievalEval(evalFile(spec, split), opts(o)),
      } satisfies RetrievalTask;
    case 'msrvtt':
      return {
        ...base,
        task: 'video-retrieval',
        readTrain: async (o) => readMsrvttRetrievalTrain(trainFiles(spec), opts(o)),
        readEval: async (split, o) => readMsrvttRetrievalEval(evalFile(spec, split), opts(o)),
      } satisfies RetrievalTask;
    case 'didemo':
      return {
        ...base,
        task: 'video-retrieval',
        readTrain: async (o) => readDidemoTrain(trainFiles(spec), opts(o)),
        readEval: async (split, o) => readDidemoEval(evalFile(spec, split), opts(o)),
      } satisfies RetrievalTask;
    case 'vqa-v2': {
      const vqaOpts = (o: TaskReadOptions | undefined) => ({ ...opts(o), vgRoot: spec.vgMediaRoot });
      return {
        ...base,
        task: 'vqa',
        readTrain: async (o) => readVqaTrain(trainFiles(spec), vqaOpts(o)),
        readEval: async (split, o) => readVqaTest(evalFile(spec, split), vqaOpts(o)),
        readAnswerList: async (o) => {
          if (spec.answerList === undefined) {
            throw new UniAdapterError('ERR_ARG', 'this vqa-v2 dataset names no answer list (answer_list.json)');
          }
          return readAnswerList(spec.answerList, o);
        },
      } satisfies VqaTask;
    }
    case 'msrvtt-qa':
      return {
        ...base,
        task: 'video-qa',
        readTrain: async (o) => readMsrvttQaTrain(trainFiles(spec), opts(o)),
        readEval: async (split, o) => readMsrvttQaTest(evalFile(spec, split), opts(o)),
        readAnswerList: async (o) => {
          if (spec.answerList !== undefined) return readAnswerList(spec.answerList, o);
          const train = await readMsrvttQaTrain(trainFiles(spec), { mediaRoot: spec.mediaRoot, onBadRecord: o?.onBadRecord ?? 'skip' });
          return { answers: answerVocabulary(train.records, o?.k ?? VIDEO_QA_VOCABULARY_SIZE), skipped: train.skipped };
        },
      } satisfies VideoQaTask;
    case 'coco-caption':
      return {
        ...base,
        task: 'caption',
        readTrain: async (o) => readCocoCaptionTrain(trainFiles(spec), opts(o)),
        readEval: async (split, o) => readCocoCaptionEval(evalFile(spec, split), opts(o)),
        readGroundTruth: async (split, o) => {
          const gt = spec.gt?.[split];
          if (gt === undefined) throw new UniAdapterError('ERR_ARG', `this coco-caption dataset names no '${split}' ground truth`);
          return readCocoCaptionGt(gt, o);
        },
      } satisfies CaptionTask;
    default:
      throw new UniAdapterError(
        'ERR_ARG',
        `unknown annotation format '${String((spec as { format: unknown }).format)}'; expected one of ${ANNOTATION_FORMATS.join(', ')}`
      );
  }
}
