/**
 * The service's configuration (`uniadapter serve --config serve.yaml`): the models per task (a model
 * configuration, BLIP weights, an adapter), the gallery stores by name, batching, limits and the
 * bearer token. Paths are relative to the configuration file. Defaults live here.
 *
 * ```yaml
 * models:
 *   retrieval: { config: retrieval.json, weights: model_base.pth, adapter: coco-adapter.safetensors }
 *   caption:   { config: caption.json, weights: model_base_caption.pth }
 * galleries: { products: ./stores/products }
 * batching: { maxBatch: 16, maxDelayMs: 5, maxQueue: 256 }
 * limits: { bodyBytes: 20000000, pixels: 40000000, timeoutMs: 30000 }
 * token: ${UNIADAPTER_TOKEN}     # or leave out: no authentication
 * textPadding: longest           # text queries padded to a batch's longest (default max-length: 35 tokens)
 * answerScore: log-likelihood    # VQA ranking by log-probability (default smoothed: the official score)
 * ```
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import type { ModelConfig } from '../config/model-config';
import { UniAdapterError } from '../errors';
import { checkTextPadding, type TextPadding } from '../text/text-batches';
import { checkAnswerScore, type AnswerScore } from '../inference/answer-score';

export type ServedTask = 'retrieval' | 'vqa' | 'caption';
export const SERVED_TASKS: readonly ServedTask[] = ['retrieval', 'vqa', 'caption'];

export interface ServedModel {
  /** A model configuration (object, or a JSON/YAML file). */
  config: ModelConfig | string;
  weights?: string;
  adapter?: string;
}

export interface BatchingConfig {
  /** Requests merged into one native call (1: no batching). */
  maxBatch: number;
  /** How long the first request of a batch waits for more. */
  maxDelayMs: number;
  /** Requests waiting per operation before new ones get 503. */
  maxQueue: number;
}

export interface LimitsConfig {
  /** Largest request body (base64 images included). */
  bodyBytes: number;
  /** Largest image, in pixels (width × height, read from the header before decoding). */
  pixels: number;
  /** Per-request time limit. */
  timeoutMs: number;
  /** Longest query or question, in characters. */
  textChars: number;
  /** Results per query at most (k and rerank). */
  maxK: number;
}

export interface ServeConfig {
  models: Partial<Record<ServedTask, ServedModel>>;
  /** Gallery stores by name (the name used in requests: letters, digits, - and _). */
  galleries: Record<string, string>;
  batching: BatchingConfig;
  limits: LimitsConfig;
  /** Required as `Authorization: Bearer <token>` on every write (and every request with `protectReads`). */
  token?: string;
  protectReads: boolean;
  /** The VQA answer list used when a request gives none (rank mode); without it such requests generate. */
  answerList?: string[];
  /** LibTorch intra-op threads (default: the runtime's recommendation for its BLAS, as training uses). */
  threads?: number;
  /** How text queries are padded: to 35 tokens ('max-length', the default) or to the longest of a batch ('longest'). */
  textPadding?: TextPadding;
  /** How VQA ranking scores its shortlist: 'smoothed' (the official score, the default) or 'log-likelihood'. */
  answerScore?: AnswerScore;
}

export const DEFAULT_BATCHING: BatchingConfig = { maxBatch: 16, maxDelayMs: 5, maxQueue: 256 };
export const DEFAULT_LIMITS: LimitsConfig = { bodyBytes: 20_000_000, pixels: 40_000_000, timeoutMs: 30_000, textChars: 1000, maxK: 100 };

export const GALLERY_NAME = /^[A-Za-z0-9_-]{1,64}$/;

function checkKeys(where: string, o: Record<string, unknown>, known: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new UniAdapterError('ERR_CONFIG', `${where}: unknown key '${k}' (known: ${known.join(', ')})`);
  }
}

function positive(where: string, v: unknown, integer: boolean, allowZero = false): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && (allowZero ? v >= 0 : v > 0) && (!integer || Number.isInteger(v));
  if (!ok) throw new UniAdapterError('ERR_CONFIG', `${where} must be a ${allowZero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v)}`);
  return v as number;
}

function section<T extends object>(where: string, raw: unknown, defaults: T): T {
  if (raw === undefined) return { ...defaults };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UniAdapterError('ERR_CONFIG', `${where} must be a mapping`);
  checkKeys(where, raw as Record<string, unknown>, Object.keys(defaults));
  return { ...defaults, ...(raw as Partial<T>) };
}

