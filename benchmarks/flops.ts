/**
 * Analytic FLOP counts of the benchmarked computations, from the model configuration alone.
 *
 * Only matrix products are counted (a multiply-add is 2 FLOPs); LayerNorm, softmax, GELU, biases and
 * other element-wise work are left out (they are a few percent at BLIP-base sizes). Counts are kept in
 * three classes because a training step differentiates them differently:
 * - `frozen`: products with a frozen weight (backward needs only the input gradient: 1x forward);
 * - `activation`: products of two activations, e.g. Q·Kᵀ (backward needs both operands' gradients: 2x);
 * - `trainable`: products with a trained weight, adapters and heads (input and weight gradient: 2x).
 */
import type { ResolvedModelConfig, TextConfig } from '../lib/config/model-config';

export interface FlopCount {
  frozen: number;
  activation: number;
  trainable: number;
}

/** No work. */
export const ZERO: FlopCount = { frozen: 0, activation: 0, trainable: 0 };

/** The sum of counts, class by class. */
export function add(...parts: FlopCount[]): FlopCount {
  return parts.reduce((a, b) => ({ frozen: a.frozen + b.frozen, activation: a.activation + b.activation, trainable: a.trainable + b.trainable }), ZERO);
}

/** A count repeated `k` times. */
export function scale(c: FlopCount, k: number): FlopCount {
  return { frozen: c.frozen * k, activation: c.activation * k, trainable: c.trainable * k };
}

/** All classes together. */
export function total(c: FlopCount): number {
  return c.frozen + c.activation + c.trainable;
}

/** Backward FLOPs of a forward pass whose frozen weights get no gradient but whose inputs do. */
export function backward(c: FlopCount): FlopCount {
  return { frozen: c.frozen, activation: 2 * c.activation, trainable: 2 * c.trainable };
}

/** A [rows, k] x [k, cols] product. */
function mm(rows: number, k: number, cols: number): number {
  return 2 * rows * k * cols;
}

function adapterRank(config: ResolvedModelConfig): number {
  return config.petl.method === 'uniadapter' ? config.petl.bottleneck ?? 512 : 0;
}

function hasModality(config: ResolvedModelConfig, m: 'visual' | 'textual' | 'multimodal'): boolean {
  return config.petl.method === 'uniadapter' && (config.petl.modalities ?? ['visual', 'textual', 'multimodal']).includes(m);
}

/** Tokens per image: 1 + (S / patch)². */
export function vitTokens(config: ResolvedModelConfig): number {
  const g = Math.floor(config.vision.imageSize / config.vision.patchSize);
  return 1 + g * g;
}

/** One image through the ViT (with the visual UniAdapter branch) plus vision_proj of its CLS. */
export function vitForward(config: ResolvedModelConfig): FlopCount {
  const v = config.vision;
  const N = vitTokens(config);
  const P = N - 1;
  const D = v.width;
  const r = hasModality(config, 'visual') ? adapterRank(config) : 0;
  const perBlock: FlopCount = {
    frozen: mm(N, D, 3 * D) + mm(N, D, D) + mm(N, D, v.mlpHidden) + mm(N, v.mlpHidden, D),
    activation: 2 * mm(N, D, N), // Q·Kᵀ and P·V over all heads
    trainable: r ? mm(N, D, r) + mm(N, r, D) : 0,
  };
  const patch: FlopCount = { frozen: mm(P, 3 * v.patchSize * v.patchSize, D), activation: 0, trainable: 0 };
  const proj: FlopCount = { frozen: 0, activation: 0, trainable: mm(1, D, config.embedDim ?? 256) };
  return add(patch, scale(perBlock, v.depth), proj);
}

function selfAttentionAndFfn(t: TextConfig, L: number): FlopCount {
  const H = t.hidden;
  return { frozen: 4 * mm(L, H, H) + mm(L, H, t.intermediate) + mm(L, t.intermediate, H), activation: 2 * mm(L, H, L), trainable: 0 };
}

