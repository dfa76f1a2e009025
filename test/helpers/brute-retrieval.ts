/**
 * A brute-force retrieval evaluation for tests, written independently of lib/evaluation/retrieval: every pair
 * scored by the ITM head in its own call, the official filling of the score matrices, and itm_eval's
 * recalls.
 */
import type { Gallery } from '../../lib/inference/gallery';
import type { TextGallery } from '../../lib/inference/text-gallery';
import type { RetrievalModel } from '../../lib/model/retrieval-model';
import { asFrames } from '../../lib/evaluation/retrieval/score-matrices';
import { selectRows, toNumbers, type HostTensor } from '../../lib/tensor';

export interface BruteInputs {
  /** Candidates' ViT tokens [G, T, N, D], ITC features [G, E] and frame features [G, T, E]. */
  tokens: HostTensor;
  features: HostTensor;
  frameFeatures: HostTensor;
  /** Texts: ids and masks [Q, L], ITC features [Q, E]. */
  inputIds: HostTensor;
  attentionMask: HostTensor;
  textFeatures: HostTensor;
  pfa: boolean;
}

/** Cosine similarities [G][Q] and the ITM match logit of every pair [G][Q]. */
export async function brutePairScores(model: RetrievalModel, b: BruteInputs): Promise<{ sims: number[][]; logits: number[][] }> {
  const G = b.features.shape[0];
  const Q = b.textFeatures.shape[0];
  const E = b.features.shape[1];
  const iv = toNumbers(b.features);
  const tv = toNumbers(b.textFeatures);
  const sims: number[][] = [];
  const logits: number[][] = [];
  for (let i = 0; i < G; i++) {
    const srow: number[] = [];
    const lrow: number[] = [];
    for (let j = 0; j < Q; j++) {
      let s = 0;
      for (let e = 0; e < E; e++) s += iv[i * E + e] * tv[j * E + e];
      srow.push(s);
      const r = await model.itm({
        inputIds: selectRows(b.inputIds, [j]),
        attentionMask: selectRows(b.attentionMask, [j]),
        imageTokens: selectRows(b.tokens, [i]),
        textFeatures: b.pfa ? selectRows(b.textFeatures, [j]) : undefined,
        frameFeatures: b.pfa ? selectRows(b.frameFeatures, [i]) : undefined,
        pfa: b.pfa,
      });
      lrow.push(toNumbers(r.logits)[1]);
    }
    sims.push(srow);
    logits.push(lrow);
  }
  return { sims, logits };
}

/** The official filling: each row's top-k by similarity get logit + beta × sim, the rest -100. */
export function bruteMatrices(sims: number[][], logits: number[][], k: number, beta: number): { i2t: number[][]; t2i: number[][] } {
  const top = (row: number[]) => new Set(row.map((v, c) => [v, c]).sort((x, y) => y[0] - x[0] || x[1] - y[1]).slice(0, k).map(([, c]) => c));
  const Q = sims[0].length;
  const i2t = sims.map((row, i) => {
    const keep = top(row);
    return row.map((s, j) => (keep.has(j) ? logits[i][j] + beta * s : -100));
  });
  const t2i = Array.from({ length: Q }, (_, j) => {
    const col = sims.map((row) => row[j]);
    const keep = top(col);
    return col.map((s, i) => (keep.has(i) ? logits[i][j] + beta * s : -100));
  });
  return { i2t, t2i };
}

/** itm_eval's recalls (percent): the rank of the best ground truth in each row's descending order. */
export function bruteItmEval(i2t: number[][], t2i: number[][], txt2img: number[], img2txt: number[][]) {
  const rankOf = (row: number[], gts: number[]) => {
    const order = row.map((v, c) => [v, c]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, c]) => c);
    return Math.min(...gts.map((g) => order.indexOf(g)));
  };
  const tr = i2t.map((row, i) => rankOf(row, img2txt[i]));
  const ir = t2i.map((row, j) => rankOf(row, [txt2img[j]]));
  const r = (ranks: number[], k: number) => (100 * ranks.filter((x) => x < k).length) / ranks.length;
  return { txt_r1: r(tr, 1), txt_r5: r(tr, 5), txt_r10: r(tr, 10), img_r1: r(ir, 1), img_r5: r(ir, 5), img_r10: r(ir, 10) };
}

/** {@link brutePairScores} over an embedded gallery (images or videos) and an embedded text gallery. */
export function bruteGalleryScores(model: RetrievalModel, media: Gallery, texts: TextGallery, pfa: boolean): Promise<{ sims: number[][]; logits: number[][] }> {
  return brutePairScores(model, {
    tokens: asFrames(media.tokens),
    features: media.features,
    frameFeatures: media.frameFeatures,
    inputIds: texts.inputIds,
    attentionMask: texts.attentionMask,
    textFeatures: texts.features,
    pfa,
  });
}
