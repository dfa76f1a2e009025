/**
 * Runs one case folder of a golden fixture set (config.json, inputs.safetensors and the weights file
 * the config names) through the library's own code paths, and returns every computed tensor under the
 * name the set's README gives it. Works for any set with this layout, whatever its sizes and seeds.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fixtureCaseKind, modelConfigFromFixture, type FixtureCaseKind } from '../fixture-config';
import type { Device, ModelConfig } from '../../config/model-config';
import { UniAdapterError } from '../../errors';
import { readSafetensors } from '../../io/safetensors';
import { CaptionModel } from '../../model/caption-model';
import { RetrievalModel } from '../../model/retrieval-model';
import { VqaModel } from '../../model/vqa-model';
import { asFrames, retrievalScoreMatrices } from '../../evaluation/retrieval/score-matrices';
import { float32, int64, reshape, toNumbers, type HostTensor } from '../../tensor';
import { loadWeights, type LoadReport } from '../../weights/load-weights';

export interface GoldenCase {
  dir: string;
  kind: FixtureCaseKind;
  config: Record<string, any>;
  modelConfig: ModelConfig;
  inputs: Record<string, HostTensor>;
  weightsPath: string;
}

export interface GoldenRunOptions {
  /** Use another weights file than the one config.json names (e.g. the .pth twin). */
  weightsPath?: string;
  /** Change the case's model configuration (to measure an option's effect against the official outputs). */
  modelOverrides?: Partial<ModelConfig>;
  /** Where the model runs (default: the fixture's, the CPU). */
  device?: Device;
}

export async function openGoldenCase(dir: string): Promise<GoldenCase> {
  const configPath = path.join(dir, 'config.json');
  if (!fs.existsSync(configPath)) throw new UniAdapterError('ERR_IO', `${dir}: no config.json (is this a fixture case folder?)`);
  const config = JSON.parse(await fs.promises.readFile(configPath, 'utf8'));
  const kind = fixtureCaseKind(config);
  if (typeof config.weights_file !== 'string') throw new UniAdapterError('ERR_CONFIG', `${configPath}: 'weights_file' is missing`);
  return {
    dir,
    kind,
    config,
    modelConfig: modelConfigFromFixture(config),
    inputs: await readSafetensors(path.join(dir, 'inputs.safetensors')),
    weightsPath: path.resolve(dir, config.weights_file),
  };
}

function need(inputs: Record<string, HostTensor>, name: string): HostTensor {
  const t = inputs[name];
  if (!t) throw new UniAdapterError('ERR_ARG', `inputs.safetensors has no tensor '${name}'`);
  return t;
}

function scalar(t: HostTensor): number {
  return toNumbers(t)[0];
}

/** Row-major (image, text) pairs: pair p = i * nText + j. */
function allPairs(nImage: number, nText: number): { texts: number[]; images: number[] } {
  const texts: number[] = [];
  const images: number[] = [];
  for (let i = 0; i < nImage; i++) {
    for (let j = 0; j < nText; j++) {
      images.push(i);
      texts.push(j);
    }
  }
  return { texts, images };
}

function repeatRows(t: HostTensor, rows: number[]): HostTensor {
  const len = t.data.length / t.shape[0];
  const out = new (t.data.constructor as any)(rows.length * len);
  rows.forEach((r, i) => out.set((t.data as any).subarray(r * len, (r + 1) * len), i * len));
  return { dtype: t.dtype, shape: [rows.length, ...t.shape.slice(1)], data: out };
}

