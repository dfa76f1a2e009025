/**
 * Dataset folders: the one dataset layout every CLI command accepts. A folder holds a manifest,
 * `uniadapter-dataset.json`, naming for each task its annotation format, media folder and files:
 *
 * ```json
 * { "format": "uniadapter-dataset/1", "name": "coco",
 *   "tasks": { "retrieval": { "format": "coco-karpathy", "mediaRoot": "images",
 *                             "train": "annotations/coco_karpathy_train.json",
 *                             "val": "annotations/coco_karpathy_val.json",
 *                             "test": "annotations/coco_karpathy_test.json" } } }
 * ```
 *
 * Task names: retrieval, video-retrieval, vqa, video-qa, caption. Task keys: `format`, `mediaRoot`,
 * `train` (a path or a list of paths), `val`, `test`, `answerList`, `gt` (a path, the test ground
 * truth, or `{val, test}`), and for vqa-v2 `vgMediaRoot`. Paths are relative to the folder (absolute
 * paths are allowed). Other top-level keys (for example a generator's `seed`) are ignored.
 *
 * Real annotation files without a manifest are opened with {@link datasetFromAnnotations}.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import { UniAdapterError } from '../errors';
import { readJsonDocument } from './datasets/annotation-file';
import {
  ANNOTATION_FORMATS,
  FORMAT_TASK,
  formatsOf,
  misplacedFile,
  TASK_NAMES,
  taskDataset,
  type AnnotationFormat,
  type EvalSplit,
  type TaskDataset,
  type TaskDatasetOf,
  type TaskName,
  type TaskSpec,
} from './datasets/task-dataset';

/** File name of the manifest at the root of a dataset folder. */
export const DATASET_MANIFEST_FILE = 'uniadapter-dataset.json';
/** Value of the manifest's `format` field. */
export const DATASET_MANIFEST_FORMAT = 'uniadapter-dataset/1';

/** An opened, validated dataset folder. */
export interface DatasetFolder {
  /** Absolute path of the folder. */
  dir: string;
  /** The manifest's `name`. */
  name: string;
  /** The tasks the folder serves, in manifest order. */
  tasks: TaskName[];
  /** Whether the folder serves a task. */
  hasTask(task: TaskName): boolean;
  /**
   * The typed readers of a task.
   *
   * @throws UniAdapterError `ERR_ARG` when the folder has no such task (the message lists those it has).
   */
  task<T extends TaskName>(task: T): TaskDatasetOf[T];
}

const TASK_KEYS = new Set(['format', 'mediaRoot', 'vgMediaRoot', 'train', 'val', 'test', 'answerList', 'gt']);

function manifestError(file: string, msg: string): UniAdapterError {
  return new UniAdapterError('ERR_DATA', `${file}: ${msg}`);
}

