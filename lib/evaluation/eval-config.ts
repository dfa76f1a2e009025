/** What `uniadapter eval --config` reads: the model, its weights and adapter, the data, the protocol. */
import type { ModelChoice, TrainTask } from '../config/model-choice';
import type { DataChoice } from '../data/data-choice';

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
  /** VQA: 'rank' over the answer list (official) or 'generate'. */
  vqaMode?: 'rank' | 'generate';
  /** Answer shortlist for ranking (k_test 128). */
  answerK?: number;
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
