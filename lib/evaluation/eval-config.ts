/** What `uniadapter eval --config` reads: the model, its weights and adapter, the data, the protocol. */
import type { ModelChoice, TrainTask } from '../config/model-choice';
import type { DataChoice } from '../data/data-choice';
import { UniAdapterError } from '../errors';
import type { AnswerScore } from '../inference/answer-score';
import type { TextPadding } from '../text/text-batches';

export interface EvalConfig {
  task: TrainTask;
  model: ModelChoice;
  /** BLIP weights (.pth or .safetensors). */
  weights?: string;
  /** A trained adapter file (uniadapter-adapter/2). */
  adapter?: string;
  data: DataChoice;
  split?: 'val' | 'test';
  /** Retrieval: shortlist length k_test (128; COCO 256) and the ITC weight beta (0). */
  k?: number;
  beta?: number;
  /** Frames per video at inference (16). */
  frames?: number;
  /** Frame choice of videos: 'uniform' (default, segment starts) or BLIP's 'blip-arange'. */
  frameSampling?: 'uniform' | 'blip-arange';
  /** Token length of retrieval texts, the same value training uses (35; DiDeMo paragraphs 64). */
  maxTextLength?: number;
  /** Retrieval texts padded to maxTextLength ('max-length', official) or to the set's longest ('longest'). */
  textPadding?: TextPadding;
  /** VQA: 'rank' over the answer list (official) or 'generate'. */
  vqaMode?: 'rank' | 'generate';
  /** Answer shortlist for ranking (k_test 128). */
  answerK?: number;
  /** How ranking scores the shortlist: the official label-smoothed loss ('smoothed') or the summed log-probability ('log-likelihood'). */
  answerScore?: AnswerScore;
  /** Captioning: beams (3), max and min length (20, 5, prompt included). */
  numBeams?: number;
  maxCaptionLength?: number;
  minCaptionLength?: number;
  /** Samples per native call. */
  batchSize?: number;
  /** Evaluate only the first N items (for quick checks). */
  limit?: number;
  /** Where to write the JSON result. */
  output?: string;
  threads?: number;
}

/** Every key of {@link EvalConfig}; the type below fails to compile when one is missing. */
export const EVAL_CONFIG_KEYS = [
  'task', 'model', 'weights', 'adapter', 'data', 'split', 'k', 'beta', 'frames', 'frameSampling', 'maxTextLength', 'textPadding', 'vqaMode', 'answerK', 'answerScore',
  'numBeams', 'maxCaptionLength', 'minCaptionLength', 'batchSize', 'limit', 'output', 'threads',
] as const satisfies ReadonlyArray<keyof EvalConfig>;
const everyKeyListed: [Exclude<keyof EvalConfig, (typeof EVAL_CONFIG_KEYS)[number]>] extends [never] ? true : never = true;
void everyKeyListed;

/**
 * Checks the `evaluation` section of a configuration file: only evaluation settings, so that a
 * misspelt `numbeams` stops the run instead of evaluating with the default.
 *
 * @throws UniAdapterError ERR_CONFIG naming the key and the known ones
 */
export function validateEvaluationSection(section: unknown): void {
  if (section === undefined) return;
  if (!section || typeof section !== 'object' || Array.isArray(section)) throw new UniAdapterError('ERR_CONFIG', "'evaluation' must be a mapping of evaluation settings");
  for (const k of Object.keys(section)) {
    if (k === 'maxLength') throw new UniAdapterError('ERR_CONFIG', 'evaluation.maxLength is now the top-level maxTextLength, which training uses too; move it there');
    if (!(EVAL_CONFIG_KEYS as readonly string[]).includes(k)) throw new UniAdapterError('ERR_CONFIG', `evaluation: unknown key '${k}' (known: ${EVAL_CONFIG_KEYS.join(', ')})`);
  }
}
