/** Tiny model configurations for fast tests (random, variance-preserving backbones). */
import type { ModelConfig, Task } from '../../lib/config/model-config';

export function tinyConfig(task: Task, overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    task,
    vision: { imageSize: 32, patchSize: 16, width: 32, depth: 2, heads: 2, mlpHidden: 64 },
    text: { vocabSize: 30524, hidden: 32, layers: 2, heads: 2, intermediate: 64, maxPosition: 64 },
    petl: { method: 'uniadapter', bottleneck: 8, kvBottleneck: 4 },
    embedDim: 16,
    queueSize: 16,
    momentum: 0.9,
    momentumSharesBackbone: true,
    backboneInit: 'variance-preserving',
    seed: 7,
    ...overrides,
  };
}
