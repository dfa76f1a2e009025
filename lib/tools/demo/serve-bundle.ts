/**
 * What the demo leaves for `uniadapter serve` to serve with no configuration: each task's trained model
 * (configuration and weights: the frozen backbone with its adapter and head), a gallery store `demo` of
 * the held-out synthetic images, and serve.yaml naming them — in `<report>/serve/`.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import type { ModelConfig } from '../../config/model-config';
import { writeFileAtomic } from '../../io/atomic';
import { writeSafetensors } from '../../io/safetensors';
import type { BlipModel } from '../../model/blip-model';
import type { RetrievalModel } from '../../model/retrieval-model';
import { createStoreFor, ingestMedia } from '../../store/store-ingest';

export const SERVE_BUNDLE = 'serve';
export const SERVE_CONFIG_FILE = 'serve.yaml';

/** Writes one task's model configuration and full weights into the bundle. */
export async function saveServedModel(report: string, task: 'retrieval' | 'vqa' | 'caption', model: BlipModel, config: ModelConfig): Promise<void> {
  const dir = path.join(report, SERVE_BUNDLE);
  fs.mkdirSync(dir, { recursive: true });
  await writeSafetensors(path.join(dir, `${task}.safetensors`), await model.stateDict('all'));
  await writeFileAtomic(path.join(dir, `${task}.json`), Buffer.from(JSON.stringify(config, null, 1) + '\n'));
}

/** Builds the `demo` gallery store of `media` and writes serve.yaml (after every task's model is saved). */
export async function writeServeBundle(report: string, retrieval: RetrievalModel, media: readonly string[], answerList: readonly string[]): Promise<string> {
  const dir = path.join(report, SERVE_BUNDLE);
  const store = path.join(dir, 'demo-store');
  const staging = `${store}.building-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  const s = await createStoreFor(retrieval, staging, { tokens: 'bf16', metadata: { split: 'string' } });
  try {
    await ingestMedia(retrieval, s, media.map((m) => ({ id: path.basename(m), media: path.resolve(m), metadata: { split: 'test' } })));
  } finally {
    await s.close();
  }
  fs.rmSync(store, { recursive: true, force: true });
  fs.renameSync(staging, store);
  const models: Record<string, { config: string; weights: string }> = {};
  for (const task of ['retrieval', 'vqa', 'caption']) {
    if (fs.existsSync(path.join(dir, `${task}.safetensors`))) models[task] = { config: `${task}.json`, weights: `${task}.safetensors` };
  }
  // The demo trains and evaluates with queries padded to the longest (the same scores, less compute).
  const config = { models, galleries: { demo: 'demo-store' }, answerList: [...answerList], textPadding: 'longest' };
  const file = path.join(dir, SERVE_CONFIG_FILE);
  await writeFileAtomic(file, Buffer.from(`# Written by the demo: its trained models and a gallery of the held-out images.\n${YAML.stringify(config)}`));
  return file;
}
