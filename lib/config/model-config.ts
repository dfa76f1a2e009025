/**
 * Model configuration as plain data. The same keys cross into the native core (nested objects are
 * flattened with dots), so this file is the typed description of what the core accepts.
 */
/** A model's task; 'pretrain' is BLIP's pretraining model (ITC + ITM + LM with a tied decoder). */
export type Task = 'retrieval' | 'vqa' | 'caption' | 'pretrain';
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;
export type Precision = 'fp32' | 'bf16' | 'fp16';

export interface VisionConfig {
  imageSize: number;
  patchSize: number;
  inChans?: number;
  width: number;
  depth: number;
  heads: number;
  mlpHidden: number;
  qkvBias?: boolean;
  /** LayerNorm epsilon of every ViT norm (1e-6 in BLIP; HF configs say 1e-5). */
  lnEps?: number;
  /** Maximum stochastic-depth rate (0.1 for VQA, 0 otherwise). */
  dropPath?: number;
  /** Gradient checkpointing of the last N ViT blocks (memory only; no numerical effect). */
  gradCheckpointLayers?: number;
}

export interface TextConfig {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPosition: number;
  lnEps?: number;
  hiddenDropout?: number;
  attentionDropout?: number;
  /** Width of the cross-attention memory (the ViT width for the encoder). */
  encoderWidth?: number;
}

export type PetlMethod = 'uniadapter' | 'linear-probe' | 'adapter' | 'parallel' | 'mam' | 'lora' | 'full' | 'none';
export type Modality = 'visual' | 'textual' | 'multimodal';

export interface PetlConfig {
  method?: PetlMethod;
  /** Adapter bottleneck r (512 in the official configs). */
  bottleneck?: number;
  /** Fixed scale of the adapter deltas (0.1). */
  scale?: number;
  /** Which projections UniAdapter shares across modalities: 'down' is the paper's design. */
  share?: 'down' | 'none' | 'up' | 'both';
  /** Add the query-residual (textual branch on the self-attention output) in multimodal mode. */
  queryResidual?: boolean;
  modalities?: Modality[];
  /** 1-based inclusive range of layers that get adapters, e.g. [5, 12]. */
  layers?: [number, number];
  /** Initialisation: the retrieval script's, the VQA script's (no re-init), or the paper's. */
  init?: 'code-retrieval' | 'code-vqa' | 'paper';
  /** Key/value low-rank adapters in every cross-attention (on in all official configs). */
  kvAdapter?: boolean;
  kvBottleneck?: number;
  /** Frame-aware attention: the code's formula (default), the paper's, or off. */
  pfa?: 'code' | 'paper' | 'off';
  /** 'official' reproduces the scripts' name rule (freezes the cross-modal LayerNorm); 'corrected' trains it. */
  trainableRule?: 'official' | 'corrected';
  loraRank?: number;
  loraAlpha?: number;
  prefixLength?: number;
  /**
   * Regular expressions (searched in BLIP's parameter names): a parameter one matches stays frozen under
   * any method, e.g. `['word_embeddings']` for a full fine-tuning that keeps the vocabulary's vectors,
   * so that its checkpoint can be written as a difference from its base (saveWeights `base`).
   */
  freeze?: string[];
}

export interface TokenIds {
  enc: number;
  bos: number;
  sep: number;
  pad: number;
  cls: number;
}

/**
 * What a model is built from: the task and any settings that differ from the core's defaults, which
 * are BLIP-base with the official UniAdapter settings (see ResolvedModelConfig / resolveConfig).
 */
export interface ModelConfig {
  task: Task;
  vision?: Partial<VisionConfig>;
  text?: Partial<TextConfig>;
  /** The VQA / caption decoder (defaults to the text configuration). */
  decoder?: Partial<TextConfig>;
  petl?: Partial<PetlConfig>;
  embedDim?: number;
  queueSize?: number;
  momentum?: number;
  /** 'official': shared adapters get the momentum update twice per step (as the code); 'single' once. */
  momentumUpdate?: 'official' | 'single';
  /** The momentum encoders reuse the frozen backbone tensors instead of keeping a copy. */
  momentumSharesBackbone?: boolean;
  negativeAllRank?: boolean;
  tokens?: Partial<TokenIds>;
  labelSmoothing?: number;
  seed?: number;
  device?: Device;
  precision?: Precision;
  /** Storage dtype of frozen weights; 'auto' = bf16/fp16 on CUDA with mixed precision, else fp32. */
  frozenDtype?: 'auto' | 'float32' | 'bfloat16' | 'float16';
  /**
   * Initial backbone values before any checkpoint is loaded: BLIP's N(0, 0.02) ('blip'), or
   * N(0, 1/fan_in) with N(0, 1/d) word and position embeddings ('variance-preserving'), whose random
   * features keep inputs distinguishable and whose tied LM head starts at unit-variance logits.
   */
  backboneInit?: 'blip' | 'variance-preserving';
  /**
   * Initial ViT position embeddings: BLIP's N(0, 0.02) ('blip'), or MAE's fixed 2-D sine-cosine table
   * ('sincos', then trained like any weight; rows of norm sqrt(width / 2), the [CLS] row zero): for a
   * ViT pretrained from scratch, where BLIP's small start left position unlearned (README, Demo).
   */
  posEmbedInit?: 'blip' | 'sincos';
  /** Dynamic loss scaling: 'auto' (on with fp16), 'dynamic' (always), 'off'. */
  lossScaling?: 'auto' | 'dynamic' | 'off';
  lossScaleInit?: number;
  lossScaleGrowthInterval?: number;
}

/** BERT-base-uncased + BLIP's [DEC] and [ENC]. */
export const BLIP_TOKENS: TokenIds = { enc: 30523, bos: 30522, sep: 102, pad: 0, cls: 101 };

/**
 * A configuration as the native core built it: every setting present, defaults filled in by the core
 * (its configuration structs are the one source of defaults), `petl.layers` with its real last layer,
 * modalities in the order visual, textual, multimodal, and `frozenDtype` resolved from 'auto'.
 * `createModel(config).config` is this.
 */
export interface ResolvedModelConfig {
  task: Task;
  vision: Required<VisionConfig>;
  text: Required<TextConfig>;
  decoder: Required<TextConfig>;
  petl: Required<PetlConfig>;
  embedDim: number;
  queueSize: number;
  momentum: number;
  momentumUpdate: 'official' | 'single';
  momentumSharesBackbone: boolean;
  negativeAllRank: boolean;
  tokens: TokenIds;
  labelSmoothing: number;
  seed: number;
  device: Device;
  precision: Precision;
  frozenDtype: 'float32' | 'bfloat16' | 'float16';
  backboneInit: 'blip' | 'variance-preserving';
  posEmbedInit: 'blip' | 'sincos';
  lossScaling: 'auto' | 'dynamic' | 'off';
  lossScaleInit: number;
  lossScaleGrowthInterval: number;
}