async function runRetrieval(model: RetrievalModel, c: GoldenCase, out: Record<string, HostTensor>): Promise<void> {
  const video = c.kind === 'retrieval-video';
  const pixels = need(c.inputs, video ? 'video' : 'image');
  const ids = need(c.inputs, 'input_ids');
  const mask = need(c.inputs, 'attention_mask');
  const encIds = need(c.inputs, 'enc_input_ids');
  const img = await model.encodeImages(pixels, { tokens: true });
  const tokens = img.tokens as HostTensor; // [N, T, tokens, D]
  const [nImg, T, nTok, D] = tokens.shape;
  const txt = await model.encodeTexts(ids, mask, { hidden: true });
  const nTxt = ids.shape[0];
  out.text_last_hidden = txt.hidden as HostTensor;
  out.text_proj_raw = txt.projRaw;
  out.text_feat = txt.features;
  out.sims_matrix = await model.similarity(img.features, txt.features);
  const { texts, images } = allPairs(nImg, nTxt);
  const pairIds = repeatRows(encIds, texts);
  const pairMask = repeatRows(mask, texts);
  if (!video) {
    out.vit_last_hidden = reshape(tokens, [nImg, nTok, D]);
    out.image_proj_raw = img.projRaw;
    out.image_feat = img.features;
    const r = await model.itm({
      inputIds: pairIds,
      attentionMask: pairMask,
      imageTokens: tokens,
      pairImage: int64(images, [images.length]),
      replaceFirstToken: false,
      returnHidden: true,
      pfa: false,
    });
    out.mm_last_hidden = reshape(r.hidden as HostTensor, [nImg, nTxt, ...(r.hidden as HostTensor).shape.slice(1)]);
    out.itm_logits = reshape(r.logits, [nImg, nTxt, 2]);
    const k = scalar(need(c.inputs, 'k_test'));
    const beta = c.config.eval?.beta ?? c.config.flags?.beta ?? 0;
    const m = await retrievalScoreMatrices(
      model,
      { tokens: asFrames(tokens), features: img.features, frameFeatures: img.frameFeatures },
      { inputIds: encIds, attentionMask: mask, features: txt.features },
      { k, beta, pfa: false }
    );
    out.score_matrix_i2t = float32(m.i2t, [nImg, nTxt]);
    out.score_matrix_t2i = float32(m.t2i, [nTxt, nImg]);
    return;
  }
  out.vit_last_hidden = tokens;
  out.encoder_hidden_states = reshape(tokens, [nImg, T * nTok, D]);
  out.video_feat_mean_cls = img.clsMean;
  out.video_feat = img.features;
  out.frame_feat = img.frameFeatures;
  // sim_t2f[v, j, t] = <text_feat[j], frame_feat[v, t]>
  const ff = toNumbers(img.frameFeatures);
  const tf = toNumbers(txt.features);
  const E = txt.features.shape[1];
  const simT2f = new Float32Array(nImg * nTxt * T);
  for (let v = 0; v < nImg; v++)
    for (let j = 0; j < nTxt; j++)
      for (let t = 0; t < T; t++) {
        let s = 0;
        for (let e = 0; e < E; e++) s += Math.fround(tf[j * E + e] * ff[(v * T + t) * E + e]);
        simT2f[(v * nTxt + j) * T + t] = s;
      }
  out.sim_t2f = float32(simT2f, [nImg, nTxt, T]);
  for (const pfa of [false, true]) {
    const r = await model.itm({
      inputIds: pairIds,
      attentionMask: pairMask,
      imageTokens: tokens,
      pairImage: int64(images, [images.length]),
      textFeatures: repeatRows(txt.features, texts),
      frameFeatures: img.frameFeatures,
      pfa,
      replaceFirstToken: false,
      returnHidden: true,
    });
    const suffix = pfa ? 'faa_on' : 'faa_off';
    out[`mm_last_hidden_${suffix}`] = reshape(r.hidden as HostTensor, [nImg, nTxt, ...(r.hidden as HostTensor).shape.slice(1)]);
    out[`itm_logits_${suffix}`] = reshape(r.logits, [nImg, nTxt, 2]);
  }
}

async function runTrainStep(model: RetrievalModel, c: GoldenCase, out: Record<string, HostTensor>): Promise<void> {
  const queues: Record<string, HostTensor> = {};
  for (const name of ['image_queue', 'text_queue', 'idx_queue', 'ptr_queue']) queues[name] = need(c.inputs, `${name}_before`);
  await model.loadTensors(queues, { dropMismatched: false });
  const video = c.kind === 'train-step-video';
  const alpha = c.inputs.alpha ? scalar(c.inputs.alpha) : c.config.train_step?.alpha ?? 0.4;
  const r = await model.trainStep(
    {
      pixels: need(c.inputs, video ? 'video' : 'image'),
      inputIds: need(c.inputs, 'input_ids'),
      attentionMask: need(c.inputs, 'attention_mask'),
      idx: need(c.inputs, 'idx'),
    },
    {
      alpha,
      lr: 0,
      update: false,
      train: false,
      capture: true,
      hardNegatives: 'argmax',
      pfa: !!c.config.train_step?.frame_aware_attention,
    }
  );
  Object.assign(out, r.captured);
  const grads = await model.grads();
  for (const [name, g] of Object.entries(grads)) out[`grad.${name}`] = g;
  const after = await model.stateDict('all');
  for (const [name, t] of Object.entries(after)) out[`after.${name}`] = t;
}

