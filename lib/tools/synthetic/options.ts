/**
 * Options of the synthetic data set generator, their defaults and their validation. The defaults make
 * a small data set that trains in minutes on two CPU cores: 64-pixel images (an 8×8 grid of 8-pixel
 * patches, or 4×4 of 16-pixel ones), about a thousand training images and a few hundred short clips.
 * The demo asks for 48-pixel images instead (lib/tools/demo/demo-plan.ts), whose 3×3 patches of 16
 * pixels line up with the scenes' grid of cells.
 */
import { checkChoice } from '../../check-choice';
import { UniAdapterError } from '../../errors';
import { MAX_CAPTIONS } from './captions';
import { RETRIEVAL_WORDINGS, type RetrievalWording } from './catalogue';
import { IMAGE_TASKS, SYNTHETIC_TASKS, VIDEO_TASKS, type SyntheticTask } from './layout';
import { MAX_QUESTIONS, QUESTION_TYPES } from './questions';
import { MAX_IMAGE_SIZE, MIN_IMAGE_SIZE } from './raster';

/** Progress of a generation run. */
export interface SyntheticProgress {
  phase: 'images' | 'videos' | 'annotations';
  done: number;
  total: number;
}

/** Options for `generateSyntheticDataset`. Every field is optional. */
export interface SyntheticDatasetOptions {
  /** Seed of everything random (a non-negative safe integer; default 0). Same seed, same bytes. */
  seed?: number;
  /** Side of the square images and video frames in pixels (16..2048, even when videos are written; default 64). */
  imageSize?: number;
  /** Training images (default 1000). */
  numTrainImages?: number;
  /** Validation images, written for retrieval only (default: as many as test images). */
  numValImages?: number;
  /** Test images (default 100). */
  numTestImages?: number;
  /** Training clips (default 200). */
  numTrainVideos?: number;
  /** Test clips (default 50). */
  numTestVideos?: number;
  /** Frames per clip (2..64; default 8). */
  framesPerVideo?: number;
  /** Frame rate written in the MP4 files (default 8). */
  fps?: number;
  /** Captions per image (1..10; default 3). */
  captionsPerImage?: number;
  /** Captions per clip (1..10; default: captionsPerImage). */
  captionsPerVideo?: number;
  /** Questions per image (1..10; default 3). */
  questionsPerImage?: number;
  /** Questions per clip (1..10; default 3). */
  questionsPerVideo?: number;
  /** Most objects in an image (1..3; default 2). Clips have one or two. */
  maxObjects?: number;
  /**
   * Name the background's pattern in image captions and ask about it (default false): an attribute the
   * images always show but captions otherwise never mention (the demo's downstream tasks use it; its
   * pretraining split does not).
   */
  patterns?: boolean;
  /**
   * Question types never asked, in any split (VQA's question types: a question's first two words, e.g.
   * 'is there'; `QUESTION_TYPES` lists them). Each item still gets its questions from the other types.
   * A split for a backbone's VQA fine-tuning can leave out the types a downstream task will ask.
   */
  omitQuestionTypes?: readonly string[];
  /**
   * How retrieval texts (train, val and test) are worded: as the captions ('scene', default) or with a
   * catalogue's names for the colors and shapes ('catalogue': "crimson ring" for "red circle"), words the
   * pretraining captions never use. Captioning and VQA keep the scene's words.
   */
  retrievalWording?: RetrievalWording;
  /**
   * Training images in shape twins (default false): every second training image is its predecessor
   * with one object in another shape (see `shapeTwin`), captioned with the same wordings. The
   * retrieval/caption train annotations then list the twins' k-th captions side by side, so that a
   * loader shuffling blocks of two records (`shuffleBlock: 2`) puts each pair in one batch. A split for
   * pretraining: in-batch negatives that differ only in shape make shape carry weight in ITC and ITM.
   */
  shapeTwins?: boolean;
  /**
   * Which tasks to write. Default: the image tasks, plus the video tasks when there are training
   * clips. Media are written only for the tasks chosen.
   */
  tasks?: readonly SyntheticTask[];
  /** Path to ffmpeg (else UNIADAPTER_FFMPEG, else the PATH). */
  ffmpeg?: string;
  /** Items encoded at the same time (default 4); ffmpeg processes are also limited to the number of CPU cores. */
  concurrency?: number;
  /** Stops the run (rejects with ERR_ABORTED); files written so far stay, the manifest is not written. */
  signal?: AbortSignal;
  /** Called after each item and phase. */
  onProgress?: (progress: SyntheticProgress) => void;
}

/** Options with every default filled in. */
export interface ResolvedSyntheticOptions {
  seed: number;
  imageSize: number;
  numTrainImages: number;
  numValImages: number;
  numTestImages: number;
  numTrainVideos: number;
  numTestVideos: number;
  framesPerVideo: number;
  fps: number;
  captionsPerImage: number;
  captionsPerVideo: number;
  questionsPerImage: number;
  questionsPerVideo: number;
  maxObjects: number;
  patterns: boolean;
  omitQuestionTypes: string[];
  retrievalWording: RetrievalWording;
  shapeTwins: boolean;
  tasks: SyntheticTask[];
  ffmpeg: string | undefined;
  concurrency: number;
}

