/**
 * VQA and VideoQA (BLIP_VQA with UniAdapter): answer-weighted LM training, answer ranking over a
 * candidate list, and answer generation by beam search.
 */
import type { ModelConfig } from '../config/model-config';
import type { AnswerScore, VqaOps } from '../native/ops';
import { UniAdapterError } from '../errors';
import type { HostTensor } from '../tensor';
import { BlipModel } from './blip-model';
import { generationLimits, VQA_GENERATION_DEFAULTS } from './generation-options';
import type { StepOptions, StepStats } from './step-options';

export interface VqaBatch {
  pixels: HostTensor;
  questionIds: HostTensor;
  questionMask: HostTensor;
  /** All answers of the batch, question by question [A, La]. */
  answerIds: HostTensor;
  answerMask: HostTensor;
  /** Number of answers of each question [B] (int64). */
  answerCount: HostTensor;
  /** Weight of each answer [A] (float32). */
  answerWeights: HostTensor;
}

export interface VqaRankInputs {
  pixels: HostTensor;
  questionIds: HostTensor;
  questionMask: HostTensor;
  answerListIds: HostTensor;
  answerListMask: HostTensor;
}

export interface VqaRankResult {
  /** Index into the answer list of each question's best answer [B]. */
  best: HostTensor;
  topkIds: HostTensor;
  logProbSums: HostTensor;
  captured: Record<string, HostTensor>;
}

export class VqaModel extends BlipModel<VqaOps> {
  static async create(config: ModelConfig): Promise<VqaModel> {
    if (config.task !== 'vqa') throw new UniAdapterError('ERR_CONFIG', `VqaModel needs task 'vqa', got '${config.task}'`);
    const { native, config: resolved } = await BlipModel.createNative(config);
    return new VqaModel(native, resolved);
  }

  private static inputs(b: VqaBatch) {
    return {
      pixels: b.pixels,
      question_input_ids: b.questionIds,
      question_attention_mask: b.questionMask,
      answer_input_ids: b.answerIds,
      answer_attention_mask: b.answerMask,
      answer_n: b.answerCount,
      answer_weights: b.answerWeights,
    };
  }

  /** The training loss without an update, with the intermediate tensors when capture is set. */
  async forward(batch: VqaBatch, options: { capture?: boolean } = {}): Promise<{ loss: number; captured: Record<string, HostTensor> }> {
    const r = await this.ops.forward(VqaModel.inputs(batch), { capture: options.capture });
    return { loss: r.info.loss, captured: r.tensors };
  }

  async trainStep(batch: VqaBatch, options: StepOptions): Promise<{ stats: StepStats; captured: Record<string, HostTensor> }> {
    const r = await this.ops.train_step(VqaModel.inputs(batch), { ...options });
    return { stats: r.info, captured: r.tensors };
  }

  /** Answer ranking: first-token shortlist of k candidates, then full scoring (label-smoothed unless `score` is 'log-likelihood'). */
  async rank(inputs: VqaRankInputs, options: { k?: number; capture?: boolean; score?: AnswerScore } = {}): Promise<VqaRankResult> {
    const r = await this.ops.rank({
        pixels: inputs.pixels,
        question_input_ids: inputs.questionIds,
        question_attention_mask: inputs.questionMask,
        answer_list_input_ids: inputs.answerListIds,
        answer_list_attention_mask: inputs.answerListMask,
      },
      { k: options.k, capture: options.capture, ...(options.score !== undefined ? { score: options.score } : {}) }
    );
    return { best: r.tensors.rank_max_ids, topkIds: r.tensors.rank_topk_ids, logProbSums: r.tensors.rank_log_probs_sum, captured: r.tensors };
  }

  /** Free-form answers by beam search (3 beams, max 10 tokens including [DEC], as the official code). */
  async generate(
    inputs: { pixels: HostTensor; questionIds: HostTensor; questionMask: HostTensor },
    options: { numBeams?: number; maxLength?: number; minLength?: number } = {}
  ): Promise<{ ids: HostTensor; scores?: HostTensor }> {
    const { numBeams, maxLength, minLength } = generationLimits(options, VQA_GENERATION_DEFAULTS);
    const r = await this.ops.generate({ pixels: inputs.pixels, question_input_ids: inputs.questionIds, question_attention_mask: inputs.questionMask },
      { numBeams, maxLength, minLength }
    );
    return { ids: r.tensors.output_ids, scores: r.tensors.sequence_scores };
  }
}
