/** Image captioning (BLIP_Decoder, optionally with UniAdapter): LM training with the prompt masked, generation. */
import type { ModelConfig } from '../config/model-config';
import type { CaptionOps } from '../native/ops';
import { UniAdapterError } from '../errors';
import type { HostTensor } from '../tensor';
import { BlipModel } from './blip-model';
import { CAPTION_GENERATION_DEFAULTS, generationLimits } from './generation-options';
import type { StepOptions, StepStats } from './step-options';

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

export class CaptionModel extends BlipModel<CaptionOps> {
  static async create(config: ModelConfig): Promise<CaptionModel> {
    if (config.task !== 'caption') throw new UniAdapterError('ERR_CONFIG', `CaptionModel needs task 'caption', got '${config.task}'`);
    const { native, config: resolved } = await BlipModel.createNative(config);
    return new CaptionModel(native, resolved);
  }

  private static inputs(b: CaptionBatch) {
    return { pixels: b.pixels, caption_input_ids: b.captionIds, caption_attention_mask: b.captionMask };
  }

  async forward(batch: CaptionBatch, options: { capture?: boolean } = {}): Promise<{ loss: number; captured: Record<string, HostTensor> }> {
    const r = await this.ops.forward(CaptionModel.inputs(batch), { capture: options.capture, promptLength: batch.promptLength });
    return { loss: r.info.loss, captured: r.tensors };
  }

  async trainStep(batch: CaptionBatch, options: StepOptions): Promise<{ stats: StepStats; captured: Record<string, HostTensor> }> {
    const r = await this.ops.train_step(CaptionModel.inputs(batch), { ...options, promptLength: batch.promptLength });
    return { stats: r.info, captured: r.tensors };
  }

  /** Generation from the prompt ids ([DEC] a picture of): beam search (3 beams, max 20, min 5) or greedy. */
  async generate(
    pixels: HostTensor,
    promptIds: HostTensor,
    options: CaptionGenerateOptions = {}
  ): Promise<{ ids: HostTensor; scores?: HostTensor; stepLogits?: HostTensor; unfinished?: HostTensor }> {
    const limits = generationLimits(options, CAPTION_GENERATION_DEFAULTS);
    const r = await this.ops.generate({ pixels, prompt_input_ids: promptIds }, { ...limits, capture: options.capture });
    const t = r.tensors;
    return { ids: t.output_ids, scores: t.sequence_scores, stepLogits: t.step_logits, unfinished: t.unfinished_before_step };
  }
}
