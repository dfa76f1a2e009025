/**
 * `uniadapter synth`: writes the deterministic synthetic shapes data set used by the demo and the tests.
 *
 * Flags: `--seed` (default 0), `--size` image/frame side in pixels (64), `--train` / `--val` / `--test`
 * images (1000 / as many as test / 100), `--videos` training clips (200) and `--test-videos` test clips
 * (default a quarter of `--videos`, at least 1; 50 when neither is given), `--frames` per clip (8),
 * `--captions` and `--questions` per item (3), `--max-objects` per image (2), `--patterns` to name the
 * background's pattern in image captions and questions, `--retrieval-wording catalogue` for retrieval
 * texts in a catalogue's names of the colors and shapes, `--omit-question-types 'is there,how many'` for
 * question types never asked (see `omitQuestionTypes`), `--shape-twins` for training images in shape
 * twins (a pretraining split; see `shapeTwins`), `--tasks` a comma list of
 * retrieval, caption, vqa, video-retrieval, video-qa; `--no-video` drops the video tasks; `--json`
 * prints the summary object.
 */
import { UniAdapterError } from '../errors';
import { generateSyntheticDataset } from '../tools/synthetic/generate';
import { SYNTHETIC_TASKS, VIDEO_TASKS, type SyntheticTask } from '../tools/synthetic/layout';
import type { SyntheticDatasetOptions } from '../tools/synthetic/options';
import { intOption, parseCommandArgs, writeJson, type Command } from './command';

const usage =
  'uniadapter synth <dir> [--seed N] [--size N] [--train N] [--val N] [--test N] [--videos N] [--test-videos N] ' +
  '[--frames N] [--captions N] [--questions N] [--max-objects N] [--patterns] [--retrieval-wording scene|catalogue] [--omit-question-types t1,t2] [--shape-twins] [--tasks t1,t2] [--no-video] [--json]';

const options = {
  seed: { type: 'string' },
  size: { type: 'string' },
  train: { type: 'string' },
  val: { type: 'string' },
  test: { type: 'string' },
  videos: { type: 'string' },
  'test-videos': { type: 'string' },
  frames: { type: 'string' },
  captions: { type: 'string' },
  questions: { type: 'string' },
  'max-objects': { type: 'string' },
  patterns: { type: 'boolean' },
  'retrieval-wording': { type: 'string' },
  'omit-question-types': { type: 'string' },
  'shape-twins': { type: 'boolean' },
  tasks: { type: 'string' },
  'no-video': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** Turns the command line into generator options (exported for tests). */
export function synthOptionsFromArgs(argv: string[]): { dir: string; options: SyntheticDatasetOptions; json: boolean } {
  const { values, positionals } = parseCommandArgs(argv, options, usage);
  if (positionals.length !== 1) {
    throw new UniAdapterError('ERR_ARG', `synth needs exactly one output folder, got ${positionals.length}\nusage: ${usage}`);
  }
  const str = (name: keyof typeof options) => values[name] as string | undefined;
  const num = (name: keyof typeof options) => intOption(str(name), name);
  const noVideo = values['no-video'] === true;
  let tasks: SyntheticTask[] | undefined;
  if (str('tasks') !== undefined) {
    tasks = str('tasks')!
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t.length > 0) as SyntheticTask[];
    const unknown = tasks.filter((t) => !SYNTHETIC_TASKS.includes(t));
    if (unknown.length > 0) {
      throw new UniAdapterError('ERR_ARG', `--tasks: unknown task(s) ${unknown.join(', ')}; tasks are: ${SYNTHETIC_TASKS.join(', ')}`);
    }
    if (noVideo) tasks = tasks.filter((t) => !VIDEO_TASKS.includes(t));
  }
  const videos = num('videos');
  const testVideos = num('test-videos');
  const opts: SyntheticDatasetOptions = {
    seed: num('seed'),
    imageSize: num('size'),
    numTrainImages: num('train'),
    numValImages: num('val'),
    numTestImages: num('test'),
    numTrainVideos: noVideo ? 0 : videos,
    numTestVideos: noVideo ? 0 : testVideos ?? (videos !== undefined ? Math.max(1, Math.round(videos / 4)) : undefined),
    framesPerVideo: num('frames'),
    captionsPerImage: num('captions'),
    questionsPerImage: num('questions'),
    questionsPerVideo: num('questions'),
    maxObjects: num('max-objects'),
    patterns: values.patterns === true ? true : undefined,
    retrievalWording: str('retrieval-wording') as SyntheticDatasetOptions['retrievalWording'],
    omitQuestionTypes: str('omit-question-types')?.split(',').map((t) => t.trim()).filter(Boolean),
    shapeTwins: values['shape-twins'] === true ? true : undefined,
    tasks,
  };
  for (const k of Object.keys(opts) as Array<keyof SyntheticDatasetOptions>) if (opts[k] === undefined) delete opts[k];
  return { dir: positionals[0], options: opts, json: values.json === true };
}

export const command: Command = {
  name: 'synth',
  summary: 'write the synthetic shapes data set (images, clips, annotations) for the demo and tests',
  usage,
  async run(argv, io) {
    const { dir, options: opts, json } = synthOptionsFromArgs(argv);
    const summary = await generateSyntheticDataset(dir, opts);
    if (json) {
      writeJson(io, summary);
      return 0;
    }
    const c = summary.counts;
    const lines = [
      `wrote ${summary.dir} (seed ${summary.seed}, ${summary.imageSize}×${summary.imageSize}) in ${(summary.elapsedMs / 1000).toFixed(1)} s`,
      `  images  train ${c.trainImages}, val ${c.valImages}, test ${c.testImages}; ${c.trainImageCaptions} training captions; ` +
        `VQA ${c.vqaTrain} train / ${c.vqaTest} test questions, ${c.answers} answers`,
    ];
    if (c.trainVideos + c.testVideos > 0) {
      lines.push(
        `  videos  train ${c.trainVideos}, test ${c.testVideos} (${summary.framesPerVideo} frames); ${c.trainVideoCaptions} training captions; ` +
          `VideoQA ${c.videoQaTrain} train / ${c.videoQaTest} test questions`
      );
    }
    lines.push(`  tasks   ${summary.tasks.join(', ')}`, `  manifest ${summary.manifest}`);
    io.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
