/**
 * The manifest written next to a checkpoint made by `uniadapter pretrain`: the configuration as
 * written, the command and seed that made it, what the run measured, and the file's SHA-256.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { UniAdapterError } from '../errors';
import type { SyntheticDatasetOptions } from '../tools/synthetic/options';
import type { TrainerConfig } from '../train/trainer-config';
import type { BaseReference } from './checkpoint-view';

export const PRETRAINED_MANIFEST_FORMAT = 'uniadapter-pretrained/1';

export interface PretrainedManifest {
  format: typeof PRETRAINED_MANIFEST_FORMAT;
  /** The checkpoint's file name, beside the manifest. */
  weights: string;
  sha256: string;
  bytes: number;
  /** For a file written as a difference from another checkpoint: that base (as its header names it). */
  base?: BaseReference;
  command: string;
  seed: number;
  steps: number;
  finalLoss: number;
  seconds: number;
  /** The configuration file as written (its paths relative to the file). */
  config: TrainerConfig & { synthetic?: SyntheticDatasetOptions };
  createdAt: string;
  library: string;
}

/** The SHA-256 of a file, hex. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A file's size and, when the size is the expected one, its SHA-256 ('' otherwise: a file of another
 * size cannot match, and hashing it would be wasted).
 */
export async function digestIfSize(file: string, bytes: number): Promise<{ size: number; sha256: string }> {
  const size = fs.statSync(file).size;
  return { size, sha256: size === bytes ? await sha256File(file) : '' };
}

/** The manifest path of a checkpoint: `model.safetensors` → `model.json`. */
export function manifestPathOf(weights: string): string {
  return weights.replace(/\.safetensors$/, '') + '.json';
}

/** Reads a manifest and checks that its checkpoint is beside it, of the stated size and checksum. */
export async function readVerifiedManifest(manifestFile: string): Promise<{ manifest: PretrainedManifest; weights: string }> {
  let manifest: PretrainedManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as PretrainedManifest;
  } catch (e) {
    throw new UniAdapterError('ERR_WEIGHTS', `${manifestFile}: cannot read the pretrained model's manifest (${(e as Error).message})`);
  }
  if (manifest?.format !== PRETRAINED_MANIFEST_FORMAT || typeof manifest.weights !== 'string' || typeof manifest.sha256 !== 'string') {
    throw new UniAdapterError('ERR_WEIGHTS', `${manifestFile}: not a '${PRETRAINED_MANIFEST_FORMAT}' manifest`);
  }
  const weights = path.join(path.dirname(manifestFile), manifest.weights);
  if (!fs.existsSync(weights)) throw new UniAdapterError('ERR_WEIGHTS', `${manifestFile}: its checkpoint ${weights} is missing`);
  const { size, sha256: sum } = await digestIfSize(weights, manifest.bytes);
  if (sum !== manifest.sha256) {
    throw new UniAdapterError(
      'ERR_WEIGHTS',
      `${weights}: the file does not match its manifest (${size} bytes, sha256 ${sum || 'not computed'}; the manifest says ${manifest.bytes} bytes, ${manifest.sha256}). ` +
        `Reinstall the package, or rebuild it with: ${manifest.command}`
    );
  }
  return { manifest, weights };
}
