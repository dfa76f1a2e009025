/** Where a run's data comes from: a dataset folder, or annotation files in a known format with a media root. */
import { UniAdapterError } from '../errors';
import type { AnnotationPaths } from './dataset-folder';
import { ANNOTATION_FORMATS, misplacedFile, type AnnotationFormat } from './datasets/task-dataset';

/**
 * A dataset folder (its manifest names each task's files), or annotation files in a known format: one
 * file or a list (the split being read), or the files per split.
 */
export type DataChoice = { folder: string } | { format: AnnotationFormat; annotations: string | string[] | AnnotationPaths; mediaRoot: string };

type FolderChoice = Extract<DataChoice, { folder: string }>;
type AnnotationsChoice = Extract<DataChoice, { format: AnnotationFormat }>;

const FOLDER_KEYS = ['folder'] as const satisfies ReadonlyArray<keyof FolderChoice>;
const ANNOTATIONS_KEYS = ['format', 'annotations', 'mediaRoot'] as const satisfies ReadonlyArray<keyof AnnotationsChoice>;
const PER_SPLIT_KEYS = ['train', 'val', 'test', 'answerList', 'gt', 'vgMediaRoot'] as const satisfies ReadonlyArray<keyof AnnotationPaths>;
const everyKeyListed: [
  | Exclude<keyof FolderChoice, (typeof FOLDER_KEYS)[number]>
  | Exclude<keyof AnnotationsChoice, (typeof ANNOTATIONS_KEYS)[number]>
  | Exclude<keyof AnnotationPaths, (typeof PER_SPLIT_KEYS)[number]>,
] extends [never]
  ? true
  : never = true;
void everyKeyListed;

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * Checks a run's `data` section: a mapping of one of the two kinds, with no key the kind does not
 * read (a misspelt key would otherwise be ignored) and its paths given.
 *
 * @throws UniAdapterError ERR_CONFIG naming the key that is wrong and what the section takes
 */
export function validateDataChoice(d: DataChoice): void {
  const kinds = "{ folder } (a dataset folder) or { format, annotations, mediaRoot } (annotation files)";
  if (!d || typeof d !== 'object' || Array.isArray(d)) throw new UniAdapterError('ERR_CONFIG', `'data' must be a mapping: ${kinds}`);
  const isFolder = 'folder' in d;
  const isAnnotations = ANNOTATIONS_KEYS.some((k) => k in d);
  if (!isFolder && !isAnnotations) {
    throw new UniAdapterError('ERR_CONFIG', `data has neither 'folder' nor 'format', 'annotations', 'mediaRoot' (it has: ${Object.keys(d).join(', ') || 'nothing'}); 'data' is ${kinds}`);
  }
  const known: readonly string[] = isFolder ? FOLDER_KEYS : ANNOTATIONS_KEYS;
  for (const k of Object.keys(d)) {
    if (!known.includes(k)) {
      const hint = k === 'split' ? "; evaluation takes the split at the top level or with --split" : '';
      throw new UniAdapterError('ERR_CONFIG', `data: unknown key '${k}' for ${isFolder ? 'a dataset folder' : 'annotation files'} (it takes ${known.join(', ')}; 'data' is ${kinds})${hint}`);
    }
  }
  if (isFolder) {
    if (!nonEmpty(d.folder)) throw new UniAdapterError('ERR_CONFIG', `data.folder must be a path, got ${JSON.stringify(d.folder)}`);
    return;
  }
  if (!(ANNOTATION_FORMATS as readonly string[]).includes(d.format)) {
    throw new UniAdapterError('ERR_CONFIG', `data.format must be one of ${ANNOTATION_FORMATS.join(', ')}, got ${JSON.stringify(d.format)}${d.format === undefined ? ` ('data' is ${kinds})` : ''}`);
  }
  validateAnnotations(d.annotations, d.format);
  if (!nonEmpty(d.mediaRoot)) throw new UniAdapterError('ERR_CONFIG', `data.mediaRoot must be the folder the annotations' media paths are relative to, got ${JSON.stringify(d.mediaRoot)}`);
}

const paths = (v: unknown): boolean => nonEmpty(v) || (Array.isArray(v) && v.length > 0 && v.every(nonEmpty));

function validateAnnotations(a: AnnotationsChoice['annotations'], format: AnnotationFormat): void {
  const what = `a path, a list of paths, or the files per split (${PER_SPLIT_KEYS.join(', ')})`;
  if (paths(a)) return;
  if (!a || typeof a !== 'object' || Array.isArray(a)) throw new UniAdapterError('ERR_CONFIG', `data.annotations must be ${what}, got ${JSON.stringify(a)}`);
  for (const [k, v] of Object.entries(a)) {
    if (!(PER_SPLIT_KEYS as readonly string[]).includes(k)) throw new UniAdapterError('ERR_CONFIG', `data.annotations: unknown key '${k}' (the files per split are ${PER_SPLIT_KEYS.join(', ')})`);
    const misplaced = misplacedFile(k, format);
    if (misplaced) throw new UniAdapterError('ERR_CONFIG', `data.annotations.${misplaced}; format '${format}' would ignore it`);
    const ok = k === 'train' ? paths(v) : k === 'gt' ? nonEmpty(v) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.entries(v).every(([s, p]) => (s === 'val' || s === 'test') && nonEmpty(p))) : nonEmpty(v);
    if (!ok) {
      const expected = k === 'train' ? 'a path or a list of paths' : k === 'gt' ? 'a path, or { val, test } paths' : 'a path';
      throw new UniAdapterError('ERR_CONFIG', `data.annotations.${k} must be ${expected}, got ${JSON.stringify(v)}`);
    }
  }
}
