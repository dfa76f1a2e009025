/**
 * BLIP's pretraining model (BLIP_Pretrain): the retrieval model's ITC with momentum distillation and
 * queues and ITM with hard negatives, plus language modelling by a causal decoder that shares all of
 * the text encoder's weights except its self-attention. Its state dict is a BLIP checkpoint that
 * `loadWeights` reads into the retrieval, VQA and caption models.
 */
import type { ModelConfig } from '../config/model-config';
import type { PretrainOps } from '../native/ops';
import { UniAdapterError } from '../errors';
import type { HostTensor } from '../tensor';
import { BlipModel } from './blip-model';
import type { StepOptions, StepStats } from './step-options';

export interface PretrainBatch {
  /** [B, 3, S, S] float (normalised) or [B, S, S, 3] uint8. */
  pixels: HostTensor;
  /** Caption token ids [B, L] ([CLS] first; the core puts [ENC] and [DEC] where BLIP does). */
  inputIds: HostTensor;
  attentionMask: HostTensor;
}

export interface PretrainStepOptions extends StepOptions {
  /** Distillation weight (0.4, ramped up during the first epoch). */
  alpha: number;
  hardNegatives?: 'sample' | 'argmax';
}

export interface PretrainStepResult {
  stats: StepStats & { lossIta: number; lossItm: number; lossLm: number; temp: number };
  captured: Record<string, HostTensor>;
}

export class PretrainModel extends BlipModel<PretrainOps> {
  static async create(config: ModelConfig): Promise<PretrainModel> {
    if (config.task !== 'pretrain') throw new UniAdapterError('ERR_CONFIG', `PretrainModel needs task 'pretrain', got '${config.task}'`);
    const { native, config: resolved } = await BlipModel.createNative(config);
    return new PretrainModel(native, resolved);
  }

  /** One step of loss_ita + loss_itm + loss_lm: forward, backward and (unless update is false) AdamW. */
  async trainStep(batch: PretrainBatch, options: PretrainStepOptions): Promise<PretrainStepResult> {
    const r = await this.ops.train_step({ pixels: batch.pixels, input_ids: batch.inputIds, attention_mask: batch.attentionMask }, { ...options });
    return { stats: r.info, captured: r.tensors };
  }
}
