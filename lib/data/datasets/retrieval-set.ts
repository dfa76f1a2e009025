/**
 * The two shapes of a retrieval dataset, shared by images (COCO, Flickr30K) and videos (MSR-VTT,
 * DiDeMo): training pairs with a contiguous media index, and evaluation sets flattened into a media
 * list and a text list with `img2txt` / `txt2img` (ARCHITECTURE_SPEC §9.4).
 */
import type { BadRecord, RecordLocation } from './bad-records';
import type { Located } from './annotation-file';

/** Whether the media of a set are images or videos. */
export type Modality = 'image' | 'video';

/** One training pair: a media file and one of its captions. */
export interface RetrievalPair {
  /** Resolved path of the image or video. */
  media: string;
  /** Normalised caption (pre_caption). */
  caption: string;
  /** The media id of the annotation (`image_id`, or the video name). */
  mediaId: string;
  /** Contiguous index of `mediaId`, in order of first appearance (the ITC `idx`). */
  idx: number;
  /** Where the pair came from. */
  source: RecordLocation;
}

/** A retrieval training set. */
export interface RetrievalTrainSet {
  kind: 'retrieval-train';
  modality: Modality;
  pairs: RetrievalPair[];
  /** Number of distinct media (= 1 + the largest idx). */
  numMedia: number;
  /** Records left out under onBadRecord: 'skip', with reasons. */
  skipped: BadRecord[];
}

/** A retrieval evaluation set. */
export interface RetrievalEvalSet {
  kind: 'retrieval-eval';
  modality: Modality;
  /** Resolved media paths, one per image/video. */
  media: string[];
  /** Media ids (image file names or video names), parallel to `media`. */
  mediaIds: string[];
  /** All texts, media by media. */
  texts: string[];
  /** img2txt[i] = indices of the texts of media i. */
  img2txt: number[][];
  /** txt2img[j] = the media of text j. */
  txt2img: number[];
  /** Where each media entry came from. */
  sources: RecordLocation[];
  skipped: BadRecord[];
}

/** A raw training pair before the idx is assigned. */
export interface PairInput {
  media: string;
  caption: string;
  mediaId: string;
}

/** Assigns each distinct mediaId a contiguous idx in order of first appearance (BLIP's img_ids). */
export function buildRetrievalTrain(
  modality: Modality,
  items: Array<Located<PairInput>>,
  skipped: BadRecord[]
): RetrievalTrainSet {
  const ids = new Map<string, number>();
  const pairs: RetrievalPair[] = [];
  for (const it of items) {
    let idx = ids.get(it.value.mediaId);
    if (idx === undefined) {
      idx = ids.size;
      ids.set(it.value.mediaId, idx);
    }
    pairs.push({ ...it.value, idx, source: it.loc });
  }
  return { kind: 'retrieval-train', modality, pairs, numMedia: ids.size, skipped };
}

/** One media entry of an evaluation file and its texts. */
export interface GroupInput {
  media: string;
  mediaId: string;
  captions: string[];
}

/**
 * Flattens evaluation entries media by media. Entries naming the same media twice are merged
 * (their texts appended), so a file with one record per caption is accepted too.
 */
export function buildRetrievalEval(
  modality: Modality,
  items: Array<Located<GroupInput>>,
  skipped: BadRecord[]
): RetrievalEvalSet {
  const set: RetrievalEvalSet = {
    kind: 'retrieval-eval',
    modality,
    media: [],
    mediaIds: [],
    texts: [],
    img2txt: [],
    txt2img: [],
    sources: [],
    skipped,
  };
  const byMedia = new Map<string, number>();
  for (const it of items) {
    let i = byMedia.get(it.value.media);
    if (i === undefined) {
      i = set.media.length;
      byMedia.set(it.value.media, i);
      set.media.push(it.value.media);
      set.mediaIds.push(it.value.mediaId);
      set.sources.push(it.loc);
      set.img2txt.push([]);
    }
    for (const c of it.value.captions) {
      set.img2txt[i].push(set.texts.length);
      set.txt2img.push(i);
      set.texts.push(c);
    }
  }
  return set;
}
