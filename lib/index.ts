/**
 * uniadapter: UniAdapter (ICLR 2024) parameter-efficient transfer learning for BLIP, on a native
 * LibTorch core. The public API.
 */
export { UniAdapterError, isUniAdapterError, type ErrorCode } from './errors';
export type { DType, HostTensor, TensorMap, TensorData } from './tensor';
export { float32, int64, uint8, numel, toNumbers, reshape, selectRows, concatRows } from './tensor';

export type {
  ModelConfig,
  VisionConfig,
  TextConfig,
  PetlConfig,
  PetlMethod,
  Modality,
  Task,
  Device,
  Precision,
  TokenIds,
} from './config/model-config';
export { BLIP_TOKENS } from './config/model-config';
export { presetConfig, officialPetl, DEFAULT_IMAGE_SIZE, type PresetName, type PresetOptions } from './config/presets';

export { BlipModel, type StateSelection } from './model/blip-model';
export { RetrievalModel } from './model/retrieval-model';
export type { ImageEmbeddings, TextEmbeddings, ItmInputs, RetrievalBatch, RetrievalStepOptions, RetrievalStepResult } from './model/retrieval-model';
export { VqaModel, type VqaBatch, type VqaRankInputs, type VqaRankResult } from './model/vqa-model';
export { CaptionModel, type CaptionBatch, type CaptionGenerateOptions } from './model/caption-model';
export { createModel, type TaskModel } from './model/create-model';
export type { StepOptions, StepStats } from './model/step-options';
export type { ParameterInfo, ParameterEntry, ParameterCounts } from './model/parameter-info';

export { loadWeights, type LoadWeightsOptions, type LoadReport } from './weights/load-weights';
export { openCheckpoint } from './io/checkpoint';
export type { CheckpointReader, TensorInfo } from './io/checkpoint-reader';
export { readSafetensors, writeSafetensors, SafetensorsFile } from './io/safetensors';

export { BlipTokenizer } from './tokenizer';
export { preCaption, preQuestion } from './text';

export { runtimeReport, setThreads, recommendedThreads, type RuntimeReport } from './runtime-info';
export { binarySource } from './native';
export { retrievalScoreMatrices, type ScoreMatrices, type GalleryEmbeddings, type QueryTexts } from './retrieval/score-matrices';
export * as metrics from './eval';