async function runVqa(model: VqaModel, c: GoldenCase, out: Record<string, HostTensor>): Promise<void> {
  const pixels = need(c.inputs, 'image');
  const questionIds = need(c.inputs, 'question_input_ids');
  const questionMask = need(c.inputs, 'question_attention_mask');
  const f = await model.forward(
    {
      pixels,
      questionIds,
      questionMask,
      answerIds: need(c.inputs, 'answer_input_ids'),
      answerMask: need(c.inputs, 'answer_attention_mask'),
      answerCount: need(c.inputs, 'answer_n'),
      answerWeights: need(c.inputs, 'answer_weights'),
    },
    { capture: true }
  );
  Object.assign(out, f.captured);
  const rank = await model.rank(
    {
      pixels,
      questionIds,
      questionMask,
      answerListIds: need(c.inputs, 'answer_list_input_ids'),
      answerListMask: need(c.inputs, 'answer_list_attention_mask'),
    },
    { k: scalar(need(c.inputs, 'k_test')), capture: true }
  );
  Object.assign(out, rank.captured);
  const gen = c.config.generation ?? {};
  const g = await model.generate(
    { pixels, questionIds, questionMask },
    { numBeams: gen.num_beams ?? 3, maxLength: gen.max_length ?? 10, minLength: gen.min_length ?? 1 }
  );
  out.generate_output_ids = g.ids;
  if (g.scores) out.generate_sequence_scores = g.scores;
}

async function runCaption(model: CaptionModel, c: GoldenCase, out: Record<string, HostTensor>): Promise<void> {
  const pixels = need(c.inputs, 'image');
  const f = await model.forward(
    {
      pixels,
      captionIds: need(c.inputs, 'caption_input_ids'),
      captionMask: need(c.inputs, 'caption_attention_mask'),
      promptLength: c.config.prompt_length ?? 4,
    },
    { capture: true }
  );
  Object.assign(out, f.captured);
  const gen = c.config.generation ?? {};
  const prompt = need(c.inputs, 'generate_prompt_input_ids');
  const common = { maxLength: gen.max_length ?? 20, minLength: gen.min_length ?? 5, repetitionPenalty: gen.repetition_penalty ?? 1.0 };
  const greedy = await model.generate(pixels, prompt, { ...common, numBeams: gen.greedy?.num_beams ?? 1, capture: true });
  out.greedy_output_ids = greedy.ids;
  if (greedy.stepLogits) out.greedy_step_logits = greedy.stepLogits;
  if (greedy.unfinished) out.greedy_unfinished_before_step = greedy.unfinished;
  const beam = await model.generate(pixels, prompt, { ...common, numBeams: gen.beam?.num_beams ?? 3 });
  out.beam_output_ids = beam.ids;
  if (beam.scores) out.beam_sequence_scores = beam.scores;
}

/** Runs a case; returns the computed tensors and how the weights loaded. */
export async function runGoldenCase(dir: string, options: GoldenRunOptions = {}): Promise<{ outputs: Record<string, HostTensor>; load: LoadReport; kind: FixtureCaseKind }> {
  const opened = await openGoldenCase(dir);
  const modelConfig = { ...opened.modelConfig, ...(options.modelOverrides ?? {}), ...(options.device ? { device: options.device } : {}) };
  const c = { ...opened, modelConfig };
  const out: Record<string, HostTensor> = {};
  const weights = options.weightsPath ?? c.weightsPath;
  if (c.kind === 'vqa') {
    const model = await VqaModel.create(c.modelConfig);
    try {
      const load = await loadWeights(model, weights);
      await runVqa(model, c, out);
      return { outputs: out, load, kind: c.kind };
    } finally {
      await model.dispose();
    }
  }
  if (c.kind === 'caption') {
    const model = await CaptionModel.create(c.modelConfig);
    try {
      const load = await loadWeights(model, weights);
      await runCaption(model, c, out);
      return { outputs: out, load, kind: c.kind };
    } finally {
      await model.dispose();
    }
  }
  const model = await RetrievalModel.create(c.modelConfig);
  try {
    const load = await loadWeights(model, weights);
    if (c.kind === 'train-step' || c.kind === 'train-step-video') await runTrainStep(model, c, out);
    else await runRetrieval(model, c, out);
    return { outputs: out, load, kind: c.kind };
  } finally {
    await model.dispose();
  }
}
