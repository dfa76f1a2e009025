/**
 * The native contract: every operation the addon runs, with its input tensors, its options and what it
 * returns. The dispatch point (./dispatch.ts) is the only code that names an operation by string; the
 * model classes call it through these types. Options left undefined take the core's defaults (the
 * core's option structs are the one place they are written).
 */
import type { ModelConfig, ResolvedModelConfig } from '../config/model-config';
import type { HostTensor } from '../tensor';

/** One operation: input tensors, options, output tensors and the info object. */
export interface OpSignature<I, O, T, N> {
  inputs: I;
  options: O;
  tensors: T;
  info: N;
}

type None = Record<string, never>;
type Named = Record<string, HostTensor>;

/** all: every tensor; trainable: what the rule trains; adapter: what an adapter file holds; training: what a step changes. */
export type StateSelection = 'all' | 'trainable' | 'adapter' | 'training';
/** The element type state_dict casts floating tensors to. */
export type StateDictDType = 'float32' | 'float16' | 'bfloat16';

export interface StepOptionFields {
  lr: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  exemptBiasNorm?: boolean;
  clipGradNorm?: number;
  update?: boolean;
  train?: boolean;
  capture?: boolean;
  backward?: boolean;
}

export interface StepInfo {
  loss: number;
  gradNorm: number;
  stepped: boolean;
  finite: boolean;
  lossScale: number;
  [key: string]: number | boolean;
}

export interface LoadStateInfo {
  loaded: string[];
  sharedSkipped: string[];
  unexpected: string[];
  mismatched: string[];
  interpolated: string[];
}

export interface ParamInfoWire {
  names: string[];
  groups: string[];
  shapes: string[];
  dtypes: string[];
  numel: number[];
  trainable: number[];
  /** Per name: the first name of the same tensor when tied, else ''. */
  tiedTo?: string[];
  counts: {
    total: number;
    totalWithPetl: number;
    petl: number;
    trainable: number;
    adapterProjections: number;
    byGroup?: Record<string, number>;
  };
  method: string;
  task: string;
  device: string;
}

export interface FingerprintInfo {
  fingerprint: string;
  tensors: number;
  values: number;
}

export interface GenerationFields {
  numBeams: number;
  maxLength: number;
  minLength: number;
  repetitionPenalty?: number;
  lengthPenalty?: number;
  capture?: boolean;
}

export interface GenerationTensors {
  output_ids: HostTensor;
  sequence_scores?: HostTensor;
  step_logits?: HostTensor;
  unfinished_before_step?: HostTensor;
}

/** Operations every task model has. */
export interface CommonOps {
  config: OpSignature<None, None, None, { config: ResolvedModelConfig }>;
  state_dict: OpSignature<None, { which?: StateSelection; names?: string[]; dtype?: StateDictDType }, Named, None>;
  load_state: OpSignature<Named, { dropMismatched?: boolean }, None, LoadStateInfo>;
  finish_load: OpSignature<None, { loaded: string[] }, None, None>;
  param_info: OpSignature<None, None, None, ParamInfoWire>;
  grads: OpSignature<None, None, Named, None>;
  fingerprint: OpSignature<None, { adapter?: boolean }, None, FingerprintInfo>;
  seed: OpSignature<None, { seed: number }, None, None>;
  set_training: OpSignature<None, { training: boolean }, None, None>;
  zero_grad: OpSignature<None, None, None, None>;
  init_distributed: OpSignature<
    None,
    { rank: number; worldSize: number; masterAddr?: string; masterPort?: number; backend?: 'gloo' | 'nccl'; timeoutMs?: number },
    None,
    None
  >;
  optimizer_state: OpSignature<None, None, Named, None>;
  load_optimizer_state: OpSignature<Named, None, None, None>;
  rng_state: OpSignature<None, None, { cpu: HostTensor; cuda?: HostTensor }, None>;
  set_rng_state: OpSignature<{ cpu?: HostTensor; cuda?: HostTensor }, None, None, None>;
  scaler_state: OpSignature<None, None, None, { scale: number; growthTracker: number }>;
  load_scaler_state: OpSignature<None, { scale?: number; growthTracker?: number }, None, None>;
}

export interface RetrievalOps extends CommonOps {
  encode_image: OpSignature<
    { pixels: HostTensor },
    { tokens?: boolean; momentum?: boolean; grad?: boolean },
    { vit_last_hidden?: HostTensor; cls_mean: HostTensor; image_proj_raw: HostTensor; image_feat: HostTensor; frame_feat?: HostTensor },
    None
  >;
  encode_text: OpSignature<
    { input_ids: HostTensor; attention_mask: HostTensor },
    { hidden?: boolean; momentum?: boolean },
    { text_last_hidden?: HostTensor; text_proj_raw: HostTensor; text_feat: HostTensor },
    None
  >;
  similarity: OpSignature<{ a: HostTensor; b: HostTensor }, None, { sims: HostTensor }, None>;
  itm: OpSignature<
    {
      input_ids: HostTensor;
      attention_mask: HostTensor;
      image_tokens: HostTensor;
      pair_image?: HostTensor;
      text_feat?: HostTensor;
      frame_feat?: HostTensor;
      text_cls?: HostTensor;
    },
    { pfa?: boolean; replaceFirstToken?: boolean; hidden?: boolean },
    { itm_logits: HostTensor; mm_last_hidden?: HostTensor },
    None
  >;
  train_step: OpSignature<
    { pixels: HostTensor; input_ids: HostTensor; attention_mask: HostTensor; idx: HostTensor },
    StepOptionFields & { alpha?: number; hardNegatives?: 'sample' | 'argmax'; pfa?: boolean },
    Named,
    StepInfo & { lossIta: number; lossItm: number; temp: number }
  >;
}

