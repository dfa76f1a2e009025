/**
 * The embedded default backbones shipped with the package:
 * - 'pretrained': a small BLIP pretrained by `uniadapter pretrain --config configs/pretrain-demo.yaml`
 *   (models/demo-blip.safetensors), which serves retrieval, VQA and captioning as BLIP's model_base.pth;
 * - 'vqa': that model after BLIP's VQA fine-tuning (`configs/pretrain-demo-vqa.yaml`), the backbone the
 *   demo adapts for VQA as the official configs adapt model_base_vqa_capfilt_large.pth. Its file holds
 *   only what differs from 'pretrained' (the word embeddings stayed frozen), which it names as its base.
 * Each file's checksum is verified once per process before it is used.
 */
import * as path from 'path';
import { readVerifiedManifest, type PretrainedManifest } from './pretrained-manifest';

export type EmbeddedBackbone = 'pretrained' | 'vqa';

/** lib/weights and dist/weights are both two levels below the package root. */
const MODELS_DIR = path.resolve(__dirname, '..', '..', 'models');
export const EMBEDDED_MANIFEST = path.join(MODELS_DIR, 'demo-blip.json');
export const EMBEDDED_VQA_MANIFEST = path.join(MODELS_DIR, 'demo-blip-vqa.json');
const MANIFESTS: Record<EmbeddedBackbone, string> = { pretrained: EMBEDDED_MANIFEST, vqa: EMBEDDED_VQA_MANIFEST };

const verified = new Map<EmbeddedBackbone, Promise<{ manifest: PretrainedManifest; weights: string }>>();

/** An embedded checkpoint's path and manifest (default: the pretrained one), after checking the file against the manifest. */
export function embeddedModel(which: EmbeddedBackbone = 'pretrained'): Promise<{ manifest: PretrainedManifest; weights: string }> {
  let p = verified.get(which);
  if (!p) {
    p = readVerifiedManifest(MANIFESTS[which]).catch((e: unknown) => {
      verified.delete(which);
      throw e;
    });
    verified.set(which, p);
  }
  return p;
}
