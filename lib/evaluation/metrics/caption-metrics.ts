/**
 * Caption evaluation in the shape of pycocoevalcap's `COCOEvalCap` (BLEU-1..4 and CIDEr-D): results
 * `[{ image_id, caption }]` against ground-truth captions per image, both PTB-tokenised.
 * METEOR, ROUGE-L and SPICE are not computed.
 */
import { UniAdapterError } from '../../errors';
import { bleuScore } from './bleu';
import { ciderD } from './cider-d';
import { ptbTokenize } from './ptb-tokenize';

export { bleuScore, type BleuResult } from './bleu';
export { ciderD, type CiderOptions, type CiderResult } from './cider-d';
export { ptbTokenize } from './ptb-tokenize';

/** One generated caption, as in BLIP's result files. */
export interface CaptionResult {
  image_id: number | string;
  caption: string;
}

/**
 * Ground-truth captions: a map from image id to its captions, or a COCO-format annotation file
 * (`{ annotations: [{ image_id, caption }] }`, e.g. `coco_karpathy_test_gt.json`). Ids are compared
 * as strings, so 42 and "42" are the same image.
 */
export type CaptionGroundTruth =
  | ReadonlyMap<number | string, readonly string[]>
  | { readonly annotations: ReadonlyArray<{ readonly image_id: number | string; readonly caption: string }> };

export interface EvaluateCaptionsOptions {
  /** Apply `ptbTokenize` to results and references first (default true, as pycocoevalcap). */
  tokenize?: boolean;
}

export interface CaptionEvaluation {
  Bleu_1: number;
  Bleu_2: number;
  Bleu_3: number;
  Bleu_4: number;
  /** CIDEr-D as pycocoevalcap reports it (papers print 100 × this). */
  CIDEr: number;
  /** Per-image scores, in the order of the results. */
  perImage: Array<{ image_id: number | string; bleu: number[]; cider: number }>;
}

function groundTruthMap(gt: CaptionGroundTruth): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (id: unknown, caption: unknown, where: string) => {
    if (typeof id !== 'number' && typeof id !== 'string') {
      throw new UniAdapterError('ERR_DATA', `${where}: image_id must be a number or a string`);
    }
    if (typeof caption !== 'string') throw new UniAdapterError('ERR_DATA', `${where}: caption must be a string`);
    const key = String(id);
    let list = out.get(key);
    if (!list) out.set(key, (list = []));
    list.push(caption);
  };
  if (gt instanceof Map) {
    for (const [id, caps] of gt as ReadonlyMap<number | string, readonly string[]>) {
      if (!Array.isArray(caps)) throw new UniAdapterError('ERR_DATA', `ground truth of image ${id} is not an array of captions`);
      caps.forEach((c, i) => add(id, c, `ground truth of image ${id}, caption ${i}`));
    }
    return out;
  }
  const anns = (gt as { annotations?: unknown }).annotations;
  if (!Array.isArray(anns)) {
    throw new UniAdapterError('ERR_ARG', 'ground truth must be a Map of captions per image or { annotations: [...] }');
  }
  anns.forEach((a, i) => add(a?.image_id, a?.caption, `annotations[${i}]`));
  return out;
}

/**
 * BLEU-1..4 and CIDEr-D of generated captions, as pycocoevalcap's COCOEvalCap computes them: the images
 * evaluated are those of `results` (one caption each); the CIDEr-D document frequencies come from the
 * references of those images only. See `ptbTokenize` for how the tokenisation approximates the Java
 * one, which means scores may differ slightly from the official numbers.
 *
 * @throws UniAdapterError ERR_ARG for an empty or malformed result list, ERR_DATA for a duplicated
 *   image id in the results, an image without ground truth, or a malformed ground truth
 */
export function evaluateCaptions(
  results: ReadonlyArray<CaptionResult>,
  groundTruth: CaptionGroundTruth,
  options: EvaluateCaptionsOptions = {},
): CaptionEvaluation {
  if (!Array.isArray(results) || results.length === 0) {
    throw new UniAdapterError('ERR_ARG', 'results must be a non-empty array of { image_id, caption }');
  }
  const tok = (options.tokenize ?? true) ? ptbTokenize : (s: string) => s;
  const gts = groundTruthMap(groundTruth);
  const seen = new Set<string>();
  const cands: string[] = [];
  const refs: string[][] = [];
  results.forEach((r, i) => {
    if (r === null || typeof r !== 'object') throw new UniAdapterError('ERR_ARG', `results[${i}] is not an object`);
    if (typeof r.image_id !== 'number' && typeof r.image_id !== 'string') {
      throw new UniAdapterError('ERR_ARG', `results[${i}].image_id must be a number or a string`);
    }
    if (typeof r.caption !== 'string') throw new UniAdapterError('ERR_ARG', `results[${i}].caption must be a string`);
    const key = String(r.image_id);
    if (seen.has(key)) {
      throw new UniAdapterError('ERR_DATA', `image ${key} has more than one result caption; keep one per image`);
    }
    seen.add(key);
    const ref = gts.get(key);
    if (!ref || ref.length === 0) throw new UniAdapterError('ERR_DATA', `image ${key} has no ground-truth captions`);
    cands.push(tok(r.caption));
    refs.push(ref.map(tok));
  });
  const bleu = bleuScore(cands, refs, 4);
  const cider = ciderD(cands, refs);
  return {
    Bleu_1: bleu.scores[0],
    Bleu_2: bleu.scores[1],
    Bleu_3: bleu.scores[2],
    Bleu_4: bleu.scores[3],
    CIDEr: cider.score,
    perImage: results.map((r, i) => ({ image_id: r.image_id, bleu: bleu.perItem[i], cider: cider.perItem[i] })),
  };
}