/** BLIP's pretraining model: the retrieval operations, and a step of ITC + ITM + LM without image ids. */
export interface PretrainOps extends Omit<RetrievalOps, 'train_step'> {
  train_step: OpSignature<
    { pixels: HostTensor; input_ids: HostTensor; attention_mask: HostTensor },
    StepOptionFields & { alpha?: number; hardNegatives?: 'sample' | 'argmax' },
    Named,
    StepInfo & { lossIta: number; lossItm: number; lossLm: number; temp: number }
  >;
}

interface VqaQuestion {
  pixels: HostTensor;
  question_input_ids: HostTensor;
  question_attention_mask: HostTensor;
}

interface VqaTrainInputs extends VqaQuestion {
  answer_input_ids: HostTensor;
  answer_attention_mask: HostTensor;
  answer_n: HostTensor;
  answer_weights: HostTensor;
}

/** How VQA answer ranking scores its shortlist (lib/inference/answer-score.ts). */
export type AnswerScore = 'smoothed' | 'log-likelihood';

export interface VqaOps extends CommonOps {
  forward: OpSignature<VqaTrainInputs, { capture?: boolean; train?: boolean }, Named, { loss: number }>;
  train_step: OpSignature<VqaTrainInputs, StepOptionFields, Named, StepInfo>;
  rank: OpSignature<
    VqaQuestion & { answer_list_input_ids: HostTensor; answer_list_attention_mask: HostTensor },
    { k?: number; capture?: boolean; replaceFirstToken?: boolean; score?: AnswerScore },
    Named & { rank_max_ids: HostTensor; rank_topk_ids: HostTensor; rank_log_probs_sum: HostTensor },
    None
  >;
  generate: OpSignature<VqaQuestion, GenerationFields & { replaceFirstToken?: boolean }, GenerationTensors, None>;
}

interface CaptionInputs {
  pixels: HostTensor;
  caption_input_ids: HostTensor;
  caption_attention_mask: HostTensor;
}

export interface CaptionOps extends CommonOps {
  forward: OpSignature<CaptionInputs, { capture?: boolean; train?: boolean; promptLength: number }, Named, { loss: number }>;
  train_step: OpSignature<CaptionInputs, StepOptionFields & { promptLength: number }, Named, StepInfo>;
  generate: OpSignature<{ pixels: HostTensor; prompt_input_ids: HostTensor }, GenerationFields & { tokens?: boolean }, GenerationTensors & { vit_last_hidden?: HostTensor }, None>;
}

export interface RuntimeInfoWire {
  torch: { version: string; major: number; minor: number; library: string };
  threads: { intraop: number; interop: number; parallelInfo: string };
  blas: { mapped: string; kind: string };
  buildConfig: string;
  distributed: boolean;
  cuda: { available: boolean; compiled: boolean; deviceCount: number; names?: string[]; capabilities?: string[]; memory?: number[] };
}

/** Operations that need no model. */
export interface UtilityOps {
  info: OpSignature<None, None, None, RuntimeInfoWire>;
  set_threads: OpSignature<None, { threads: number }, None, None>;
  identity: OpSignature<Named, None, Named, None>;
  resize: OpSignature<{ image: HostTensor }, { height: number; width: number; filter?: string }, { image: HostTensor }, None>;
  interpolate_pos_embed: OpSignature<{ pos_embed: HostTensor }, { grid: number; extraTokens?: number }, { pos_embed: HostTensor }, None>;
  gemm: OpSignature<None, { n?: number; iterations?: number; dtype?: string; device?: string }, None, { gflops: number }>;
  /** A configuration resolved as createModel would build it, without building a model. */
  resolve_config: OpSignature<None, ModelConfig, None, { config: ResolvedModelConfig }>;
}

/** The operations of each task's model. */
export interface TaskOps {
  retrieval: RetrievalOps;
  pretrain: PretrainOps;
  vqa: VqaOps;
  caption: CaptionOps;
}

export type OpName<Ops> = Extract<keyof Ops, string>;
export type OpInputs<Ops, K extends keyof Ops> = Ops[K] extends OpSignature<infer I, unknown, unknown, unknown> ? I : never;
export type OpOptions<Ops, K extends keyof Ops> = Ops[K] extends OpSignature<unknown, infer O, unknown, unknown> ? O : never;
export interface OpResult<Ops, K extends keyof Ops> {
  tensors: Ops[K] extends OpSignature<unknown, unknown, infer T, unknown> ? T : never;
  info: Ops[K] extends OpSignature<unknown, unknown, unknown, infer N> ? N : never;
}
