/**
 * What the demo and its comparison do before any stage: measure the machine the figures are measured
 * on, and generate the demo's synthetic split (one object per image, the background pattern named,
 * retrieval texts in the catalogue's words).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UniAdapterError } from '../../errors';
import { VqaModel } from '../../model/vqa-model';
import { embeddedModel } from '../../weights/embedded-model';
import { loadWeights } from '../../weights/load-weights';
import { manifestPathOf, readVerifiedManifest } from '../../weights/pretrained-manifest';
import { blasKind, recommendedThreads, runtimeReport, setThreads } from '../../native/runtime-info';
import { generateSyntheticDataset } from '../synthetic';
import type { DemoPlan } from './demo-plan';
import { backboneModelConfig } from './demo-stages';
import { createProgress } from '../../cli/progress';

export interface DemoMachine {
  cpus: number;
  cpuModel: string;
  blas: string;
  threads: number;
  matmulGflops: number;
}

/** Generates the demo's synthetic split (retrieval, VQA, captioning) with a progress bar. */
export async function generateDemoData(data: string, plan: DemoPlan, log: (l: string) => void, progressStream?: NodeJS.WriteStream): Promise<void> {
  log(`generating the synthetic dataset in ${data}`);
  const valImages = Math.min(20, plan.testImages);
  const images = plan.trainImages + plan.testImages + valImages;
  const bar = createProgress('data', images, { stream: progressStream, log });
  await generateSyntheticDataset(data, {
    seed: plan.seed,
    imageSize: plan.imageSize,
    numTrainImages: plan.trainImages,
    numValImages: valImages,
    numTestImages: plan.testImages,
    questionsPerImage: plan.questionsPerImage,
    maxObjects: 1,
    patterns: true,
    retrievalWording: 'catalogue',
    tasks: ['retrieval', 'vqa', 'caption'],
    onProgress: (p) => {
      if (p.phase === 'images') bar.tick(1);
    },
  });
  bar.done();
}

/** A backbone named on the command line: its path and, when a manifest is beside it, its verified checksum and the command that made it. */
export interface NamedBackbone {
  weights: string;
  sha256?: string;
  command?: string;
}

/**
 * Checks a backbone file given by the user (`--vqa-weights`) before any work: it exists, matches the
 * manifest beside it (if there is one), and fits the plan's VQA model (the demo's small BLIP, or
 * BLIP-base with `checkpoint`): every backbone tensor present, of its shape.
 */
export async function namedBackbone(file: string, flag: string, plan: DemoPlan, checkpoint?: string): Promise<NamedBackbone> {
  const weights = path.resolve(file);
  if (!fs.existsSync(weights) || !fs.statSync(weights).isFile()) {
    throw new UniAdapterError('ERR_ARG', `${flag}: no checkpoint at ${weights} (leave --vqa-weights out for the embedded VQA backbone, or give 'pretrained' to adapt the pretrained one)`);
  }
  let named: NamedBackbone = { weights };
  const manifest = manifestPathOf(weights);
  if (fs.existsSync(manifest)) {
    const verified = await readVerifiedManifest(manifest);
    if (path.resolve(verified.weights) !== weights) {
      throw new UniAdapterError('ERR_WEIGHTS', `${manifest} describes ${verified.weights}, not ${weights}`);
    }
    named = { weights, sha256: verified.manifest.sha256, command: verified.manifest.command };
  }
  await using model = await VqaModel.create(backboneModelConfig({ plan, checkpoint }, 'vqa'));
  const report = await loadWeights(model, weights, { strict: false });
  if (report.missing.length > 0 || report.mismatched.length > 0) {
    const what = [...report.mismatched, ...report.missing.map((n) => `${n} missing`)];
    throw new UniAdapterError('ERR_ARG', `${flag}: ${weights} does not fit the VQA model (${what.length} tensors, e.g. ${what.slice(0, 3).join(', ')})`);
  }
  return named;
}

/** `--vqa-weights pretrained`: the VQA stage adapts the pretrained backbone itself, as the other stages. */
export const PRETRAINED_VQA_BACKBONE = 'pretrained';

/**
 * The backbone the VQA stage adapts when it is not the pretrained one: the file named by
 * `--vqa-weights`, or by default (embedded model, no `--checkpoint`) the embedded VQA-fine-tuned BLIP,
 * as the official configs adapt model_base_vqa_capfilt_large.pth. Undefined means the pretrained
 * backbone: with `--vqa-weights pretrained`, or with a `--checkpoint` and no `--vqa-weights`.
 */
export async function vqaBackboneOf(vqaWeights: string | undefined, plan: DemoPlan, checkpoint?: string): Promise<NamedBackbone | undefined> {
  if (vqaWeights === PRETRAINED_VQA_BACKBONE) return undefined;
  if (vqaWeights !== undefined) return namedBackbone(vqaWeights, '--vqa-weights', plan, checkpoint);
  if (checkpoint) return undefined;
  // Verified against its manifest by embeddedModel; that it fits the demo's VQA model is a test's to check.
  const { weights, manifest } = await embeddedModel('vqa');
  return { weights, sha256: manifest.sha256, command: manifest.command };
}

/** The machine the figures were measured on. */
export async function demoMachine(): Promise<DemoMachine> {
  const blas = await blasKind();
  const threads = recommendedThreads(blas);
  await setThreads(threads);
  const gflops = (await runtimeReport({ measure: true })).blas.gflopsMeasured;
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', blas, threads, matmulGflops: gflops };
}
