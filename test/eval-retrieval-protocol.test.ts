/**
 * The retrieval evaluation that `uniadapter eval` runs (retrievalScoreMatrices, then itmEval) against a
 * brute-force computation written here: every image–text pair scored by the ITM head one at a time,
 * the official filling of the score matrices (top-k by ITC similarity re-ranked as ITM logit +
 * beta × sim, -100 elsewhere) and itm_eval's recalls, on 20 images (or videos) × 100 texts.
 */
import { itmEval } from '../lib/evaluation/metrics';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { asFrames, retrievalScoreMatrices, type ScoreMatrices } from '../lib/evaluation/retrieval/score-matrices';
import { float32, int64, selectRows, toNumbers, type HostTensor } from '../lib/tensor';
import { bruteItmEval, bruteMatrices, brutePairScores } from './helpers/brute-retrieval';
import { tinyConfig } from './helpers/tiny-models';

jest.setTimeout(180_000);

const NI = 20;
const PER = 5;
const NT = NI * PER;
const L = 10;
const txt2img = Array.from({ length: NT }, (_, j) => Math.floor(j / PER));
const img2txt = Array.from({ length: NI }, (_, i) => Array.from({ length: PER }, (_, m) => i * PER + m));

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Texts of random length (4..L) padded with 0, [CLS] first. */
function texts(seed: number) {
  const rnd = lcg(seed);
  const ids: number[] = [];
  const mask: number[] = [];
  for (let j = 0; j < NT; j++) {
    const len = 4 + Math.floor(rnd() * (L - 3));
    for (let p = 0; p < L; p++) {
      ids.push(p === 0 ? 101 : p < len ? 1000 + Math.floor(rnd() * 3000) : 0);
      mask.push(p < len ? 1 : 0);
    }
  }
  return { inputIds: int64(ids, [NT, L]), attentionMask: int64(mask, [NT, L]) };
}

interface Bench {
  model: RetrievalModel;
  tokens: HostTensor;
  features: HostTensor;
  frameFeatures: HostTensor;
  text: ReturnType<typeof texts> & { features: HostTensor };
  pfa: boolean;
  /** ITM match logit of every (image, text) pair, each pair in its own native call. */
  logits: number[][];
  sims: number[][];
}

async function bench(frames: number, pfa: boolean, seed: number): Promise<Bench> {
  const model = await RetrievalModel.create(tinyConfig('retrieval', { petl: { method: 'uniadapter', bottleneck: 8, kvBottleneck: 4, pfa: pfa ? 'code' : 'off' } }));
  const rnd = lcg(seed);
  const shape = frames > 1 ? [NI, frames, 3, 32, 32] : [NI, 3, 32, 32];
  const px = float32(Array.from({ length: NI * frames * 3 * 32 * 32 }, () => rnd() * 4 - 2), shape);
  const img = await model.encodeImages(px);
  const tx = texts(seed + 1);
  const tf = await model.encodeTexts(tx.inputIds, tx.attentionMask);
  const tokens = asFrames(img.tokens as HostTensor);
  const { sims, logits } = await brutePairScores(model, { tokens, features: img.features, frameFeatures: img.frameFeatures, inputIds: tx.inputIds, attentionMask: tx.attentionMask, textFeatures: tf.features, pfa });
  return { model, tokens, features: img.features, frameFeatures: img.frameFeatures, text: { ...tx, features: tf.features }, pfa, logits, sims };
}

function rowsOf(flat: Float32Array, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from(flat.subarray(r * cols, (r + 1) * cols)));
}

function worst(a: number[][], b: number[][]): number {
  let w = 0;
  a.forEach((row, r) => row.forEach((v, c) => (w = Math.max(w, Math.abs(v - b[r][c])))));
  return w;
}

async function check(b: Bench, k: number, beta: number): Promise<void> {
  const m: ScoreMatrices = await retrievalScoreMatrices(
    b.model,
    { tokens: b.tokens, features: b.features, frameFeatures: b.frameFeatures },
    b.text,
    { k, beta, pfa: b.pfa, pairsPerCall: 97 }
  );
  const want = bruteMatrices(b.sims, b.logits, k, beta);
  const i2t = rowsOf(m.i2t, NI, NT);
  const t2i = rowsOf(m.t2i, NT, NI);
  expect(worst(rowsOf(m.sims, NI, NT), b.sims)).toBeLessThan(1e-5);
  expect(worst(i2t, want.i2t)).toBeLessThan(2e-5);
  expect(worst(t2i, want.t2i)).toBeLessThan(2e-5);
  // The -100 entries are exactly where the brute force has them.
  expect(i2t.map((r) => r.map((v) => v === -100))).toEqual(want.i2t.map((r) => r.map((v) => v === -100)));
  const got = itmEval({ shape: [NI, NT], data: m.i2t }, { shape: [NT, NI], data: m.t2i }, txt2img, img2txt);
  const ref = bruteItmEval(want.i2t, want.t2i, txt2img, img2txt);
  for (const key of Object.keys(ref) as Array<keyof typeof ref>) expect(got[key]).toBe(ref[key]);
}

describe('retrieval score matrices against a brute-force evaluation (20 × 100)', () => {
  let images: Bench;
  let videos: Bench;
  beforeAll(async () => {
    images = await bench(1, false, 21);
    videos = await bench(3, true, 31);
  });
  afterAll(async () => {
    await images.model.dispose();
    await videos.model.dispose();
  });

  it('images, beta 0 (UniAdapter)', () => check(images, 4, 0));
  it('images, beta 1 (BLIP)', () => check(images, 4, 1));
  it('k larger than the number of candidates re-ranks every pair', () => check(images, 150, 0));
  it('videos with frame-aware attention, beta 0 and 1', async () => {
    await check(videos, 4, 0);
    await check(videos, 7, 1);
  });
  it('PFA changes the video ITM logits (the check above is not PFA-blind)', async () => {
    const r = await videos.model.itm({
      inputIds: selectRows(videos.text.inputIds, [0]),
      attentionMask: selectRows(videos.text.attentionMask, [0]),
      imageTokens: selectRows(videos.tokens, [0]),
      pfa: false,
    });
    expect(Math.abs(toNumbers(r.logits)[1] - videos.logits[0][0])).toBeGreaterThan(1e-6);
  });
});