/** One text of length L through the unimodal text encoder (text adapters) plus text_proj. */
export function textForward(config: ResolvedModelConfig, L: number): FlopCount {
  const t = config.text;
  const r = hasModality(config, 'textual') ? adapterRank(config) : 0;
  const H = t.hidden;
  const perLayer = add(selfAttentionAndFfn(t, L), { frozen: 0, activation: 0, trainable: r ? mm(L, H, r) + mm(L, r, H) : 0 });
  return add(scale(perLayer, t.layers), { frozen: 0, activation: 0, trainable: mm(1, H, config.embedDim ?? 256) });
}

/**
 * Image-grounded (multimodal) encoder passes plus the ITM head.
 *
 * @param pairs texts (of length L) run through the encoder
 * @param memories candidate token sets whose keys/values are projected (= pairs when every pair has
 *   its own copy, 1 when one candidate's keys/values are shared by all pairs)
 * @param memoryTokens tokens per candidate (frames × tokens per frame)
 */
export function itmForward(config: ResolvedModelConfig, L: number, pairs: number, memories: number, memoryTokens: number): FlopCount {
  const t = config.text;
  const H = t.hidden;
  const We = t.encoderWidth ?? config.vision.width;
  const Ne = memoryTokens;
  const r = adapterRank(config);
  const q = config.petl.method === 'uniadapter' && config.petl.queryResidual !== false && hasModality(config, 'textual');
  const mmAdapter = hasModality(config, 'multimodal');
  const perPairLayer: FlopCount = add(selfAttentionAndFfn(t, L), {
    frozen: 2 * mm(L, H, H), // cross-attention query and output projections
    activation: 2 * mm(L, H, Ne), // cross-attention scores and context
    trainable: (q ? mm(L, H, r) + mm(L, r, H) : 0) + (mmAdapter ? mm(L, H, r) + 2 * mm(L, r, H) : 0),
  });
  const perMemoryLayer: FlopCount = { frozen: 2 * mm(Ne, We, H), activation: 0, trainable: 0 }; // cross K and V
  const rk = config.petl.kvAdapter ? config.petl.kvBottleneck ?? 64 : 0;
  const kvAdapter: FlopCount = { frozen: 0, activation: 0, trainable: rk ? 2 * (mm(Ne, We, rk) + mm(Ne, rk, H)) : 0 };
  const head: FlopCount = { frozen: 0, activation: 0, trainable: mm(pairs, H, 2) };
  return add(scale(perPairLayer, pairs * t.layers), scale(perMemoryLayer, memories * t.layers), scale(kvAdapter, memories), head);
}

/**
 * One retrieval training step (UniAdapter, batch B of images with one text each, text length L):
 * forward of the main and momentum encoders, ITC against the queue, ITM on B positive and 2B
 * hard-negative pairs, and the backward pass of everything that leads to a trained parameter.
 * The AdamW update (element-wise) is not counted.
 */
export function trainStep(config: ResolvedModelConfig, B: number, L: number): { forward: number; backward: number; total: number } {
  const E = config.embedDim ?? 256;
  const Q = config.queueSize ?? 57600;
  const vit = scale(vitForward(config), B);
  const text = scale(textForward(config, L), B);
  const itm = itmForward(config, L, 3 * B, 3 * B, vitTokens(config));
  const itc: FlopCount = { frozen: 0, activation: 2 * mm(B, E, B + Q), trainable: 0 }; // main i2t and t2i
  const itcMomentum: FlopCount = { frozen: 0, activation: 2 * mm(B, E, B + Q), trainable: 0 };
  const negatives: FlopCount = { frozen: 0, activation: 2 * mm(B, E, B), trainable: 0 };
  const main = add(vit, text, itm, itc);
  const forward = total(add(main, vit, text, itcMomentum, negatives));
  const back = total(backward(main));
  return { forward, backward: back, total: forward + back };
}
