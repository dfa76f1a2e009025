/**
 * `generateSyntheticDataset`: writes a complete synthetic data set (images, clips, annotation files and
 * the manifest) to a folder, deterministically from a seed.
 *
 * Every item draws from its own PRNG streams keyed by (seed, kind, split, index), so an item does not
 * depend on the order of encoding. Within a split, scenes are redrawn (a bounded number of times) when
 * their signature repeats, so that canonical captions tell the items of a split apart. The manifest is
 * written last: a folder with a manifest holds a complete data set.
 */
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UniAdapterError } from '../../errors';
import { writeFileAtomic } from '../../io/atomic';
import { describeSystemError } from '../../io/random-access-file';
import {
  answerList,
  cocoCaptionGt,
  imageItemNames,
  karpathyEval,
  karpathyTrain,
  msrvttQa,
  msrvttTest,
  msrvttTrain,
  videoItemNames,
  vqaRecords,
  type ImageItem,
  type VideoItem,
} from './annotations';
import { imageCaptions, videoCaptions } from './captions';
import { catalogueWording } from './catalogue';
import {
  ANNOTATIONS_DIR,
  IMAGES_DIR,
  IMAGE_FILE_PATTERN,
  IMAGE_TASKS,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  SYNTHETIC_DATASET_NAME,
  SYNTHETIC_TASKS,
  TASK_ENTRIES,
  VIDEOS_DIR,
  VIDEO_FILE_PATTERN,
  VIDEO_TASKS,
  buildManifest,
  type ImageSplit,
  type SyntheticTask,
  type VideoSplit,
} from './layout';
import { encodeMp4Clips } from './mp4';
import { resolveSyntheticOptions, type ResolvedSyntheticOptions, type SyntheticDatasetOptions } from './options';
import { encodePng } from './png';
import { Prng } from './prng';
import { imageQuestions, simulateAnswers, videoQuestions } from './questions';
import { renderFrame, renderFrames } from './raster';
import { sampleImageScene, sampleVideoScene, sceneSignature, shapeTwin, type Scene } from './scene';

/** What a generation run wrote. Paths are absolute except where noted. */
export interface SyntheticDatasetSummary {
  /** The data set folder. */
  dir: string;
  /** The manifest file. */
  manifest: string;
  seed: number;
  imageSize: number;
  framesPerVideo: number;
  tasks: SyntheticTask[];
  counts: {
    trainImages: number;
    valImages: number;
    testImages: number;
    trainVideos: number;
    testVideos: number;
    /** Captions of training images (= retrieval/caption train records). */
    trainImageCaptions: number;
    vqaTrain: number;
    vqaTest: number;
    answers: number;
    /** Captions of training clips (= MSR-VTT train records). */
    trainVideoCaptions: number;
    videoQaTrain: number;
    videoQaTest: number;
  };
  /** Annotation files written, relative to `dir`, by task and role (as in the manifest). */
  annotations: Partial<Record<SyntheticTask, Record<string, string>>>;
  /** Bytes written, all files together. */
  bytes: number;
  /** Milliseconds per phase and in all. */
  timings: { imagesMs: number; videosMs: number; annotationsMs: number };
  elapsedMs: number;
}

/** Most clips encoded by one ffmpeg process. */
const VIDEO_BATCH = 16;
/** Most raw frame bytes held for one batch. */
const VIDEO_BATCH_BYTES = 64 * 1024 * 1024;

/** Clips per ffmpeg process: a function of the options only, so that the files are reproducible. */
function videoBatchSize(size: number, frames: number): number {
  return Math.max(1, Math.min(VIDEO_BATCH, Math.floor(VIDEO_BATCH_BYTES / (size * size * 3 * frames))));
}

/** Redraws allowed when a scene repeats a signature already used in its split. */
const UNIQUE_ATTEMPTS = 30;

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new UniAdapterError('ERR_ABORTED', 'synthetic data generation was aborted');
}

/**
 * Runs `work(i)` for i in [0, n) with at most `limit` running at once. After the first failure no new
 * work starts; the call waits for the work in flight to settle, then throws that first error.
 */
