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
  ResolvedModelConfig,
} from './config/model-config';
export { BLIP_TOKENS } from './config/model-config';
export { presetConfig, DEFAULT_IMAGE_SIZE, type PresetName, type PresetOptions } from './config/presets';
export { resolveConfig } from './config/resolve-config';

export { BlipModel, type StateSelection } from './model/blip-model';
export { RetrievalModel } from './model/retrieval-model';
export type { ImageEmbeddings, TextEmbeddings, ItmInputs, RetrievalBatch, RetrievalStepOptions, RetrievalStepResult } from './model/retrieval-model';
export { VqaModel, type VqaBatch, type VqaRankInputs, type VqaRankResult } from './model/vqa-model';
export { CaptionModel, type CaptionBatch, type CaptionGenerateOptions } from './model/caption-model';
export { PretrainModel, type PretrainBatch, type PretrainStepOptions, type PretrainStepResult } from './model/pretrain-model';
export { createModel, type TaskModel } from './model/create-model';
export type { StepOptions, StepStats } from './model/step-options';
export type { ParameterInfo, ParameterEntry, ParameterCounts } from './model/parameter-info';

export { loadWeights, type LoadWeightsOptions, type LoadReport } from './weights/load-weights';
export { BASE_METADATA_KEY, TIED_METADATA_KEY, type BaseReference } from './weights/checkpoint-view';
export { saveWeights, type SaveWeightsOptions, type SaveWeightsResult, type WeightsDType } from './weights/save-weights';
export { embeddedModel, EMBEDDED_MANIFEST, EMBEDDED_VQA_MANIFEST, type EmbeddedBackbone } from './weights/embedded-model';
export { readVerifiedManifest, sha256File, PRETRAINED_MANIFEST_FORMAT, type PretrainedManifest } from './weights/pretrained-manifest';
export { openCheckpoint } from './io/checkpoint';
export type { CheckpointReader, TensorInfo } from './io/checkpoint-reader';
export { readSafetensors, writeSafetensors, SafetensorsFile } from './io/safetensors';

export { BlipTokenizer } from './text/tokenizer';
export { preCaption, preQuestion } from './text/pre-text';

export { runtimeReport, setThreads, recommendedThreads, type RuntimeReport } from './native/runtime-info';
export { binarySource } from './native/addon';
export { retrievalScoreMatrices, type ScoreMatrices, type QueryTexts } from './evaluation/retrieval/score-matrices';
export * as metrics from './evaluation/metrics';

export { saveAdapter, loadAdapter, readAdapterMetadata, backboneFingerprint, type AdapterMetadata, type SaveAdapterResult } from './weights/adapter-file';
export { Gallery, type GalleryBuildOptions, type GalleryEmbeddings } from './inference/gallery';
export { retrieveByText, retrieveByImage, type RetrieveOptions, type ImageQueryOptions, type RetrievedItem } from './inference/retrieve';
export type { QueryTextOptions } from './ranking/query-texts';
export { TextGallery, type TextGalleryOptions } from './inference/text-gallery';
export { answerQuestions, type AnswerOptions, type AnswerResult } from './inference/answer';
export { ANSWER_SCORES, type AnswerScore } from './inference/answer-score';
export { captionImages, type CaptionOptions, type CaptionResult } from './inference/caption';
export type { ImageInput, VideoInput } from './data/media/media-input';
export { evaluateRetrieval, type RetrievalEvalOptions, type RetrievalEvalResult } from './evaluation/retrieval/evaluate';
export { runEvaluation, type EvalResult, type RunEvaluationOptions } from './evaluation/run-evaluation';
export { ModelSession, type SessionOptions } from './session/model-session';
export type { EvalConfig } from './evaluation/eval-config';
export { Trainer, distributedFromEnv, type TrainSummary, type StepEvent, type EpochEvent, type TrainerOptions } from './train/trainer';
export type { TrainerConfig, TrainTask, ModelChoice, DataChoice } from './train/trainer-config';
export { learningRate, distillationAlpha, type ScheduleConfig } from './train/schedule';
export { saveCheckpoint, restoreCheckpoint, readCheckpointState } from './train/checkpoint';
export { openDatasetFolder, datasetFromAnnotations } from './data/dataset-folder';
export { DataLoader } from './data/loader';
export { decodeImage } from './data/media/image';
export { readVideoFrames, probeVideo } from './data/media/video';
export { GalleryStore, type StoreItem, type StoreHit, type StoreInfo, type CreateStoreOptions, type VectorSearchOptions, type MetadataValue } from './store/gallery-store';
export { createStoreFor, ingestMedia, ingestTexts, storeFingerprint, type MediaItem, type IngestOptions, type TextItem, type TextIngestOptions } from './store/store-ingest';
export { searchStoreByText, searchStoreByImage, type StoreQueryOptions, type StoreSearchOptions, type ImageStoreSearchOptions, type StoreResult } from './store/store-search';
export type { TokenStorage } from './store/token-codec';
export { createService, type Service, type RetrieveRequest, type ImageRetrieveRequest, type AnswerRequest, type CaptionRequest, type GalleryWrite } from './serve/service';
export { buildServer, type RunningServer, type ServerOptions } from './serve/server';
export { readServeConfig, checkServeConfig, DEFAULT_BATCHING, DEFAULT_LIMITS, type ServeConfig, type ServedModel, type BatchingConfig, type LimitsConfig } from './serve/serve-config';
export { imageHeader } from './data/media/image';
