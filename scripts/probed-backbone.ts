/**
 * The backbone a probe script looks at: the shipped one, or a candidate given by `--weights` with the
 * `--image-size` and `--patch-size` it was pretrained at (the demo's retrieval model otherwise).
 */
import type { ModelConfig } from '../lib/config/model-config';
import { demoModelConfig, FULL_PLAN } from '../lib/tools/demo/demo-plan';
import { embeddedModel } from '../lib/weights/embedded-model';

/** The command-line options, for `util.parseArgs`. */
export const BACKBONE_OPTIONS = { weights: { type: 'string' }, 'image-size': { type: 'string' }, 'patch-size': { type: 'string' } } as const;

export async function probedBackbone(values: { weights?: string; 'image-size'?: string; 'patch-size'?: string }): Promise<{ config: ModelConfig; weights: string; imageSize: number }> {
  const imageSize = values['image-size'] ? Number(values['image-size']) : FULL_PLAN.imageSize;
  const base = demoModelConfig('retrieval', { ...FULL_PLAN, imageSize });
  const config = values['patch-size'] ? { ...base, vision: { ...base.vision!, patchSize: Number(values['patch-size']) } } : base;
  return { config, weights: values.weights ?? (await embeddedModel()).weights, imageSize };
}
