/**
 * A gallery of texts (captions) embedded once — their token ids and ITC features — for image-to-text
 * search with `retrieveByImage`.
 */
import { UniAdapterError } from '../errors';
import type { RetrievalModel } from '../model/retrieval-model';
import { concatRows, type HostTensor } from '../tensor';
import type { BlipTokenizer } from '../text/tokenizer';
import { forRetrieval, textBatchToTensors } from '../text/text-batches';
import { preCaption } from '../text/pre-text';

export interface TextGalleryOptions {
  tokenizer: BlipTokenizer;
  /** Apply BLIP's caption normalisation (default true). */
  normalize?: boolean;
  maxLength?: number;
  batchSize?: number;
  ids?: string[];
}

export class TextGallery {
  private constructor(
    readonly ids: string[],
    readonly texts: string[],
    readonly inputIds: HostTensor,
    readonly attentionMask: HostTensor,
    /** ITC features [N, E]. */
    readonly features: HostTensor
  ) {}

  get size(): number {
    return this.texts.length;
  }

  static async build(model: RetrievalModel, texts: readonly string[], options: TextGalleryOptions): Promise<TextGallery> {
    if (texts.length === 0) throw new UniAdapterError('ERR_ARG', 'a text gallery needs at least one text');
    const ids = options.ids ?? texts.map((_, i) => String(i));
    if (ids.length !== texts.length) throw new UniAdapterError('ERR_ARG', `got ${ids.length} ids for ${texts.length} texts`);
    const clean = options.normalize === false ? [...texts] : texts.map((t) => preCaption(t, 30));
    const batch = options.batchSize ?? 128;
    const idParts: HostTensor[] = [];
    const maskParts: HostTensor[] = [];
    const featParts: HostTensor[] = [];
    for (let i = 0; i < clean.length; i += batch) {
      const t = textBatchToTensors(forRetrieval(options.tokenizer, clean.slice(i, i + batch), { maxLength: options.maxLength ?? 35, firstToken: 'cls' }));
      featParts.push((await model.encodeTexts(t.inputIds, t.attentionMask)).features);
      idParts.push(t.inputIds);
      maskParts.push(t.attentionMask);
    }
    return new TextGallery(ids, clean, concatRows(idParts), concatRows(maskParts), concatRows(featParts));
  }
}
