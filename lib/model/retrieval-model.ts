/**
 * Image–text and video–text retrieval (BLIP_Retrieval with UniAdapter): ITC embeddings, ITM scoring
 * of (text, candidate) pairs, and the training step (ITC with momentum distillation and queues + ITM
 * with hard negatives).
 */
import type { ModelConfig } from '../config/model-config';
import type { RetrievalOps } from '../native/ops';
import { UniAdapterError } from '../errors';
import type { HostTensor } from '../tensor';
import type { OpInputs } from '../native/ops';
import { BlipModel } from './blip-model';
import type { StepOptions, StepStats } from './step-options';

export interface ImageEmbeddings {
  /** ViT outputs [N, T, tokens, width] (T = 1 for images), when asked for. */
  tokens?: HostTensor;
  /** Mean over frames of the CLS outputs [N, width]. */
  clsMean: HostTensor;
  /** vision_proj(clsMean) before normalisation [N, E]. */
  projRaw: HostTensor;
  /** ITC features, L2-normalised [N, E]. */
  features: HostTensor;
  /** Per-frame ITC features [N, T, E] (for frame-aware attention). */
  frameFeatures: HostTensor;
}

export interface TextEmbeddings {
  hidden?: HostTensor;
  projRaw: HostTensor;
  features: HostTensor;
}

export interface ItmInputs {
  /** Token ids [P, L]; position 0 is replaced by [ENC] unless replaceFirstToken is false. */
  inputIds: HostTensor;
  attentionMask: HostTensor;
  /** Candidates' ViT outputs [G, (T,) tokens, width]. */
  imageTokens: HostTensor;
  /** Candidate index of every pair [P] (int64); omitted: pair p uses candidate p. */
  pairImage?: HostTensor;
  /** For frame-aware attention: text ITC features [P, E] and candidates' frame features [G, T, E]. */
  textFeatures?: HostTensor;
  frameFeatures?: HostTensor;
  /**
   * For the paper's frame-aware attention (pfa 'paper'): each text's unimodal CLS state [P, width].
   * Omitted: computed from `inputIds`, whose first token must then still be [CLS].
   */
  textCls?: HostTensor;
  pfa?: boolean;
  replaceFirstToken?: boolean;
  returnHidden?: boolean;
}

export interface RetrievalBatch {
  /** [B, 3, S, S] / [B, T, 3, S, S] float (normalised) or [B, (T,) S, S, 3] uint8. */
  pixels: HostTensor;
  inputIds: HostTensor;
  attentionMask: HostTensor;
  /** Image id of every pair [B] (equal ids are positives of each other). */
  idx: HostTensor;
}

export interface RetrievalStepOptions extends StepOptions {
  /** Distillation weight (0.4, ramped up during the first epoch). */
  alpha: number;
  /** 'sample' draws hard negatives by multinomial (official); 'argmax' is deterministic. */
  hardNegatives?: 'sample' | 'argmax';
  pfa?: boolean;
}

export interface RetrievalStepResult {
  stats: StepStats & { lossIta: number; lossItm: number; temp: number };
  captured: Record<string, HostTensor>;
}

export class RetrievalModel extends BlipModel<RetrievalOps> {
  static async create(config: ModelConfig): Promise<RetrievalModel> {
    if (config.task !== 'retrieval') throw new UniAdapterError('ERR_CONFIG', `RetrievalModel needs task 'retrieval', got '${config.task}'`);
    const { native, config: resolved } = await BlipModel.createNative(config);
    return new RetrievalModel(native, resolved);
  }

  /** ITC embeddings (and ViT tokens unless `tokens` is false); the momentum encoder has no per-frame features. */
  async encodeImages(pixels: HostTensor, options?: { tokens?: boolean; momentum?: false }): Promise<ImageEmbeddings>;
  async encodeImages(pixels: HostTensor, options: { tokens?: boolean; momentum: true }): Promise<Omit<ImageEmbeddings, 'frameFeatures'>>;
  async encodeImages(pixels: HostTensor, options: { tokens?: boolean; momentum?: boolean } = {}): Promise<Omit<ImageEmbeddings, 'frameFeatures'> & { frameFeatures?: HostTensor }> {
    const r = await this.ops.encode_image({ pixels }, { tokens: options.tokens, momentum: options.momentum });
    const t = r.tensors;
    return { tokens: t.vit_last_hidden, clsMean: t.cls_mean, projRaw: t.image_proj_raw, features: t.image_feat, frameFeatures: t.frame_feat };
  }

  async encodeTexts(inputIds: HostTensor, attentionMask: HostTensor, options: { hidden?: boolean } = {}): Promise<TextEmbeddings> {
    // The core returns the hidden states unless told not to; this API returns them only when asked.
    const r = await this.ops.encode_text({ input_ids: inputIds, attention_mask: attentionMask }, { hidden: options.hidden ?? false });
    return { hidden: r.tensors.text_last_hidden, projRaw: r.tensors.text_proj_raw, features: r.tensors.text_feat };
  }

  /** Cosine similarities a @ b^T of normalised features [n, m]. */
  async similarity(a: HostTensor, b: HostTensor): Promise<HostTensor> {
    return (await this.ops.similarity({ a, b }, {})).tensors.sims;
  }

  /** ITM logits [P, 2] (column 1 = match) of text/candidate pairs. */
  async itm(inputs: ItmInputs): Promise<{ logits: HostTensor; hidden?: HostTensor }> {
    const t: OpInputs<RetrievalOps, 'itm'> = { input_ids: inputs.inputIds, attention_mask: inputs.attentionMask, image_tokens: inputs.imageTokens };
    if (inputs.pairImage) t.pair_image = inputs.pairImage;
    if (inputs.textFeatures) t.text_feat = inputs.textFeatures;
    if (inputs.frameFeatures) t.frame_feat = inputs.frameFeatures;
    if (inputs.textCls) t.text_cls = inputs.textCls;
    const r = await this.ops.itm(t, { pfa: inputs.pfa, replaceFirstToken: inputs.replaceFirstToken, hidden: inputs.returnHidden });
    return { logits: r.tensors.itm_logits, hidden: r.tensors.mm_last_hidden };
  }

  /** One training step: forward, backward and (unless update is false) the AdamW update. */
  async trainStep(batch: RetrievalBatch, options: RetrievalStepOptions): Promise<RetrievalStepResult> {
    const r = await this.ops.train_step({ pixels: batch.pixels, input_ids: batch.inputIds, attention_mask: batch.attentionMask, idx: batch.idx },
      { ...options }
    );
    return { stats: r.info, captured: r.tensors };
  }
}