/** Validates a configuration object; relative paths are resolved against `baseDir`. */
export function checkServeConfig(raw: unknown, baseDir: string): ServeConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UniAdapterError('ERR_CONFIG', 'the serve configuration must be a mapping');
  const r = raw as Record<string, unknown>;
  checkKeys('serve config', r, ['models', 'galleries', 'batching', 'limits', 'token', 'protectReads', 'answerList', 'threads', 'textPadding', 'answerScore']);
  if (r.threads !== undefined) positive('threads', r.threads, true);
  if (r.textPadding !== undefined) checkTextPadding(r.textPadding, 'ERR_CONFIG', 'textPadding');
  if (r.answerScore !== undefined) checkAnswerScore(r.answerScore, 'ERR_CONFIG', 'answerScore');
  const resolve = (p: string) => path.resolve(baseDir, p);
  const models: ServeConfig['models'] = {};
  const m = (r.models ?? {}) as Record<string, unknown>;
  if (typeof m !== 'object' || Array.isArray(m)) throw new UniAdapterError('ERR_CONFIG', 'models must be a mapping of task to model');
  checkKeys('models', m, SERVED_TASKS);
  for (const [task, spec] of Object.entries(m)) {
    if (!spec || typeof spec !== 'object') throw new UniAdapterError('ERR_CONFIG', `models.${task} must be a mapping with config, weights?, adapter?`);
    const s = spec as Record<string, unknown>;
    checkKeys(`models.${task}`, s, ['config', 'weights', 'adapter']);
    if (typeof s.config !== 'string' && (typeof s.config !== 'object' || s.config === null)) throw new UniAdapterError('ERR_CONFIG', `models.${task}.config must be a file or a model configuration`);
    for (const k of ['weights', 'adapter'] as const) if (s[k] !== undefined && typeof s[k] !== 'string') throw new UniAdapterError('ERR_CONFIG', `models.${task}.${k} must be a file path`);
    models[task as ServedTask] = {
      config: typeof s.config === 'string' ? resolve(s.config) : (s.config as ModelConfig),
      weights: s.weights ? resolve(s.weights as string) : undefined,
      adapter: s.adapter ? resolve(s.adapter as string) : undefined,
    };
  }
  if (Object.keys(models).length === 0) throw new UniAdapterError('ERR_CONFIG', 'models: give at least one of retrieval, vqa, caption');
  const galleries: Record<string, string> = {};
  const g = (r.galleries ?? {}) as Record<string, unknown>;
  if (typeof g !== 'object' || Array.isArray(g)) throw new UniAdapterError('ERR_CONFIG', 'galleries must be a mapping of name to store folder');
  for (const [name, dir] of Object.entries(g)) {
    if (!GALLERY_NAME.test(name)) throw new UniAdapterError('ERR_CONFIG', `gallery name '${name}': use 1–64 letters, digits, - or _`);
    if (typeof dir !== 'string') throw new UniAdapterError('ERR_CONFIG', `galleries.${name} must be a store folder`);
    galleries[name] = resolve(dir);
  }
  if (Object.keys(galleries).length > 0 && !models.retrieval) throw new UniAdapterError('ERR_CONFIG', 'galleries need a retrieval model (models.retrieval)');
  const batching = section('batching', r.batching, DEFAULT_BATCHING);
  positive('batching.maxBatch', batching.maxBatch, true);
  positive('batching.maxDelayMs', batching.maxDelayMs, false, true);
  positive('batching.maxQueue', batching.maxQueue, true);
  const limits = section('limits', r.limits, DEFAULT_LIMITS);
  for (const k of Object.keys(DEFAULT_LIMITS) as Array<keyof LimitsConfig>) positive(`limits.${k}`, limits[k], k !== 'timeoutMs');
  if (r.token !== undefined && (typeof r.token !== 'string' || r.token.length < 16)) throw new UniAdapterError('ERR_CONFIG', 'token must be a string of at least 16 characters');
  if (r.protectReads !== undefined && typeof r.protectReads !== 'boolean') throw new UniAdapterError('ERR_CONFIG', 'protectReads must be true or false');
  if (r.protectReads && r.token === undefined) throw new UniAdapterError('ERR_CONFIG', 'protectReads needs a token');
  if (r.answerList !== undefined && (!Array.isArray(r.answerList) || r.answerList.length === 0 || r.answerList.some((a) => typeof a !== 'string'))) {
    throw new UniAdapterError('ERR_CONFIG', 'answerList must be a non-empty list of strings');
  }
  return { models, galleries, batching, limits, token: r.token as string | undefined, protectReads: !!r.protectReads, answerList: r.answerList as string[] | undefined, threads: r.threads as number | undefined, textPadding: r.textPadding as TextPadding | undefined, answerScore: r.answerScore as AnswerScore | undefined };
}

/** Reads a YAML/JSON serve configuration; `${VAR}` in it is replaced by the environment's value. */
export async function readServeConfig(file: string): Promise<ServeConfig> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw new UniAdapterError('ERR_IO', `${file}: ${(e as Error).message}`);
  }
  const expanded = text.replace(/\$\{([A-Z0-9_]+)\}/g, (_, v: string) => {
    const value = process.env[v];
    if (value === undefined) throw new UniAdapterError('ERR_CONFIG', `${file}: the environment variable ${v} is not set`);
    return value;
  });
  let raw: unknown;
  try {
    raw = YAML.parse(expanded);
  } catch (e) {
    throw new UniAdapterError('ERR_CONFIG', `${file}: ${(e as Error).message}`);
  }
  return checkServeConfig(raw, path.dirname(path.resolve(file)));
}
