/** Image captioning (BLIP_Decoder, optionally with UniAdapter): LM training with the prompt masked, generation. */
import type { ModelConfig } from '../config/model-config';
import { UniAdapterError } from '../errors';
import type { HostTensor } from '../tensor';
import { BlipModel } from './blip-model';
import { generationLimits, type GenerationLimits } from './generation-options';
import { stepOptions, type StepOptions, type StepStats } from './step-options';

export interface CaptionBatch {
  pixels: HostTensor;
  /** prompt + caption ids [B, L] ([DEC] at position 0). */
  captionIds: HostTensor;
  captionMask: HostTensor;
  /** Number of prompt tokens excluded from the loss ([DEC] a picture of = 4). */
  promptLength: number;
}

export interface CaptionGenerateOptions {
  numBeams?: number;
  maxLength?: number;
  minLength?: number;
  repetitionPenalty?: number;
  capture?: boolean;
}

/** BLIP's captioning settings: 3 beams, at most 20 tokens, at least 5, no repetition penalty. */
export const CAPTION_DEFAULTS: GenerationLimits = { numBeams: 3, maxLength: 20, minLength: 5, repetitionPenalty: 1.0 };

export class CaptionModel extends BlipModel {
  static async create(config: ModelConfig): Promise<CaptionModel> {
    if (config.task !== 'caption') throw new UniAdapterError('ERR_CONFIG', `CaptionModel needs task 'caption', got '${config.task}'`);
    return new CaptionModel(await BlipModel.createNative(config), config);
  }

  private static inputs(b: CaptionBatch) {
    return { pixels: b.pixels, caption_input_ids: b.captionIds, caption_attention_mask: b.captionMask };
  }

  async forward(batch: CaptionBatch, options: { capture?: boolean } = {}): Promise<{ loss: number; captured: Record<string, HostTensor> }> {
    const r = await this.run('forward', CaptionModel.inputs(batch), { capture: options.capture ?? false, promptLength: batch.promptLength });
    return { loss: r.info.loss, captured: r.tensors };
  }

  async trainStep(batch: CaptionBatch, options: StepOptions): Promise<{ stats: StepStats; captured: Record<string, HostTensor> }> {
    const r = await this.run('train_step', CaptionModel.inputs(batch), stepOptions(options, { promptLength: batch.promptLength }));
    return { stats: r.info as StepStats, captured: r.tensors };
  }

  /** Generation from the prompt ids ([DEC] a picture of): beam search (3 beams, max 20, min 5) or greedy. */
  async generate(
    pixels: HostTensor,
    promptIds: HostTensor,
    options: CaptionGenerateOptions = {}
  ): Promise<{ ids: HostTensor; scores?: HostTensor; stepLogits?: HostTensor; unfinished?: HostTensor }> {
    const limits = generationLimits(options, CAPTION_DEFAULTS);
    const r = await this.run('generate', { pixels, prompt_input_ids: promptIds }, { ...limits, capture: options.capture ?? false });
    const t = r.tensors;
    return { ids: t.output_ids, scores: t.sequence_scores, stepLogits: t.step_logits, unfinished: t.unfinished_before_step };
  }
}
