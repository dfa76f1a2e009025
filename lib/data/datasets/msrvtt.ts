/**
 * MSR-VTT text–video retrieval annotations (1k-A split, the ClipBERT/BLIP conventions):
 * training records `{video, caption}` or `{video_id | clip_name, caption}`, one per caption (a list
 * of captions is also accepted); test records `{clip_name | video, caption}`, one per video (BLIP's
 * `msrvtt_test.jsonl`). Videos are `<mediaRoot>/<name>.mp4`; names may carry their extension.
 */
import * as path from 'path';
import { preCaption } from '../../text/pre-text';
import { readAnnotationFiles } from './annotation-file';
import { BadRecordLog } from './bad-records';
import { checkMediaFiles, resolveVideo } from './media';
import type { AnnotationReadOptions } from './read-options';
import { stringField, stringsField, validateRecords, type RawRecord } from './record-fields';
import { buildRetrievalEval, buildRetrievalTrain, type GroupInput, type PairInput, type RetrievalEvalSet, type RetrievalTrainSet } from './retrieval-set';

/** Word limit of video captions (BLIP's video retrieval test used 40). */
export const VIDEO_CAPTION_MAX_WORDS = 40;

/** Options of the video readers. */
export interface VideoReadOptions extends AnnotationReadOptions {
  /** Extension appended to video names given without one (default ".mp4"). */
  videoExtension?: string;
}

/** The video name of a record, without a video extension ("video7020"). */
export function videoName(r: RawRecord): string {
  const name = stringField(r, 'video', 'clip_name', 'video_id');
  const ext = path.extname(name);
  return ext.length > 1 && /^\.[a-z0-9]{2,5}$/i.test(ext) ? name.slice(0, -ext.length) : name;
}

function videoPath(r: RawRecord, options: VideoReadOptions): string {
  return resolveVideo(options.mediaRoot, stringField(r, 'video', 'clip_name', 'video_id'), options.videoExtension);
}

/** The records of MSR-VTT-style files as one group of captions per video, videos checked on disk. */
async function readVideoGroups(files: string | readonly string[], options: VideoReadOptions, log: BadRecordLog) {
  const maxWords = options.maxWords ?? VIDEO_CAPTION_MAX_WORDS;
  const raw = await readAnnotationFiles(files, log);
  const groups = validateRecords<GroupInput>(raw, log, (r) => ({
    media: videoPath(r, options),
    mediaId: videoName(r),
    captions: stringsField(r, 'caption').map((c) => preCaption(c, maxWords)),
  }));
  return checkMediaFiles(groups, (g) => [g.media], log, {
    ...options,
    video: true,
    setPath: (g, _from, to) => (g.media = to),
  });
}

/**
 * Reads MSR-VTT retrieval training files: one pair per caption, `idx` per distinct video.
 *
 * @throws UniAdapterError `ERR_IO` (file), `ERR_DATA` (bad records under onBadRecord 'fail').
 */
export async function readMsrvttRetrievalTrain(
  files: string | readonly string[],
  options: VideoReadOptions
): Promise<RetrievalTrainSet> {
  const log = new BadRecordLog(options.onBadRecord);
  const kept = await readVideoGroups(files, options, log);
  const pairs = kept.flatMap((g) =>
    g.value.captions.map((caption) => ({
      value: { media: g.value.media, caption, mediaId: g.value.mediaId } satisfies PairInput,
      loc: g.loc,
    }))
  );
  return buildRetrievalTrain('video', pairs, log.records);
}

/**
 * Reads an MSR-VTT retrieval test file (json or jsonl): one text per record, grouped by video.
 *
 * @throws UniAdapterError `ERR_IO` (file), `ERR_DATA` (bad records under onBadRecord 'fail').
 */
export async function readMsrvttRetrievalEval(file: string, options: VideoReadOptions): Promise<RetrievalEvalSet> {
  const log = new BadRecordLog(options.onBadRecord);
  const kept = await readVideoGroups(file, options, log);
  return buildRetrievalEval('video', kept, log.records);
}
