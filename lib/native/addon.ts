/**
 * The typed loader of the native addon. The binary is found by node-gyp-build: a local build
 * (build/Release) first, then the shipped prebuild (prebuilds/<platform>-<arch>).
 */
import * as path from 'path';
import * as fs from 'fs';
import { UniAdapterError } from '../errors';
import type { HostTensor, TensorMap } from '../tensor';

export type OptionValue = boolean | number | string | number[] | string[] | OptionObject | undefined;
export interface OptionObject {
  [key: string]: OptionValue;
}

/** What the addon returns, before ./dispatch.ts gives it its operation's type. */
export interface RawResult {
  tensors: Record<string, HostTensor>;
  info: Record<string, unknown>;
}

export interface NativeModelHandle {
  readonly task: string;
  readonly disposed: boolean;
  readonly pending: number;
  run(op: string, inputs: TensorMap, options: OptionObject): Promise<RawResult>;
  dispose(): Promise<void>;
}

export interface Addon {
  createModel(config: OptionObject): Promise<NativeModelHandle>;
  runUtility(op: string, inputs: TensorMap, options: OptionObject): Promise<RawResult>;
  napiVersion: number;
}

export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

let cached: Addon | undefined;
let loadedFrom: string | undefined;

/** Where the loaded binary came from: a local source build or a shipped prebuild. */
export function binarySource(): { path: string; kind: 'local-build' | 'prebuild' } {
  addon();
  const p = loadedFrom ?? '';
  return { path: p, kind: p.includes(`${path.sep}prebuilds${path.sep}`) ? 'prebuild' : 'local-build' };
}

export function addon(): Addon {
  if (cached) return cached;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const nodeGypBuild = require('node-gyp-build') as { (dir: string): Addon; resolve(dir: string): string };
  try {
    loadedFrom = nodeGypBuild.resolve(PACKAGE_ROOT);
    cached = nodeGypBuild(PACKAGE_ROOT);
  } catch (e) {
    const hasBuild = fs.existsSync(path.join(PACKAGE_ROOT, 'build', 'Release'));
    throw new UniAdapterError(
      'ERR_NATIVE_LOAD',
      `the native addon could not be loaded (${(e as Error).message}). ` +
        (hasBuild
          ? 'A local build exists but does not load: check that LibTorch is installed (npx uniadapter doctor).'
          : 'No prebuild matched and no local build exists: install LibTorch (apt-get install libtorch-dev libopenblas0-pthread) and run `npm rebuild uniadapter`.'),
      { cause: e }
    );
  }
  return cached;
}