function int(value: unknown, name: string, fallback: number, min: number, max: number): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new UniAdapterError('ERR_ARG', `${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return v;
}

function bool(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new UniAdapterError('ERR_ARG', `${name} must be true or false, got ${String(value)}`);
  return value;
}

function questionTypes(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((t) => typeof t !== 'string' || !QUESTION_TYPES.includes(t))) {
    throw new UniAdapterError('ERR_ARG', `omitQuestionTypes must be a list of question types (${QUESTION_TYPES.map((t) => `'${t}'`).join(', ')}), got ${JSON.stringify(value)}`);
  }
  return [...new Set(value as string[])];
}

function wording(value: unknown): RetrievalWording {
  if (value === undefined) return 'scene';
  checkChoice(value, RETRIEVAL_WORDINGS, 'retrievalWording');
  return value;
}

/**
 * Fills in defaults and checks every option.
 *
 * @throws UniAdapterError `ERR_ARG` naming the option that is wrong and the allowed range.
 */
export function resolveSyntheticOptions(options: SyntheticDatasetOptions = {}): ResolvedSyntheticOptions {
  if (options === null || typeof options !== 'object') throw new UniAdapterError('ERR_ARG', 'options must be an object');
  const BIG = 1_000_000;
  const seed = int(options.seed, 'seed', 0, 0, Number.MAX_SAFE_INTEGER);
  const numTrainImages = int(options.numTrainImages, 'numTrainImages', 1000, 0, BIG);
  const numTestImages = int(options.numTestImages, 'numTestImages', 100, 0, BIG);
  const numValImages = int(options.numValImages, 'numValImages', numTestImages, 0, BIG);
  const numTrainVideos = int(options.numTrainVideos, 'numTrainVideos', 200, 0, BIG);
  const numTestVideos = int(options.numTestVideos, 'numTestVideos', 50, 0, BIG);
  const captionsPerImage = int(options.captionsPerImage, 'captionsPerImage', 3, 1, MAX_CAPTIONS);
  let tasks: SyntheticTask[];
  if (options.tasks === undefined) {
    tasks = [...IMAGE_TASKS, ...(numTrainVideos > 0 ? VIDEO_TASKS : [])];
  } else {
    if (!Array.isArray(options.tasks) || options.tasks.length === 0) {
      throw new UniAdapterError('ERR_ARG', `tasks must be a non-empty list of: ${SYNTHETIC_TASKS.join(', ')}`);
    }
    for (const t of options.tasks) {
      if (!SYNTHETIC_TASKS.includes(t)) {
        throw new UniAdapterError('ERR_ARG', `unknown task '${String(t)}'; tasks are: ${SYNTHETIC_TASKS.join(', ')}`);
      }
    }
    tasks = SYNTHETIC_TASKS.filter((t) => options.tasks!.includes(t));
  }
  const wantsImages = tasks.some((t) => IMAGE_TASKS.includes(t));
  const wantsVideos = tasks.some((t) => VIDEO_TASKS.includes(t));
  if (wantsImages && (numTrainImages < 1 || numTestImages < 1)) {
    throw new UniAdapterError('ERR_ARG', 'the image tasks need at least one training and one test image (numTrainImages, numTestImages)');
  }
  if (tasks.includes('retrieval') && numValImages < 1) {
    throw new UniAdapterError('ERR_ARG', 'the retrieval task needs at least one validation image (numValImages)');
  }
  if (wantsVideos && (numTrainVideos < 1 || numTestVideos < 1)) {
    throw new UniAdapterError(
      'ERR_ARG',
      'the video tasks need at least one training and one test clip (numTrainVideos, numTestVideos); leave them out of tasks to write images only'
    );
  }
  const imageSize = int(options.imageSize, 'imageSize', 64, MIN_IMAGE_SIZE, MAX_IMAGE_SIZE);
  if (wantsVideos && imageSize % 2 !== 0) {
    throw new UniAdapterError('ERR_ARG', `imageSize must be even when videos are written (H.264 yuv420p), got ${imageSize}`);
  }
  const concurrency = int(options.concurrency, 'concurrency', 4, 1, 64);
  if (options.ffmpeg !== undefined && typeof options.ffmpeg !== 'string') throw new UniAdapterError('ERR_ARG', 'ffmpeg must be a path');
  return {
    seed,
    imageSize,
    numTrainImages,
    numValImages,
    numTestImages,
    numTrainVideos,
    numTestVideos,
    framesPerVideo: int(options.framesPerVideo, 'framesPerVideo', 8, 2, 64),
    fps: int(options.fps, 'fps', 8, 1, 240),
    captionsPerImage,
    captionsPerVideo: int(options.captionsPerVideo, 'captionsPerVideo', captionsPerImage, 1, MAX_CAPTIONS),
    questionsPerImage: int(options.questionsPerImage, 'questionsPerImage', 3, 1, MAX_QUESTIONS),
    questionsPerVideo: int(options.questionsPerVideo, 'questionsPerVideo', 3, 1, MAX_QUESTIONS),
    maxObjects: int(options.maxObjects, 'maxObjects', 2, 1, 3),
    patterns: bool(options.patterns, 'patterns', false),
    omitQuestionTypes: questionTypes(options.omitQuestionTypes),
    retrievalWording: wording(options.retrievalWording),
    shapeTwins: bool(options.shapeTwins, 'shapeTwins', false),
    tasks,
    ffmpeg: options.ffmpeg,
    concurrency,
  };
}
