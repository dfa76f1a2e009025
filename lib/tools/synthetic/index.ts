/** The synthetic shapes data set: scene model, rasteriser, text grammar and the generator. */
export { Prng, type PrngState } from './prng';
export * from './vocab';
export {
  CELL_CENTERS,
  HALF_SIZE,
  GROW_RANGE,
  JITTER,
  objectPose,
  sampleImageScene,
  sampleVideoScene,
  sceneSignature,
  shapeTwin,
  type Background,
  type ImageSceneOptions,
  type Pose,
  type Scene,
  type SceneObject,
  type VideoSceneOptions,
} from './scene';
export { insideShape } from './shapes';
export { paintBackground } from './background';
export { renderFrame, renderFrames, MIN_IMAGE_SIZE, MAX_IMAGE_SIZE } from './raster';
export { encodePng } from './png';
export { encodeMp4, encodeMp4Clips, mp4EncodeArgs, type Mp4Options } from './mp4';
export { imageCaptions, videoCaptions, canonicalImageCaption, canonicalVideoCaption, MAX_CAPTIONS } from './captions';
export { CATALOGUE_NAMES, RETRIEVAL_WORDINGS, catalogueWording, type RetrievalWording } from './catalogue';
export {
  imageQuestions,
  videoQuestions,
  simulateAnswers,
  ANSWERS_BY_KIND,
  MAX_QUESTIONS,
  QUESTION_TYPES,
  questionType,
  type AnswerKind,
  type QuestionOptions,
  type QuestionAnswer,
} from './questions';
export * from './layout';
export * from './annotations';
export {
  resolveSyntheticOptions,
  type ResolvedSyntheticOptions,
  type SyntheticDatasetOptions,
  type SyntheticProgress,
} from './options';
export { generateSyntheticDataset, type SyntheticDatasetSummary } from './generate';
