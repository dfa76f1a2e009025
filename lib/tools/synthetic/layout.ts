/**
 * The on-disk layout of a synthetic data set: the manifest (`uniadapter-dataset.json`) that dataset
 * readers start from, the annotation file of each task and split, and the names of media files, which
 * follow the real data sets (COCO-style image names, MSR-VTT-style video names).
 */

/** File name of the manifest at the root of a data set folder. */
export const MANIFEST_FILE = 'uniadapter-dataset.json';
/** Value of the manifest's `format` field. */
export const MANIFEST_FORMAT = 'uniadapter-dataset/1';
/** Value of the manifest's `name` field for synthetic data sets. */
export const SYNTHETIC_DATASET_NAME = 'synthetic-shapes';

/** Folders, relative to the data set root. */
export const IMAGES_DIR = 'images';
export const VIDEOS_DIR = 'videos';
export const ANNOTATIONS_DIR = 'annotations';

/** The tasks a synthetic data set can hold. */
export const SYNTHETIC_TASKS = ['retrieval', 'caption', 'vqa', 'video-retrieval', 'video-qa'] as const;
export type SyntheticTask = (typeof SYNTHETIC_TASKS)[number];
/** Tasks over images and over videos. */
export const IMAGE_TASKS: readonly SyntheticTask[] = ['retrieval', 'caption', 'vqa'];
export const VIDEO_TASKS: readonly SyntheticTask[] = ['video-retrieval', 'video-qa'];

/** Image splits (val is only written for retrieval). */
export type ImageSplit = 'train' | 'val' | 'test';
/** Video splits. */
export type VideoSplit = 'train' | 'test';

/** One task's entry in the manifest: its annotation format, media folder and files, relative to the root. */
export interface ManifestTask {
  format: string;
  mediaRoot: string;
  [file: string]: string;
}

/** The manifest. */
export interface DatasetManifest {
  format: typeof MANIFEST_FORMAT;
  name: string;
  seed: number;
  tasks: Partial<Record<SyntheticTask, ManifestTask>>;
}

const ann = (file: string) => `${ANNOTATIONS_DIR}/${file}`;

/** The manifest entry of each task, in manifest order. */
export const TASK_ENTRIES: Readonly<Record<SyntheticTask, ManifestTask>> = {
  retrieval: {
    format: 'coco-karpathy',
    mediaRoot: IMAGES_DIR,
    train: ann('retrieval_train.json'),
    val: ann('retrieval_val.json'),
    test: ann('retrieval_test.json'),
  },
  caption: {
    format: 'coco-caption',
    mediaRoot: IMAGES_DIR,
    train: ann('caption_train.json'),
    test: ann('caption_test.json'),
    gt: ann('caption_test_gt.json'),
  },
  vqa: {
    format: 'vqa-v2',
    mediaRoot: IMAGES_DIR,
    train: ann('vqa_train.json'),
    test: ann('vqa_test.json'),
    answerList: ann('answer_list.json'),
  },
  'video-retrieval': {
    format: 'msrvtt',
    mediaRoot: VIDEOS_DIR,
    train: ann('msrvtt_train.json'),
    test: ann('msrvtt_test.json'),
  },
  'video-qa': {
    format: 'msrvtt-qa',
    mediaRoot: VIDEOS_DIR,
    train: ann('msrvttqa_train.json'),
    test: ann('msrvttqa_test.json'),
  },
};

/** The manifest for a data set holding `tasks` (kept in the canonical task order). */
export function buildManifest(seed: number, tasks: readonly SyntheticTask[]): DatasetManifest {
  const entries: Partial<Record<SyntheticTask, ManifestTask>> = {};
  for (const t of SYNTHETIC_TASKS) if (tasks.includes(t)) entries[t] = { ...TASK_ENTRIES[t] };
  return { format: MANIFEST_FORMAT, name: SYNTHETIC_DATASET_NAME, seed, tasks: entries };
}

/** COCO-style image file name: `synth_train_000123.png`. The caption-eval image id is the number. */
export function imageFileName(split: ImageSplit, id: number): string {
  return `synth_${split}_${String(id).padStart(6, '0')}.png`;
}

/** The retrieval-train `image_id` of an image: `synth_123`. */
export function imageIdString(id: number): string {
  return `synth_${id}`;
}

/** MSR-VTT-style video name without extension: `video12`. */
export function videoName(id: number): string {
  return `video${id}`;
}

/** MSR-VTT-style video file name: `video12.mp4`. */
export function videoFileName(id: number): string {
  return `${videoName(id)}.mp4`;
}

/** Matches the media file names this layout produces (used to clear a previous run). */
export const IMAGE_FILE_PATTERN = /^synth_(train|val|test)_\d{6,}\.png$/;
export const VIDEO_FILE_PATTERN = /^video\d+\.mp4$/;