async function forEachLimited(n: number, limit: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (failure === undefined && next < n) {
      const i = next++;
      try {
        await work(i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
  if (failure !== undefined) throw failure.error;
}

function sampleUnique(sample: (attempt: number) => Scene, used: Set<string>): Scene {
  let scene = sample(0);
  for (let attempt = 1; used.has(sceneSignature(scene)) && attempt < UNIQUE_ATTEMPTS; attempt++) scene = sample(attempt);
  used.add(sceneSignature(scene));
  return scene;
}

function planImages(o: ResolvedSyntheticOptions, splits: Array<[ImageSplit, number]>): ImageItem[] {
  const items: ImageItem[] = [];
  let id = 1;
  for (const [split, count] of splits) {
    const used = new Set<string>();
    for (let i = 0; i < count; i++, id++) {
      const twin = o.shapeTwins && split === 'train' && i % 2 === 1;
      const scene = twin
        ? sampleUnique((attempt) => shapeTwin(items[items.length - 1].scene, Prng.fromKey(o.seed, 'image-twin', split, i, attempt)), used)
        : sampleUnique(
            (attempt) => sampleImageScene(Prng.fromKey(o.seed, 'image-scene', split, i, attempt), { maxObjects: o.maxObjects }),
            used
          );
      // A twin takes its predecessor's caption draws, so the two caption lists differ only in the shape word.
      const captionKey = twin ? i - 1 : i;
      const captions = imageCaptions(scene, Prng.fromKey(o.seed, 'image-captions', split, captionKey), o.captionsPerImage, { patterns: o.patterns });
      const questions = imageQuestions(scene, Prng.fromKey(o.seed, 'image-questions', split, i), o.questionsPerImage, { patterns: o.patterns, omitTypes: o.omitQuestionTypes });
      const answerRng = Prng.fromKey(o.seed, 'image-answers', split, i);
      const answers = questions.map((qa) => simulateAnswers(qa, answerRng));
      items.push({ ...imageItemNames(split, id), scene, captions, questions, answers });
    }
  }
  return items;
}

function planVideos(o: ResolvedSyntheticOptions): VideoItem[] {
  const items: VideoItem[] = [];
  let id = 1;
  const splits: Array<[VideoSplit, number]> = [
    ['train', o.numTrainVideos],
    ['test', o.numTestVideos],
  ];
  for (const [split, count] of splits) {
    const used = new Set<string>();
    for (let i = 0; i < count; i++, id++) {
      const scene = sampleUnique(
        (attempt) =>
          sampleVideoScene(Prng.fromKey(o.seed, 'video-scene', split, i, attempt), {
            frames: o.framesPerVideo,
            maxObjects: Math.min(2, o.maxObjects),
          }),
        used
      );
      const captions = videoCaptions(scene, Prng.fromKey(o.seed, 'video-captions', split, i), o.captionsPerVideo);
      const questions = videoQuestions(scene, Prng.fromKey(o.seed, 'video-questions', split, i), o.questionsPerVideo, { omitTypes: o.omitQuestionTypes });
      items.push({ ...videoItemNames(split, id), scene, captions, questions });
    }
  }
  return items;
}

async function isDirEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await fsp.readdir(dir)).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw new UniAdapterError('ERR_IO', `${dir}: cannot read the folder: ${describeSystemError(e)}`, { cause: e });
  }
}

async function removeMatching(dir: string, matches: (name: string) => boolean): Promise<void> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) if (matches(name)) await fsp.rm(path.join(dir, name), { force: true });
}

/**
 * Makes `dir` ready: creates it, or, when it already holds a synthetic data set, removes that data
 * set's manifest, media and annotation files. Refuses a non-empty folder that is not a synthetic data set.
 */
async function prepareFolder(dir: string): Promise<void> {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  if (!(await isDirEmptyOrMissing(dir))) {
    let manifest: unknown;
    try {
      manifest = JSON.parse(await fsp.readFile(manifestPath, 'utf8'));
    } catch {
      manifest = undefined;
    }
    const m = manifest as { format?: unknown; name?: unknown } | undefined;
    if (m?.format !== MANIFEST_FORMAT || m?.name !== SYNTHETIC_DATASET_NAME) {
      throw new UniAdapterError(
        'ERR_ARG',
        `${dir} is not empty and does not hold a synthetic data set (no ${MANIFEST_FILE} from a previous run); ` +
          'choose an empty or new folder'
      );
    }
    await fsp.rm(manifestPath, { force: true });
    await removeMatching(path.join(dir, IMAGES_DIR), (n) => IMAGE_FILE_PATTERN.test(n));
    await removeMatching(path.join(dir, VIDEOS_DIR), (n) => VIDEO_FILE_PATTERN.test(n));
    const annotationFiles = new Set(
      SYNTHETIC_TASKS.flatMap((t) =>
        Object.entries(TASK_ENTRIES[t])
          .filter(([k]) => k !== 'format' && k !== 'mediaRoot')
          .map(([, v]) => path.basename(v))
      )
    );
    await removeMatching(path.join(dir, ANNOTATIONS_DIR), (n) => annotationFiles.has(n));
  }
  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new UniAdapterError('ERR_IO', `${dir}: cannot create the folder: ${describeSystemError(e)}`, { cause: e });
  }
}

