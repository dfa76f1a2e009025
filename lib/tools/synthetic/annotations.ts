/**
 * Annotation records of the synthetic data set in the real data sets' formats (ARCHITECTURE_SPEC §9.4):
 * COCO Karpathy retrieval/caption files, COCO caption ground truth, VQA v2, MSR-VTT and MSRVTT-QA.
 * These functions only build the JSON values from generated items; writing them is the generator's job.
 */
import { imageFileName, imageIdString, videoFileName, videoName, type ImageSplit, type VideoSplit } from './layout';
import { ANSWERS_BY_KIND, type AnswerKind, type QuestionAnswer } from './questions';
import type { Scene } from './scene';

/** A generated image with its text. */
export interface ImageItem {
  /** Numeric id, unique across splits; it is the number in the file name. */
  id: number;
  split: ImageSplit;
  /** File name inside the images folder. */
  file: string;
  scene: Scene;
  captions: string[];
  questions: QuestionAnswer[];
  /** Ten annotator answers per question, parallel to `questions`. */
  answers: string[][];
}

/** A generated clip with its text. */
export interface VideoItem {
  /** Numeric id, unique across splits; the video is `video<id>`. */
  id: number;
  split: VideoSplit;
  /** `video<id>`. */
  name: string;
  /** File name inside the videos folder. */
  file: string;
  scene: Scene;
  captions: string[];
  questions: QuestionAnswer[];
}

/** Builds the file names of an image item. */
export function imageItemNames(split: ImageSplit, id: number): Pick<ImageItem, 'id' | 'split' | 'file'> {
  return { id, split, file: imageFileName(split, id) };
}

/** Builds the names of a video item. */
export function videoItemNames(split: VideoSplit, id: number): Pick<VideoItem, 'id' | 'split' | 'name' | 'file'> {
  return { id, split, name: videoName(id), file: videoFileName(id) };
}

/** COCO Karpathy train record (also the caption-train record): one per caption. */
export interface KarpathyTrainRecord {
  image: string;
  caption: string;
  image_id: string;
}

/** COCO Karpathy val/test record (also the caption-test record): one per image. */
export interface KarpathyEvalRecord {
  image: string;
  caption: string[];
}

/** COCO caption ground truth, as pycocoevalcap reads it. */
export interface CocoCaptionGt {
  annotations: Array<{ image_id: number; caption: string; id: number }>;
  images: Array<{ id: number }>;
}

/** VQA v2 record (BLIP's vqa_train.json; the synthetic test file keeps the answers). */
export interface VqaRecord {
  question_id: number;
  question: string;
  answer: string[];
  image: string;
  dataset: 'vqa';
}

/** MSR-VTT train record: one per caption. */
export interface MsrvttTrainRecord {
  video: string;
  caption: string;
}

/** MSR-VTT test record: one per video. */
export interface MsrvttTestRecord {
  clip_name: string;
  caption: string;
}

/** MSRVTT-QA record. */
export interface MsrvttQaRecord {
  video_id: string;
  question: string;
  answer: string;
  question_id: number;
}

/** Question id of the `k`-th question (k < 10) of item `id`, as VQA builds them. */
export function questionId(id: number, k: number): number {
  return id * 10 + k;
}

/**
 * Karpathy-style train records: one per (image, caption), image by image; with `twins`, pair by pair
 * (items 0–1, 2–3, …), the two images' k-th captions next to each other.
 */
export function karpathyTrain(items: readonly ImageItem[], options: { twins?: boolean } = {}): KarpathyTrainRecord[] {
  const record = (it: ImageItem, caption: string): KarpathyTrainRecord => ({ image: it.file, caption, image_id: imageIdString(it.id) });
  if (!options.twins) return items.flatMap((it) => it.captions.map((caption) => record(it, caption)));
  const out: KarpathyTrainRecord[] = [];
  for (let i = 0; i < items.length; i += 2) {
    const pair = items.slice(i, i + 2);
    for (let k = 0; k < pair[0].captions.length; k++) for (const it of pair) out.push(record(it, it.captions[k]));
  }
  return out;
}

/** Karpathy-style evaluation records: one per image with all its captions. */
export function karpathyEval(items: readonly ImageItem[]): KarpathyEvalRecord[] {
  return items.map((it) => ({ image: it.file, caption: it.captions.slice() }));
}

/** COCO caption ground truth of `items`; annotation ids count from 1. */
export function cocoCaptionGt(items: readonly ImageItem[]): CocoCaptionGt {
  const annotations: CocoCaptionGt['annotations'] = [];
  for (const it of items) for (const caption of it.captions) annotations.push({ image_id: it.id, caption, id: annotations.length + 1 });
  return { annotations, images: items.map((it) => ({ id: it.id })) };
}

/** VQA v2 records of `items`. */
export function vqaRecords(items: readonly ImageItem[]): VqaRecord[] {
  return items.flatMap((it) =>
    it.questions.map((qa, k) => ({
      question_id: questionId(it.id, k),
      question: qa.question,
      answer: it.answers[k].slice(),
      image: it.file,
      dataset: 'vqa' as const,
    }))
  );
}

/**
 * The candidate answers for rank inference: every answer that occurs in `records`, in vocabulary
 * order (colors, shapes, sizes, positions, counts, yes/no, backgrounds, motions, directions).
 */
export function answerList(records: ReadonlyArray<{ answer: string | readonly string[] }>): string[] {
  const present = new Set<string>();
  for (const r of records) for (const a of typeof r.answer === 'string' ? [r.answer] : r.answer) present.add(a);
  const out: string[] = [];
  for (const kind of Object.keys(ANSWERS_BY_KIND) as AnswerKind[]) {
    for (const a of ANSWERS_BY_KIND[kind]) if (present.has(a) && !out.includes(a)) out.push(a);
  }
  for (const a of [...present].sort()) if (!out.includes(a)) out.push(a); // not expected; keeps the list complete
  return out;
}

/** MSR-VTT train records: one per (video, caption). */
export function msrvttTrain(items: readonly VideoItem[]): MsrvttTrainRecord[] {
  return items.flatMap((it) => it.captions.map((caption) => ({ video: it.file, caption })));
}

/** MSR-VTT test records: one per video, with its canonical (first) caption. */
export function msrvttTest(items: readonly VideoItem[]): MsrvttTestRecord[] {
  return items.map((it) => ({ clip_name: it.name, caption: it.captions[0] }));
}

/** MSRVTT-QA records of `items`. */
export function msrvttQa(items: readonly VideoItem[]): MsrvttQaRecord[] {
  return items.flatMap((it) =>
    it.questions.map((qa, k) => ({ video_id: it.name, question: qa.question, answer: qa.answer, question_id: questionId(it.id, k) }))
  );
}
