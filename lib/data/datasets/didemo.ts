/**
 * DiDeMo paragraph-to-video retrieval annotations: for each video, all its sentence descriptions
 * joined with spaces into one paragraph (the ClipBERT/Singularity convention).
 *
 * Accepted record shapes, mixed freely: `{video, caption: [sentences]}`, `{video, caption: "paragraph"}`,
 * and the original per-moment `{video, description, …}`; several records of one video are joined in
 * file order. The paragraph then goes through pre_caption (default limit 100 words: paragraphs are
 * long; the token length of the text encoder is the real limit, see ARCHITECTURE_SPEC §9.3).
 */
import { preCaption } from '../../text/pre-text';
import { readAnnotationFiles, type Located } from './annotation-file';
import { BadRecordLog } from './bad-records';
import { checkMediaFiles, resolveVideo } from './media';
import { videoName, type VideoReadOptions } from './msrvtt';
import { stringField, stringsField, validateRecords } from './record-fields';
import {
  buildRetrievalEval,
  buildRetrievalTrain,
  type GroupInput,
  type RetrievalEvalSet,
  type RetrievalTrainSet,
} from './retrieval-set';

/** Default word limit of DiDeMo paragraphs. */
export const DIDEMO_PARAGRAPH_MAX_WORDS = 100;

async function readParagraphs(
  files: string | readonly string[],
  options: VideoReadOptions,
  log: BadRecordLog
): Promise<Array<Located<GroupInput>>> {
  const maxWords = options.maxWords ?? DIDEMO_PARAGRAPH_MAX_WORDS;
  const raw = await readAnnotationFiles(files, log);
  const sentences = validateRecords(raw, log, (r) => ({
    media: resolveVideo(options.mediaRoot, stringField(r, 'video', 'clip_name', 'video_id'), options.videoExtension),
    mediaId: videoName(r),
    sentences: stringsField(r, 'caption', 'description'),
  }));
  const byVideo = new Map<string, Located<GroupInput & { sentences: string[] }>>();
  for (const s of sentences) {
    const g = byVideo.get(s.value.media);
    if (g === undefined) byVideo.set(s.value.media, { value: { ...s.value, sentences: [...s.value.sentences], captions: [] }, loc: s.loc });
    else g.value.sentences.push(...s.value.sentences);
  }
  const groups = [...byVideo.values()].map((g) => ({
    value: {
      media: g.value.media,
      mediaId: g.value.mediaId,
      captions: [preCaption(g.value.sentences.map((t) => t.trim()).join(' '), maxWords)],
    },
    loc: g.loc,
  }));
  return checkMediaFiles(groups, (g) => [g.media], log, {
    ...options,
    video: true,
    setPath: (g, _from, to) => (g.media = to),
  });
}

/**
 * Reads DiDeMo training annotations: one (video, paragraph) pair per video, `idx` per video.
 *
 * @throws UniAdapterError `ERR_IO` (file), `ERR_DATA` (bad records under onBadRecord 'fail').
 */
export async function readDidemoTrain(
  files: string | readonly string[],
  options: VideoReadOptions
): Promise<RetrievalTrainSet> {
  const log = new BadRecordLog(options.onBadRecord);
  const groups = await readParagraphs(files, options, log);
  const pairs = groups.map((g) => ({
    value: { media: g.value.media, caption: g.value.captions[0], mediaId: g.value.mediaId },
    loc: g.loc,
  }));
  return buildRetrievalTrain('video', pairs, log.records);
}

/**
 * Reads DiDeMo evaluation annotations: one paragraph per video (`img2txt[i] = [i]`).
 *
 * @throws UniAdapterError `ERR_IO` (file), `ERR_DATA` (bad records under onBadRecord 'fail').
 */
export async function readDidemoEval(file: string, options: VideoReadOptions): Promise<RetrievalEvalSet> {
  const log = new BadRecordLog(options.onBadRecord);
  return buildRetrievalEval('video', await readParagraphs(file, options, log), log.records);
}
