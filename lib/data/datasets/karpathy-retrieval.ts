/**
 * Image–text retrieval annotations in BLIP's Karpathy-split format, used by COCO
 * (`coco_karpathy_{train,val,test}.json`) and Flickr30K (`flickr30k_{train,val,test}.json`):
 * training files hold one `{image, caption, image_id}` per caption, evaluation files one
 * `{image, caption: [..]}` per image. Captions go through pre_caption with 30 words.
 */
import { preCaption } from '../../text/pre-text';
import { readAnnotationFiles } from './annotation-file';
import { BadRecordLog } from './bad-records';
import { checkMediaFiles, resolveMedia } from './media';
import type { AnnotationReadOptions } from './read-options';
import { idField, stringField, stringsField, validateRecords } from './record-fields';
import { buildRetrievalEval, buildRetrievalTrain, type GroupInput, type PairInput, type RetrievalEvalSet, type RetrievalTrainSet } from './retrieval-set';

/** Word limit of retrieval captions for COCO and Flickr30K (train and test). */
export const IMAGE_CAPTION_MAX_WORDS = 30;

/**
 * Reads Karpathy-format retrieval training files (`coco_karpathy_train.json`, `flickr30k_train.json`):
 * one pair per record, `idx` assigned per distinct `image_id` in order of first appearance.
 *
 * @throws UniAdapterError `ERR_IO` (file), `ERR_DATA` (bad records under onBadRecord 'fail').
 */
export async function readKarpathyRetrievalTrain(
  files: string | readonly string[],
  options: AnnotationReadOptions
): Promise<RetrievalTrainSet> {
  const log = new BadRecordLog(options.onBadRecord);
  const maxWords = options.maxWords ?? IMAGE_CAPTION_MAX_WORDS;
  const raw = await readAnnotationFiles(files, log);
  const items = validateRecords<PairInput>(raw, log, (r) => ({
    media: resolveMedia(options.mediaRoot, stringField(r, 'image')),
    caption: preCaption(stringField(r, 'caption'), maxWords),
    mediaId: idField(r, 'image_id'),
  }));
  const kept = await checkMediaFiles(items, (p) => [p.media], log, options);
  return buildRetrievalTrain('image', kept, log.records);
}

/**
 * Reads a Karpathy-format retrieval evaluation file (`coco_karpathy_test.json`, `flickr30k_val.json`…):
 * texts flattened image by image into `texts`, with `img2txt` and `txt2img`.
 *
 * @throws UniAdapterError `ERR_IO` (file), `ERR_DATA` (bad records under onBadRecord 'fail').
 */
export async function readKarpathyRetrievalEval(
  file: string,
  options: AnnotationReadOptions
): Promise<RetrievalEvalSet> {
  const log = new BadRecordLog(options.onBadRecord);
  const maxWords = options.maxWords ?? IMAGE_CAPTION_MAX_WORDS;
  const raw = await readAnnotationFiles(file, log);
  const items = validateRecords<GroupInput>(raw, log, (r) => {
    const image = stringField(r, 'image');
    return {
      media: resolveMedia(options.mediaRoot, image),
      mediaId: image,
      captions: stringsField(r, 'caption').map((c) => preCaption(c, maxWords)),
    };
  });
  const kept = await checkMediaFiles(items, (g) => [g.media], log, options);
  return buildRetrievalEval('image', kept, log.records);
}
