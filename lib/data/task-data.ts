/**
 * Opens the dataset of a task (a dataset folder or a user's annotation files) and turns its
 * records into training samples: pixels loaded with the task's transforms, texts as they enter the
 * batch builders.
 */
import { datasetFromAnnotations, openDatasetFolder } from './dataset-folder';
import { FORMAT_TASK, formatsOf, type TaskDataset } from './datasets/task-dataset';
import { UniAdapterError } from '../errors';
import type { CaptionSample, QaSample, RetrievalSample } from './batches';
import type { MediaLoader } from './media/media-loader';
import { dataTask, type TrainTask } from '../config/model-choice';
import { validateDataChoice, type DataChoice } from './data-choice';

export type TrainSample = RetrievalSample | QaSample | CaptionSample;

/** One training record, reduced to what a sample needs. */
export interface TrainRecord {
  media: string;
  /** Retrieval: the caption; caption: the caption; QA: the question. */
  text: string;
  idx: number;
  answers: string[];
  weights: number[];
}

export async function openTaskDataset(trainTask: TrainTask, data: DataChoice): Promise<TaskDataset> {
  validateDataChoice(data);
  const task = dataTask(trainTask);
  if ('folder' in data) {
    const folder = await openDatasetFolder(data.folder);
    if (!folder.hasTask(task)) {
      throw new UniAdapterError('ERR_DATA', `${data.folder} has no '${task}' task (it has: ${folder.tasks.join(', ')})`);
    }
    return folder.task(task);
  }
  if (FORMAT_TASK[data.format] !== task) {
    throw new UniAdapterError('ERR_CONFIG', `data.format '${data.format}' holds ${FORMAT_TASK[data.format]} annotations; task '${trainTask}' reads ${task} data (formats: ${formatsOf(task).join(', ')})`);
  }
  return datasetFromAnnotations(data.format, data.annotations, data.mediaRoot);
}

export interface TrainingRecords {
  records: TrainRecord[];
  skipped: number;
}

export async function readTrainingRecords(task: TrainTask, ds: TaskDataset, onBadRecord: 'skip' | 'fail'): Promise<TrainingRecords> {
  const opts = { onBadRecord };
  switch (ds.task) {
    case 'retrieval':
    case 'video-retrieval': {
      const s = await ds.readTrain(opts);
      return { records: s.pairs.map((p) => ({ media: p.media, text: p.caption, idx: p.idx, answers: [], weights: [] })), skipped: s.skipped.length };
    }
    case 'vqa': {
      const s = await ds.readTrain(opts);
      return { records: s.records.map((r) => ({ media: r.image, text: r.question, idx: 0, answers: r.answers, weights: r.weights })), skipped: s.skipped.length };
    }
    case 'video-qa': {
      const s = await ds.readTrain(opts);
      return { records: s.records.map((r) => ({ media: r.video, text: r.question, idx: 0, answers: r.answers, weights: r.weights })), skipped: s.skipped.length };
    }
    case 'caption': {
      const s = await ds.readTrain(opts);
      return { records: s.records.map((r) => ({ media: r.image, text: r.caption, idx: r.idx, answers: [], weights: [] })), skipped: s.skipped.length };
    }
  }
  throw new UniAdapterError('ERR_ARG', `cannot train task '${task}'`);
}

/** Loads one record's pixels and packs it as the sample its batch builder takes. */
export async function loadSample(trainTask: TrainTask, r: TrainRecord, media: MediaLoader, seed: number): Promise<TrainSample> {
  const task = dataTask(trainTask);
  const video = task === 'video-retrieval' || task === 'video-qa';
  const pixels = video ? await media.video(r.media, seed) : await media.image(r.media, seed);
  if (task === 'retrieval' || task === 'video-retrieval') return { pixels, caption: r.text, idx: r.idx };
  if (task === 'caption') return { pixels, caption: r.text };
  return { pixels, question: r.text, answers: r.answers, weights: r.weights };
}
