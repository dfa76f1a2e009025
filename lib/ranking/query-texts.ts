/**
 * The text queries of a search as the text encoder takes them, for the in-memory gallery and the store
 * alike: BLIP's caption normalisation (unless `normalize` is false), [CLS] first, truncated to
 * `maxLength` (35) and padded per `textPadding`, then encoded once for the ITC shortlist and the ITM
 * re-rank.
 */
import type { RetrievalModel } from '../model/retrieval-model';
import type { HostTensor } from '../tensor';
import { preCaption } from '../text/pre-text';
import { checkTextPadding, forRetrieval, textBatchToTensors, type TextPadding } from '../text/text-batches';
import type { BlipTokenizer } from '../text/tokenizer';

export interface QueryTextOptions {
  tokenizer: BlipTokenizer;
  /** Apply BLIP's caption normalisation to the queries (default true). */
  normalize?: boolean;
  maxLength?: number;
  /**
   * Queries padded to `maxLength` ('max-length', the official evaluation's and the default) or to the
   * longest query of the call ('longest': same scores up to float rounding, less compute for short queries).
   */
  textPadding?: TextPadding;
}

export interface EncodedQueries {
  texts: string[];
  /** The queries' token rows and ITC features, as the re-rank takes them. */
  rows: { inputIds: HostTensor; attentionMask: HostTensor; features: HostTensor };
}

/**
 * Checks the options, then encodes the queries; undefined when there are none.
 *
 * @throws UniAdapterError ERR_ARG for an unknown textPadding
 */
export async function encodeQueries(model: RetrievalModel, queries: readonly string[], options: QueryTextOptions): Promise<EncodedQueries | undefined> {
  const padding = options.textPadding ?? 'max-length';
  checkTextPadding(padding, 'ERR_ARG', 'textPadding');
  if (queries.length === 0) return undefined;
  const texts = options.normalize === false ? [...queries] : queries.map((q) => preCaption(q, 30));
  const t = textBatchToTensors(forRetrieval(options.tokenizer, texts, { maxLength: options.maxLength ?? 35, firstToken: 'cls', padding }));
  const emb = await model.encodeTexts(t.inputIds, t.attentionMask);
  return { texts, rows: { ...t, features: emb.features } };
}