async function mkdirs(dirs: string[]): Promise<void> {
  for (const d of dirs) {
    try {
      await fsp.mkdir(d, { recursive: true });
    } catch (e) {
      throw new UniAdapterError('ERR_IO', `${d}: cannot create the folder: ${describeSystemError(e)}`, { cause: e });
    }
  }
}

/**
 * Generates the synthetic shapes data set into `dir` (created if missing; a previous synthetic data set
 * there is replaced; any other non-empty folder is refused) and returns what was written. Prints nothing.
 *
 * Layout: `uniadapter-dataset.json` (the manifest, written last), `images/synth_<split>_<id>.png`,
 * `videos/video<id>.mp4` and `annotations/*.json` in the formats of COCO Karpathy, COCO caption ground
 * truth, VQA v2, MSR-VTT and MSRVTT-QA. The same options give byte-identical files (with the same sharp
 * and ffmpeg builds).
 *
 * @throws UniAdapterError `ERR_ARG` for bad options or folder, `ERR_IO` when writing fails, `ERR_VIDEO`
 *   when ffmpeg is missing or fails, `ERR_ABORTED` when `options.signal` aborts.
 */
export async function generateSyntheticDataset(
  dir: string,
  options: SyntheticDatasetOptions = {}
): Promise<SyntheticDatasetSummary> {
  const started = performance.now();
  if (typeof dir !== 'string' || dir.length === 0) throw new UniAdapterError('ERR_ARG', 'the data set folder must be a non-empty path');
  const o = resolveSyntheticOptions(options);
  const signal = options.signal;
  const progress = options.onProgress;
  throwIfAborted(signal);
  const root = path.resolve(dir);
  const wantsImages = o.tasks.some((t) => IMAGE_TASKS.includes(t));
  const wantsVideos = o.tasks.some((t) => VIDEO_TASKS.includes(t));

  await prepareFolder(root);
  await mkdirs([
    path.join(root, ANNOTATIONS_DIR),
    ...(wantsImages ? [path.join(root, IMAGES_DIR)] : []),
    ...(wantsVideos ? [path.join(root, VIDEOS_DIR)] : []),
  ]);
  let bytes = 0;
  const write = async (rel: string, data: Uint8Array) => {
    await writeFileAtomic(path.join(root, rel), data);
    bytes += data.byteLength;
  };
  const writeJson = (rel: string, value: unknown) => write(rel, Buffer.from(JSON.stringify(value), 'utf8'));

  // Images.
  const t0 = performance.now();
  const imageSplits: Array<[ImageSplit, number]> = wantsImages
    ? [
        ['train', o.numTrainImages],
        ['val', o.tasks.includes('retrieval') ? o.numValImages : 0],
        ['test', o.numTestImages],
      ]
    : [];
  const images = planImages(o, imageSplits);
  let imagesDone = 0;
  await forEachLimited(images.length, o.concurrency, async (i) => {
    throwIfAborted(signal);
    const it = images[i];
    const png = await encodePng(renderFrame(it.scene, o.imageSize), o.imageSize, o.imageSize);
    await write(`${IMAGES_DIR}/${it.file}`, png);
    progress?.({ phase: 'images', done: ++imagesDone, total: images.length });
  });
  const t1 = performance.now();

  // Videos, in fixed batches per ffmpeg process (the batch a clip is in is part of its bytes).
  const videos = wantsVideos ? planVideos(o) : [];
  const batchSize = videoBatchSize(o.imageSize, o.framesPerVideo);
  const batches = Math.ceil(videos.length / batchSize);
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  let videosDone = 0;
  await forEachLimited(batches, Math.max(1, Math.min(o.concurrency, cores)), async (b) => {
    throwIfAborted(signal);
    const batch = videos.slice(b * batchSize, (b + 1) * batchSize);
    const clips = batch.map((it) => renderFrames(it.scene, o.imageSize));
    const files = await encodeMp4Clips(clips, o.imageSize, o.imageSize, { fps: o.fps, ffmpeg: o.ffmpeg, signal });
    for (let k = 0; k < batch.length; k++) await write(`${VIDEOS_DIR}/${batch[k].file}`, files[k]);
    videosDone += batch.length;
    progress?.({ phase: 'videos', done: videosDone, total: videos.length });
  });
  const t2 = performance.now();

  // Annotations, then the manifest.
  throwIfAborted(signal);
  const bySplit = (s: ImageSplit) => images.filter((it) => it.split === s);
  const trainImages = bySplit('train');
  const valImages = bySplit('val');
  const testImages = bySplit('test');
  const trainVideos = videos.filter((v) => v.split === 'train');
  const testVideos = videos.filter((v) => v.split === 'test');
  const annotations: SyntheticDatasetSummary['annotations'] = {};
  const files = (t: SyntheticTask) => {
    const { format: _format, mediaRoot: _root, ...rest } = TASK_ENTRIES[t];
    annotations[t] = rest;
    return rest;
  };
  const counts: SyntheticDatasetSummary['counts'] = {
    trainImages: trainImages.length,
    valImages: valImages.length,
    testImages: testImages.length,
    trainVideos: trainVideos.length,
    testVideos: testVideos.length,
    trainImageCaptions: trainImages.reduce((n, it) => n + it.captions.length, 0),
    vqaTrain: 0,
    vqaTest: 0,
    answers: 0,
    trainVideoCaptions: trainVideos.reduce((n, it) => n + it.captions.length, 0),
    videoQaTrain: 0,
    videoQaTest: 0,
  };
  const jobs: Array<[string, unknown]> = [];
  if (o.tasks.includes('retrieval')) {
    const f = files('retrieval');
    const worded = (items: ImageItem[]) => (o.retrievalWording === 'catalogue' ? items.map((it) => ({ ...it, captions: it.captions.map(catalogueWording) })) : items);
    jobs.push([f.train, karpathyTrain(worded(trainImages), { twins: o.shapeTwins })], [f.val, karpathyEval(worded(valImages))], [f.test, karpathyEval(worded(testImages))]);
  }
  if (o.tasks.includes('caption')) {
    const f = files('caption');
    jobs.push([f.train, karpathyTrain(trainImages, { twins: o.shapeTwins })], [f.test, karpathyEval(testImages)], [f.gt, cocoCaptionGt(testImages)]);
  }
  if (o.tasks.includes('vqa')) {
    const f = files('vqa');
    const train = vqaRecords(trainImages);
    const test = vqaRecords(testImages);
    const list = answerList([...train, ...test]);
    counts.vqaTrain = train.length;
    counts.vqaTest = test.length;
    counts.answers = list.length;
    jobs.push([f.train, train], [f.test, test], [f.answerList, list]);
  }
  if (o.tasks.includes('video-retrieval')) {
    const f = files('video-retrieval');
    jobs.push([f.train, msrvttTrain(trainVideos)], [f.test, msrvttTest(testVideos)]);
  }
  if (o.tasks.includes('video-qa')) {
    const f = files('video-qa');
    const train = msrvttQa(trainVideos);
    const test = msrvttQa(testVideos);
    counts.videoQaTrain = train.length;
    counts.videoQaTest = test.length;
    jobs.push([f.train, train], [f.test, test]);
  }
  for (const [rel, value] of jobs) await writeJson(rel, value);
  progress?.({ phase: 'annotations', done: jobs.length, total: jobs.length });
  const manifest = buildManifest(o.seed, o.tasks);
  await write(MANIFEST_FILE, Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8'));
  const t3 = performance.now();

  return {
    dir: root,
    manifest: path.join(root, MANIFEST_FILE),
    seed: o.seed,
    imageSize: o.imageSize,
    framesPerVideo: o.framesPerVideo,
    tasks: o.tasks,
    counts,
    annotations,
    bytes,
    timings: { imagesMs: t1 - t0, videosMs: t2 - t1, annotationsMs: t3 - t2 },
    elapsedMs: t3 - started,
  };
}
