/**
 * The one ITM re-rank engine, used by the retrieval evaluation (both directions of the official
 * protocol) and by search (text → media, media → text): the match logits of (media, text) pairs.
 * Pairs are grouped by media item so that each item's cross-attention keys and values are computed
 * once per native call, whatever the number of texts paired with it; a call holds at most
 * `pairsPerCall` pairs and ends at an item boundary when it can.
 */
import type { RetrievalModel } from '../model/retrieval-model';
import { int64, selectRows, toNumbers, type HostTensor } from '../tensor';

/** What the ITM head cross-attends to, for the media items of a call (rows chosen by `select`). */
export interface MediaTokens {
  /** ViT outputs [n, T, tokens, width]. */
  tokens: HostTensor;
  /** Per-frame ITC features [n, T, E] (for frame-aware attention). */
  frameFeatures?: HostTensor;
}

/** The media side of the pairs: returns the rows of the given media indices, in that order. */
export type MediaRows = (indices: readonly number[]) => Promise<MediaTokens>;

/** The text side of the pairs: token ids, mask, and ITC features (needed for frame-aware attention). */
export interface TextRows {
  inputIds: HostTensor;
  attentionMask: HostTensor;
  features?: HostTensor;
}

export interface RerankOptions {
  /** Frame-aware attention (video media). */
  pfa: boolean;
  /** Upper bound on pairs per native call (default: all pairs in one call). */
  pairsPerCall?: number;
  onProgress?: (pairsDone: number, pairsTotal: number) => void;
}

/**
 * Drops the padding columns that no row of the call attends to: retrieval texts are padded to 35
 * tokens (BLIP), most queries are far shorter, and the masked positions change no unmasked output, so
 * the ITM head's work shrinks with the call's longest text.
 */
function trimPadding(inputIds: HostTensor, attentionMask: HostTensor): { inputIds: HostTensor; attentionMask: HostTensor } {
  const [rows, width] = inputIds.shape;
  const mask = attentionMask.data as BigInt64Array | Int32Array | Float32Array;
  let used = 1;
  for (let r = 0; r < rows; r++) {
    for (let c = width - 1; c >= used; c--) {
      if (Number(mask[r * width + c]) !== 0) {
        used = c + 1;
        break;
      }
    }
  }
  if (used === width) return { inputIds, attentionMask };
  const cut = (t: HostTensor): HostTensor => {
    const out = new (t.data.constructor as new (n: number) => typeof t.data)(rows * used);
    for (let r = 0; r < rows; r++) (out as BigInt64Array).set((t.data as BigInt64Array).subarray(r * width, r * width + used), r * used);
    return { dtype: t.dtype, shape: [rows, used], data: out };
  };
  return { inputIds: cut(inputIds), attentionMask: cut(attentionMask) };
}

/** Rows of in-memory embeddings (a Gallery, or the query images of a search). */
export function mediaRowsOf(media: MediaTokens): MediaRows {
  return async (indices) => ({
    tokens: selectRows(media.tokens, indices as number[]),
    frameFeatures: media.frameFeatures ? selectRows(media.frameFeatures, indices as number[]) : undefined,
  });
}

/**
 * The ITM match logit (column 1 of the head) of every pair `media * numTexts + text`, keyed by that
 * number. Pairs may come in any order and repeat; each distinct pair is scored once.
 */
export async function itmMatchLogits(
  model: RetrievalModel,
  media: MediaRows,
  texts: TextRows,
  pairKeys: Iterable<number>,
  options: RerankOptions
): Promise<Map<number, number>> {
  const Q = texts.inputIds.shape[0];
  const ordered = [...new Set(pairKeys)].sort((a, b) => a - b); // grouped by media item, then text
  const logits = new Map<number, number>();
  const perCall = options.pairsPerCall ?? Math.max(ordered.length, 1);
  let start = 0;
  while (start < ordered.length) {
    let end = Math.min(start + perCall, ordered.length);
    const lastItem = Math.floor(ordered[end - 1] / Q);
    if (end < ordered.length && Math.floor(ordered[end] / Q) === lastItem) {
      let cut = end;
      while (cut > start && Math.floor(ordered[cut - 1] / Q) === lastItem) cut--;
      if (cut > start) end = cut;
    }
    const slice = ordered.slice(start, end);
    const items = [...new Set(slice.map((p) => Math.floor(p / Q)))];
    const local = new Map(items.map((item, i) => [item, i]));
    const textIndex = slice.map((p) => p % Q);
    const rows = await media(items);
    const { inputIds, attentionMask } = trimPadding(selectRows(texts.inputIds, textIndex), selectRows(texts.attentionMask, textIndex));
    const r = await model.itm({
      inputIds,
      attentionMask,
      imageTokens: rows.tokens,
      pairImage: int64(slice.map((p) => local.get(Math.floor(p / Q)) as number), [slice.length]),
      textFeatures: options.pfa && texts.features ? selectRows(texts.features, textIndex) : undefined,
      frameFeatures: options.pfa ? rows.frameFeatures : undefined,
      pfa: options.pfa,
    });
    const l = toNumbers(r.logits);
    slice.forEach((p, i) => logits.set(p, l[i * 2 + 1]));
    start = end;
    options.onProgress?.(start, ordered.length);
  }
  return logits;
}
