/**
 * The embedded default backbone shipped with the package: a small BLIP pretrained by
 * `uniadapter pretrain --config configs/pretrain-demo.yaml` (models/demo-blip.safetensors and its
 * manifest). Its checksum is verified once per process before it is used.
 */
import * as path from 'path';
import { readVerifiedManifest, type PretrainedManifest } from './pretrained-manifest';

/** lib/weights and dist/weights are both two levels below the package root. */
export const EMBEDDED_MANIFEST = path.resolve(__dirname, '..', '..', 'models', 'demo-blip.json');

let verified: Promise<{ manifest: PretrainedManifest; weights: string }> | undefined;

/** The embedded checkpoint's path and manifest, after checking the file against the manifest. */
export function embeddedModel(): Promise<{ manifest: PretrainedManifest; weights: string }> {
  verified ??= readVerifiedManifest(EMBEDDED_MANIFEST).catch((e: unknown) => {
    verified = undefined;
    throw e;
  });
  return verified;
}
