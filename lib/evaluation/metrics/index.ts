/**
 * Evaluation metrics and protocols: retrieval (score-matrix assembly and itm_eval), VQA accuracy,
 * exact-match QA accuracy, and caption BLEU / CIDEr-D.
 */
export {
  transposeScores,
  viewScoreMatrix,
  type DenseScoreMatrix,
  type ScoreMatrix,
  type ScoreMatrixView,
} from './score-matrix';
export {
  itmEval,
  meanRank,
  medianRank,
  rankImageToText,
  rankTextToImage,
  recallAtK,
  type RetrievalMetrics,
} from './retrieval-metrics';
export { OUTSIDE_SHORTLIST_SCORE } from '../retrieval/score-matrices';
export { topKIndices } from '../../ranking/top-k';
export {
  normalizeVqaAnswer,
  vqaCleanWhitespace,
  vqaProcessDigitArticle,
  vqaProcessPunctuation,
  VQA_ARTICLES,
  VQA_CONTRACTIONS,
  VQA_NUMBER_WORDS,
  VQA_PUNCTUATION,
} from './vqa-normalize';
export {
  exactMatchAccuracy,
  vqaAccuracy,
  vqaSoftScore,
  type VqaAccuracyOptions,
  type VqaAccuracyResult,
  type VqaNormalizeMode,
} from './vqa-accuracy';
export { ngramCounts, splitTokens } from './ngrams';
export {
  bleuScore,
  ciderD,
  evaluateCaptions,
  ptbTokenize,
  type BleuResult,
  type CaptionEvaluation,
  type CaptionGroundTruth,
  type CaptionResult,
  type CiderOptions,
  type CiderResult,
  type EvaluateCaptionsOptions,
} from './caption-metrics';
