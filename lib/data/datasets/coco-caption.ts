/**
 * COCO captioning annotations (Karpathy split, BLIP's files): training records
 * `{image, caption, image_id}` (one per caption), evaluation records `{image, caption: [..]}` (one per
 * image; its integer image id is parsed from the file name), and the COCO-format ground truth
 * `coco_karpathy_{val,test}_gt.json` used for scoring.
 */
import * as path from 'path';
import { preCaption } from '../../text/pre-text';
import { UniAdapterError } from '../../errors';
import { describeJson, readAnnotationFiles, readJsonDocument } from './annotation-file';
import { BadRecordLog, type BadRecord, type BadRecordPolicy, type RecordLocation } from './bad-records';
import { IMAGE_CAPTION_MAX_WORDS } from './karpathy-retrieval';
import { checkMediaFiles, resolveMedia } from './media';
import type { AnnotationReadOptions } from './read-options';
import { RecordError, idField, stringField, stringsField, validateRecords } from './record-fields';

/** One training caption. */
export interface CaptionTrainRecord {
  /** Resolved image path. */
  image: string;
  /** Normalised caption (pre_caption, 30 words), without the prompt. */
  caption: string;
  /** `image_id` as given. */
  imageId: string;
  /** Contiguous index of the image, in order of first appearance. */
  idx: number;
  source: RecordLocation;
}

/** One evaluation image. */
export interface CaptionEvalRecord {
  image: string;
  /** Integer id parsed from the file name (the id of the results file and of the ground truth). */
  imageId: number;
  /** The reference captions of the annotation, verbatim (scoring uses the ground-truth file). */
  references: string[];
  source: RecordLocation;
}

export interface CaptionTrainSet {
  kind: 'caption-train';
  records: CaptionTrainRecord[];
  numImages: number;
  skipped: BadRecord[];
}

export interface CaptionEvalSet {
  kind: 'caption-eval';
  records: CaptionEvalRecord[];
  skipped: BadRecord[];
}

/**
 * The COCO image id of an image file name: the digits after the last '_' of the base name without
 * extension ("val2014/COCO_val2014_000000391895.jpg" → 391895; "1000092795.jpg" → 1000092795).
 *
 * @returns undefined when that part is not a number.
 */
export function imageIdFromName(name: string): number | undefined {
  const base = path.basename(name).replace(/\.[^.]*$/, '');
  const tail = base.slice(base.lastIndexOf('_') + 1);
  if (!/^\d+$/.test(tail)) return undefined;
  const id = Number(tail);
  return Number.isSafeInteger(id) ? id : undefined;
}

/**
 * Reads caption training files (`coco_karpathy_train.json`).
 *
 * @throws UniAdapterError `ERR_IO` (file), `ERR_DATA` (bad records under onBadRecord 'fail').
 */
export async function readCocoCaptionTrain(
  files: string | readonly string[],
  options: AnnotationReadOptions
): Promise<CaptionTrainSet> {
  const log = new BadRecordLog(options.onBadRecord);
  const maxWords = options.maxWords ?? IMAGE_CAPTION_MAX_WORDS;
  const raw = await readAnnotationFiles(files, log);
  const items = validateRecords(raw, log, (r) => ({
    image: resolveMedia(options.mediaRoot, stringField(r, 'image')),
    caption: preCaption(stringField(r, 'caption'), maxWords),
    imageId: idField(r, 'image_id'),
  }));
  const kept = await checkMediaFiles(items, (c) => [c.image], log, options);
  const ids = new Map<string, number>();
  const records = kept.map((k) => {
    let idx = ids.get(k.value.imageId);
    if (idx === undefined) {
      idx = ids.size;
      ids.set(k.value.imageId, idx);
    }
    return { ...k.value, idx, source: k.loc };
  });
  return { kind: 'caption-train', records, numImages: ids.size, skipped: log.records };
}

/**
 * Reads a caption evaluation file (`coco_karpathy_{val,test}.json`): one record per image, with the
 * image id parsed from its file name. Records whose name has no numeric id are bad records.
 *
 * @throws UniAdapterError `ERR_IO` (file), `ERR_DATA` (bad records under onBadRecord 'fail').
 */
export async function readCocoCaptionEval(file: string, options: AnnotationReadOptions): Promise<CaptionEvalSet> {
  const log = new BadRecordLog(options.onBadRecord);
  const raw = await readAnnotationFiles(file, log);
  const items = validateRecords(raw, log, (r) => {
    const name = stringField(r, 'image');
    const imageId = imageIdFromName(name);
    if (imageId === undefined) throw new RecordError(`cannot parse an image id from '${name}' (digits after the last '_')`);
    const refs = r.caption === undefined ? [] : stringsField(r, 'caption');
    return { image: resolveMedia(options.mediaRoot, name), imageId, references: refs };
  });
  const kept = await checkMediaFiles(items, (c) => [c.image], log, options);
  return { kind: 'caption-eval', records: kept.map((k) => ({ ...k.value, source: k.loc })), skipped: log.records };
}

/** COCO-format caption ground truth: references per image id. */
export interface CaptionGroundTruth {
  /** Image ids in the order of the file's `images` list. */
  imageIds: number[];
  /** Reference captions per image id, verbatim. */
  references: Map<number, string[]>;
  skipped: BadRecord[];
}

/**
 * Reads a COCO-format ground-truth file (`{"images": [{id}], "annotations": [{image_id, caption}]}`).
 * Annotations of unknown images, or with a bad id or caption, are bad records.
 *
 * @throws UniAdapterError `ERR_IO`, `ERR_DATA` (not COCO format, or a bad entry under 'fail').
 */
export async function readCocoCaptionGt(
  file: string,
  options: { onBadRecord?: BadRecordPolicy } = {}
): Promise<CaptionGroundTruth> {
  const log = new BadRecordLog(options.onBadRecord);
  const doc = await readJsonDocument(file, 'caption ground truth');
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new UniAdapterError('ERR_DATA', `${file}: COCO ground truth must be an object with 'images' and 'annotations', found ${describeJson(doc)}`);
  }
  const { images, annotations } = doc as { images?: unknown; annotations?: unknown };
  if (!Array.isArray(images) || !Array.isArray(annotations)) {
    throw new UniAdapterError('ERR_DATA', `${file}: COCO ground truth needs lists 'images' and 'annotations'`);
  }
  const references = new Map<number, string[]>();
  const imageIds: number[] = [];
  images.forEach((im, index) => {
    const id = (im as { id?: unknown } | null)?.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) log.report({ file, index }, `images[${index}] has no integer 'id'`);
    else if (!references.has(id)) {
      references.set(id, []);
      imageIds.push(id);
    }
  });
  annotations.forEach((a, index) => {
    const ann = a as { image_id?: unknown; caption?: unknown } | null;
    const id = ann?.image_id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
      log.report({ file, index }, `annotations[${index}] has no integer 'image_id'`);
    } else if (typeof ann?.caption !== 'string') {
      log.report({ file, index }, `annotations[${index}] has no string 'caption'`);
    } else {
      const list = references.get(id);
      if (list === undefined) log.report({ file, index }, `annotations[${index}] names image ${id}, which is not in 'images'`);
      else list.push(ann.caption);
    }
  });
  return { imageIds, references, skipped: log.records };
}
