/** Where a run's data comes from: a dataset folder, or annotation files in a known format with a media root. */
import type { AnnotationFormat } from './datasets/task-dataset';

export type DataChoice =
  | { folder: string; split?: 'train' }
  | { format: AnnotationFormat; annotations: string | string[]; mediaRoot: string };
