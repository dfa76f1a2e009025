/**
 * Model configurations and inputs of the device checks: a small BLIP-architecture retrieval model
 * (random, variance-preserving backbone; big enough that bf16 rounding shows, small enough for a CPU
 * rehearsal) and deterministic batches for it.
 */
import type { Device, ModelConfig } from '../../lib/config/model-config';
import { presetConfig } from '../../lib/config/presets';
import { float32, int64, type HostTensor } from '../../lib/tensor';

/** The small retrieval configuration of the checks on a device. */
export function smallRetrievalConfig(device: Device, overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    task: 'retrieval',
    vision: { imageSize: 64, patchSize: 16, width: 64, depth: 4, heads: 4, mlpHidden: 256 },
    text: { vocabSize: 30524, hidden: 64, layers: 4, heads: 4, intermediate: 256, maxPosition: 64 },
    petl: { method: 'uniadapter', bottleneck: 16, kvBottleneck: 8 },
    embedDim: 32,
    queueSize: 32,
    momentum: 0.9,
    momentumSharesBackbone: true,
    backboneInit: 'variance-preserving',
    seed: 7,
    device,
    ...overrides,
  };
}

/** BLIP-base retrieval (ViT-B/16 at 384 px, BERT-base, UniAdapter r = 512) on a device: the memory check's model. */
export function blipBaseRetrievalConfig(device: Device, overrides: Partial<ModelConfig> = {}): ModelConfig {
  return { ...presetConfig('blip-base', 'retrieval'), device, ...overrides };
}

export interface RetrievalBatch {
  pixels: HostTensor;
  inputIds: HostTensor;
  attentionMask: HostTensor;
  idx: HostTensor;
}

/**
 * A deterministic retrieval batch: normalised pixels [B, 3, S, S] from a sine pattern shifted by
 * `variant`, short texts of distinct ids, and distinct sample indices.
 */
export function retrievalBatch(batch: number, imageSize: number, variant = 0): RetrievalBatch {
  const ids: number[] = [];
  for (let b = 0; b < batch; b++) ids.push(101, 2000 + 5 * b + 97 * variant, 2200 + b, 2300 + ((b * 7 + variant) % 50), 102, 0);
  const n = batch * 3 * imageSize * imageSize;
  const pixels = new Float32Array(n);
  for (let i = 0; i < n; i++) pixels[i] = Math.sin(i * 0.05 + variant * 1.3);
  return {
    pixels: float32(pixels, [batch, 3, imageSize, imageSize]),
    inputIds: int64(ids, [batch, 6]),
    attentionMask: int64(ids.map((x) => (x ? 1 : 0)), [batch, 6]),
    idx: int64(Array.from({ length: batch }, (_, b) => b + batch * variant), [batch]),
  };
}
