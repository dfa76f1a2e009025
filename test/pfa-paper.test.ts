/**
 * pfa: 'paper' (UniAdapter paper, Eq. 7-8): A_t = softmax_t(<frame CLS_t, text CLS>) of the raw CLS
 * states, and the cross-attention input becomes {CLS_t, A_t * patch_t,j}. Checked against the
 * equation computed here in plain TypeScript, at evaluation (the itm op) and in the training step.
 */
import { RetrievalModel } from '../lib/model/retrieval-model';
import { float32, int64, toNumbers, type HostTensor } from '../lib/tensor';
import { tinyConfig } from './helpers/tiny-models';

const T = 3;
const S = 32;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function videos(n: number, seed: number): HostTensor {
  const rnd = lcg(seed);
  return float32(Array.from({ length: n * T * 3 * S * S }, () => rnd() * 4 - 2), [n, T, 3, S, S]);
}

function texts(n: number, L: number, seed: number) {
  const rnd = lcg(seed);
  const ids = Array.from({ length: n * L }, (_, i) => (i % L === 0 ? 101 : 1000 + Math.floor(rnd() * 3000)));
  return { inputIds: int64(ids, [n, L]), attentionMask: int64(new Array(n * L).fill(1), [n, L]) };
}

/** The paper's scaled memory for video tokens [T, N, D] (flat) and a text CLS [D]. */
function paperMemory(tokens: number[], cls: number[], N: number, D: number): number[] {
  const logits = Array.from({ length: T }, (_, t) => cls.reduce((s, c, d) => s + c * tokens[(t * N) * D + d], 0));
  const m = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - m));
  const z = e.reduce((a, b) => a + b, 0);
  const a = e.map((x) => x / z);
  return tokens.map((v, i) => {
    const t = Math.floor(i / (N * D));
    const j = Math.floor(i / D) % N;
    return j === 0 ? v : v * a[t];
  });
}

function worstDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
}

describe("frame-aware attention, pfa: 'paper'", () => {
  let model: RetrievalModel;
  beforeAll(async () => {
    model = await RetrievalModel.create(tinyConfig('retrieval', { petl: { method: 'uniadapter', bottleneck: 8, kvBottleneck: 4, pfa: 'paper' } }));
  });
  afterAll(() => model.dispose());

  it('evaluation: the itm op equals the equation applied to the tokens by hand', async () => {
    const G = 3;
    const img = await model.encodeImages(videos(G, 5));
    const tok = img.tokens as HostTensor; // [G, T, N, D]
    const [, , N, D] = tok.shape;
    const tx = texts(4, 7, 9);
    const hidden = (await model.encodeTexts(tx.inputIds, tx.attentionMask, { hidden: true })).hidden as HostTensor;
    const pair = [0, 2, 1, 2];
    const tv = toNumbers(tok);
    const hv = toNumbers(hidden);
    const L = hidden.shape[1];
    const scaled: number[] = [];
    pair.forEach((g, p) => {
      const cls = hv.slice(p * L * D, p * L * D + D);
      scaled.push(...paperMemory(tv.slice(g * T * N * D, (g + 1) * T * N * D), cls, N, D));
    });
    const byHand = await model.itm({ ...tx, imageTokens: float32(scaled, [pair.length, T, N, D]), pfa: false });
    const paper = await model.itm({ ...tx, imageTokens: tok, pairImage: int64(pair, [pair.length]), pfa: true });
    expect(worstDiff(toNumbers(paper.logits), toNumbers(byHand.logits))).toBeLessThan(1e-5);
    const plain = await model.itm({ ...tx, imageTokens: tok, pairImage: int64(pair, [pair.length]), pfa: false });
    expect(worstDiff(toNumbers(paper.logits), toNumbers(plain.logits))).toBeGreaterThan(1e-4);
    // The text CLS may also be given; it is the unimodal text encoder's CLS state.
    const cls = float32(pair.flatMap((_, p) => hv.slice(p * L * D, p * L * D + D)), [pair.length, D]);
    const given = await model.itm({ ...tx, imageTokens: tok, pairImage: int64(pair, [pair.length]), textCls: cls, pfa: true });
    expect(worstDiff(toNumbers(given.logits), toNumbers(paper.logits))).toBeLessThan(1e-6);
  });

  it('training: the positive and negative ITM memories are the scaled tokens of the equation', async () => {
    const B = 4;
    const tx = texts(B, 7, 3);
    const r = await model.trainStep(
      { pixels: videos(B, 8), ...tx, idx: int64([0, 1, 2, 3], [B]) },
      { lr: 0, alpha: 0.4, hardNegatives: 'argmax', update: false, train: false, capture: true }
    );
    const c = r.captured;
    const vit = toNumbers(c.vit_last_hidden); // [B*T, N, D]
    const [, N, D] = c.vit_last_hidden.shape;
    const th = toNumbers(c.text_last_hidden);
    const L = c.text_last_hidden.shape[1];
    const video = (b: number) => vit.slice(b * T * N * D, (b + 1) * T * N * D);
    const cls = (b: number) => th.slice(b * L * D, b * L * D + D);
    const pos = Array.from({ length: B }, (_, b) => paperMemory(video(b), cls(b), N, D)).flat();
    expect(worstDiff(toNumbers(c.itm_pos_encoder_hidden_states), pos)).toBeLessThan(1e-5);
    const negImg = toNumbers(c.neg_image_idx_for_text);
    const negTxt = toNumbers(c.neg_text_idx_for_image);
    const neg = [
      ...Array.from({ length: B }, (_, b) => paperMemory(video(negImg[b]), cls(b), N, D)),
      ...Array.from({ length: B }, (_, b) => paperMemory(video(b), cls(negTxt[b]), N, D)),
    ].flat();
    expect(worstDiff(toNumbers(c.itm_neg_encoder_hidden_states), neg)).toBeLessThan(1e-5);
  });

  it("trains with a loss that differs from the code formula's", async () => {
    const B = 4;
    const tx = texts(B, 7, 3);
    const batch = { pixels: videos(B, 8), ...tx, idx: int64([0, 1, 2, 3], [B]) };
    const opts = { lr: 0, alpha: 0.4, hardNegatives: 'argmax' as const, update: false, train: false };
    // Fresh models: a step moves the queues and the momentum encoders.
    const make = (pfa: 'paper' | 'code') => RetrievalModel.create(tinyConfig('retrieval', { petl: { method: 'uniadapter', bottleneck: 8, kvBottleneck: 4, pfa } }));
    const paper = await make('paper');
    const code = await make('code');
    try {
      const a = await paper.trainStep(batch, opts);
      const b = await code.trainStep(batch, opts);
      expect(Math.abs(a.stats.lossIta - b.stats.lossIta)).toBeLessThan(1e-6);
      expect(Math.abs(a.stats.lossItm - b.stats.lossItm)).toBeGreaterThan(1e-6);
    } finally {
      await paper.dispose();
      await code.dispose();
    }
  });
});

it("pfa 'paper' is refused when the frame and text CLS states have different widths", async () => {
  const c = tinyConfig('retrieval', { petl: { method: 'uniadapter', bottleneck: 8, kvBottleneck: 4, pfa: 'paper' } });
  await expect(RetrievalModel.create({ ...c, vision: { ...c.vision, width: 48, heads: 2 } })).rejects.toMatchObject({ code: 'ERR_CONFIG', message: expect.stringMatching(/vision.width \(48\) == text.hidden \(32\)/) });
});