async function statKind(p: string): Promise<'file' | 'dir' | undefined> {
  try {
    const st = await fsp.stat(p);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** Per-task validation context. */
interface Ctx {
  file: string;
  dir: string;
  where: string;
  missing: string[];
}

async function filePath(ctx: Ctx, key: string, v: unknown): Promise<string> {
  if (typeof v !== 'string' || v.length === 0) {
    throw manifestError(ctx.file, `${ctx.where}.${key} must be a path (a non-empty string)`);
  }
  const p = path.resolve(ctx.dir, v);
  if ((await statKind(p)) !== 'file') ctx.missing.push(`${ctx.where}.${key} → ${p}`);
  return p;
}

async function dirPath(ctx: Ctx, key: string, v: unknown): Promise<string> {
  if (typeof v !== 'string' || v.length === 0) {
    throw manifestError(ctx.file, `${ctx.where}.${key} must be a folder path (a non-empty string)`);
  }
  const p = path.resolve(ctx.dir, v);
  if ((await statKind(p)) !== 'dir') ctx.missing.push(`${ctx.where}.${key} → ${p} (folder)`);
  return p;
}

async function parseTask(ctx: Ctx, task: TaskName, raw: unknown): Promise<TaskSpec> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw manifestError(ctx.file, `${ctx.where} must be an object`);
  }
  const t = raw as Record<string, unknown>;
  for (const k of Object.keys(t)) {
    if (!TASK_KEYS.has(k)) {
      throw manifestError(ctx.file, `${ctx.where} has an unknown key '${k}' (known: ${[...TASK_KEYS].join(', ')})`);
    }
  }
  const format = t.format;
  if (typeof format !== 'string' || !(ANNOTATION_FORMATS as readonly string[]).includes(format)) {
    throw manifestError(ctx.file, `${ctx.where}.format must be one of ${ANNOTATION_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  }
  const fmt = format as AnnotationFormat;
  if (FORMAT_TASK[fmt] !== task) {
    throw manifestError(ctx.file, `${ctx.where}: format '${fmt}' is for task '${FORMAT_TASK[fmt]}'; task '${task}' takes ${formatsOf(task).join(' or ')}`);
  }
  for (const k of Object.keys(t)) {
    const misplaced = misplacedFile(k, fmt);
    if (misplaced) throw manifestError(ctx.file, `${ctx.where}.${misplaced}`);
  }
  const spec: TaskSpec = { format: fmt, mediaRoot: await dirPath(ctx, 'mediaRoot', t.mediaRoot) };
  if (t.vgMediaRoot !== undefined) {
    spec.vgMediaRoot = await dirPath(ctx, 'vgMediaRoot', t.vgMediaRoot);
  }
  if (t.train !== undefined) {
    const list = Array.isArray(t.train) ? t.train : [t.train];
    if (list.length === 0) throw manifestError(ctx.file, `${ctx.where}.train is an empty list`);
    spec.train = [];
    for (let i = 0; i < list.length; i++) spec.train.push(await filePath(ctx, Array.isArray(t.train) ? `train[${i}]` : 'train', list[i]));
  }
  if (t.val !== undefined) spec.val = await filePath(ctx, 'val', t.val);
  if (t.test !== undefined) spec.test = await filePath(ctx, 'test', t.test);
  if (spec.train === undefined && spec.val === undefined && spec.test === undefined) {
    throw manifestError(ctx.file, `${ctx.where} names no annotation file (train, val or test)`);
  }
  if (t.answerList !== undefined) {
    spec.answerList = await filePath(ctx, 'answerList', t.answerList);
  }
  if (t.gt !== undefined) {
    spec.gt = {};
    if (typeof t.gt === 'string') spec.gt.test = await filePath(ctx, 'gt', t.gt);
    else if (t.gt !== null && typeof t.gt === 'object' && !Array.isArray(t.gt)) {
      for (const [k, v] of Object.entries(t.gt as Record<string, unknown>)) {
        if (k !== 'val' && k !== 'test') throw manifestError(ctx.file, `${ctx.where}.gt may only have keys val and test, found '${k}'`);
        spec.gt[k as EvalSplit] = await filePath(ctx, `gt.${k}`, v);
      }
    } else throw manifestError(ctx.file, `${ctx.where}.gt must be a path or {"val": path, "test": path}`);
  }
  return spec;
}

function folderOf(dir: string, name: string, specs: Map<TaskName, TaskSpec>): DatasetFolder {
  const readers = new Map<TaskName, TaskDataset>();
  for (const [task, spec] of specs) readers.set(task, taskDataset(spec));
  return {
    dir,
    name,
    tasks: [...specs.keys()],
    hasTask: (task) => readers.has(task),
    task: <T extends TaskName>(task: T) => {
      const r = readers.get(task);
      if (r === undefined) {
        throw new UniAdapterError(
          'ERR_ARG',
          `dataset '${name}' (${dir}) has no '${task}' task; it has: ${[...readers.keys()].join(', ') || 'none'}`
        );
      }
      return r as TaskDatasetOf[T];
    },
  };
}

/**
 * Opens a dataset folder: reads and validates its manifest, checks that every annotation file and
 * media folder it names exists, and returns typed readers per task and split. Annotation files are
 * read only when a reader is called.
 *
 * @throws UniAdapterError `ERR_IO` when the folder or manifest cannot be read; `ERR_DATA` when the
 *   manifest is invalid or names files that do not exist (all of them are listed).
 */
export async function openDatasetFolder(dir: string): Promise<DatasetFolder> {
  const root = path.resolve(dir);
  const kind = await statKind(root);
  if (kind !== 'dir') throw new UniAdapterError('ERR_IO', `dataset folder not found: '${root}'`);
  const file = path.join(root, DATASET_MANIFEST_FILE);
  if ((await statKind(file)) !== 'file') {
    throw new UniAdapterError(
      'ERR_IO',
      `'${root}' is not a uniadapter dataset folder: it has no ${DATASET_MANIFEST_FILE}. ` +
        `Write one (see the README), or pass the annotation files and media folder directly.`
    );
  }
  const doc = await readJsonDocument(file, 'dataset manifest');
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw manifestError(file, 'the manifest must be a JSON object');
  const m = doc as Record<string, unknown>;
  if (m.format !== DATASET_MANIFEST_FORMAT) {
    throw manifestError(file, `format must be "${DATASET_MANIFEST_FORMAT}", got ${JSON.stringify(m.format)}`);
  }
  if (typeof m.name !== 'string' || m.name.length === 0) throw manifestError(file, 'name must be a non-empty string');
  if (m.tasks === null || typeof m.tasks !== 'object' || Array.isArray(m.tasks)) {
    throw manifestError(file, 'tasks must be an object mapping task names to their files');
  }
  const specs = new Map<TaskName, TaskSpec>();
  const missing: string[] = [];
  for (const [task, raw] of Object.entries(m.tasks as Record<string, unknown>)) {
    if (!(TASK_NAMES as readonly string[]).includes(task)) {
      throw manifestError(file, `unknown task '${task}'; tasks are ${TASK_NAMES.join(', ')}`);
    }
    specs.set(task as TaskName, await parseTask({ file, dir: root, where: `tasks.${task}`, missing }, task as TaskName, raw));
  }
  if (specs.size === 0) throw manifestError(file, 'tasks is empty');
  if (missing.length > 0) throw manifestError(file, `names files that do not exist:\n  ${missing.join('\n  ')}`);
  return folderOf(root, m.name, specs);
}

/** Annotation files of one task given per split. */
export interface AnnotationPaths {
  train?: string | string[];
  val?: string;
  test?: string;
  answerList?: string;
  gt?: string | Partial<Record<EvalSplit, string>>;
  /** Image root of Visual Genome questions (vqa-v2). */
  vgMediaRoot?: string;
}

/**
 * Readers for a user's real annotation files without a manifest. `annotations` is either the files
 * per split, or one file (or list of files) that then serves whichever split is read: `readTrain()`
 * reads it as training data, `readEval('val' | 'test')` as evaluation data.
 *
 * Paths are taken as given (relative to the working directory); existence is checked on read.
 *
 * @throws UniAdapterError `ERR_ARG` for an unknown format or empty paths.
 */
export function datasetFromAnnotations(
  format: AnnotationFormat,
  annotations: string | string[] | AnnotationPaths,
  mediaRoot: string
): TaskDataset {
  if (!(ANNOTATION_FORMATS as readonly string[]).includes(format)) {
    throw new UniAdapterError('ERR_ARG', `unknown annotation format '${String(format)}'; expected one of ${ANNOTATION_FORMATS.join(', ')}`);
  }
  if (typeof mediaRoot !== 'string' || mediaRoot.length === 0) {
    throw new UniAdapterError('ERR_ARG', 'a media root folder is needed (where the images or videos are)');
  }
  const abs = (p: string) => path.resolve(p);
  const spec: TaskSpec = { format, mediaRoot: abs(mediaRoot) };
  if (typeof annotations === 'string' || Array.isArray(annotations)) {
    const list = (typeof annotations === 'string' ? [annotations] : annotations).map(abs);
    if (list.length === 0) throw new UniAdapterError('ERR_ARG', 'no annotation file given');
    spec.train = list;
    if (list.length === 1) spec.val = spec.test = list[0];
  } else {
    if (annotations.train !== undefined) spec.train = (Array.isArray(annotations.train) ? annotations.train : [annotations.train]).map(abs);
    if (annotations.val !== undefined) spec.val = abs(annotations.val);
    if (annotations.test !== undefined) spec.test = abs(annotations.test);
    if (annotations.answerList !== undefined) spec.answerList = abs(annotations.answerList);
    if (annotations.vgMediaRoot !== undefined) spec.vgMediaRoot = abs(annotations.vgMediaRoot);
    if (annotations.gt !== undefined) {
      spec.gt = typeof annotations.gt === 'string' ? { test: abs(annotations.gt) } : {};
      if (typeof annotations.gt === 'object') {
        if (annotations.gt.val !== undefined) spec.gt.val = abs(annotations.gt.val);
        if (annotations.gt.test !== undefined) spec.gt.test = abs(annotations.gt.test);
      }
    }
    if (spec.train === undefined && spec.val === undefined && spec.test === undefined) {
      throw new UniAdapterError('ERR_ARG', 'no annotation file given (train, val or test)');
    }
  }
  return taskDataset(spec);
}

export type { AnnotationFormat, EvalSplit, TaskDataset, TaskDatasetOf, TaskName, TaskSpec } from './datasets/task-dataset';
