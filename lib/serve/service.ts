/**
 * The service in-process: the models and gallery stores of a serve configuration, loaded once, behind
 * batched, bounded, time-limited retrieve / answer / caption functions and gallery writes. The HTTP
 * server is a thin layer over it; a Node service that wants no HTTP calls `createService` directly.
 *
 * Requests for the same operation with the same options (same gallery, k, rerank, filter; same answer
 * list; same generation settings) that arrive together are merged into one native call. Each request's
 * input is checked (text length, image header and pixel count) before it joins a batch, and a batch
 * that fails is retried one request at a time, so a bad request fails alone.
 */
import { createHash } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import type { ModelConfig } from '../config/model-config';
import { imageHeader } from '../data/media/image';
import { UniAdapterError } from '../errors';
import { answerQuestions } from '../inference/answer';
import { captionImages } from '../inference/caption';
import { writeFileAtomic } from '../io/atomic';
import type { CaptionModel } from '../model/caption-model';
import type { VqaModel } from '../model/vqa-model';
import { defaultThreads, setThreads } from '../native/runtime-info';
import { ModelSession } from '../session/model-session';
import { GalleryStore, type MetadataValue, type StoreInfo } from '../store/gallery-store';
import { ingestMedia, ingestTexts, storeFingerprint } from '../store/store-ingest';
import { searchStoreByImage, searchStoreByText, type StoreResult } from '../store/store-search';
import { MicroBatcher } from './micro-batcher';
import { GALLERY_NAME, SERVED_TASKS, type ServeConfig, type ServedModel, type ServedTask } from './serve-config';

export interface RetrieveRequest {
  gallery: string;
  text: string;
  k?: number;
  rerank?: number;
  where?: string;
  exact?: boolean;
}

export interface ImageRetrieveRequest {
  gallery: string;
  /** Encoded image bytes. */
  image: Uint8Array;
  k?: number;
  rerank?: number;
  where?: string;
  exact?: boolean;
}

export interface AnswerRequest {
  image: Uint8Array;
  question: string;
  /** Rank over these answers; without them (and without a configured answer list) the answer is generated. */
  answers?: string[];
}

export interface CaptionRequest {
  image: Uint8Array;
  numBeams?: number;
  maxLength?: number;
  minLength?: number;
}

export interface GalleryWrite {
  id: string;
  /** Encoded image bytes (media stores) … */
  image?: Uint8Array;
  /** … or the text (text stores). */
  text?: string;
  metadata?: Record<string, MetadataValue>;
}

/** Per-operation observations for metrics. */
export interface ServiceObserver {
  batch?(operation: string, size: number, seconds: number): void;
}

export interface Service {
  readonly tasks: readonly ServedTask[];
  readonly galleries: readonly string[];
  retrieve(r: RetrieveRequest): Promise<StoreResult[]>;
  retrieveByImage(r: ImageRetrieveRequest): Promise<StoreResult[]>;
  answer(r: AnswerRequest): Promise<{ answer: string; score: number }>;
  caption(r: CaptionRequest): Promise<{ caption: string }>;
  addItems(gallery: string, items: GalleryWrite[], options?: { upsert?: boolean }): Promise<{ added: number; items: number }>;
  removeItem(gallery: string, id: string): Promise<{ removed: number }>;
  galleryInfo(gallery: string): Promise<StoreInfo>;
  /** The media file an item was embedded from (thumbnails); ERR_NOT_FOUND when it has none. */
  mediaFile(gallery: string, id: string): Promise<string>;
  /** Requests waiting per operation (the queue-depth metric). */
  queueDepth(): Record<string, number>;
  /** Stops taking requests, lets accepted ones finish, closes the stores and frees the models. */
  close(): Promise<void>;
}

async function modelConfigOf(spec: ServedModel, task: ServedTask): Promise<ModelConfig> {
  if (typeof spec.config !== 'string') return spec.config;
  let raw: unknown;
  try {
    raw = YAML.parse(await fsp.readFile(spec.config, 'utf8'));
  } catch (e) {
    throw new UniAdapterError('ERR_CONFIG', `models.${task}.config ${spec.config}: ${(e as Error).message}`);
  }
  if (!raw || typeof raw !== 'object') throw new UniAdapterError('ERR_CONFIG', `${spec.config}: not a model configuration`);
  const config = raw as ModelConfig;
  if (config.task !== task) throw new UniAdapterError('ERR_CONFIG', `${spec.config}: models.${task} needs a model configuration with task: ${task}, got ${String(config.task)}`);
  return config;
}

function within(limit: number, what: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > limit)) throw new UniAdapterError('ERR_ARG', `${what} must be an integer from 0 to ${limit}, got ${String(v)}`);
}

/** Times out a request (its work still finishes; its answer is dropped). */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UniAdapterError('ERR_TIMEOUT', `the request took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** Batchers by key: one per distinct set of options, each bounded by the service's queue size. */
class Batchers<I, O> {
  private readonly byKey = new Map<string, MicroBatcher<I, O>>();

  constructor(
    private readonly name: string,
    private readonly config: ServeConfig,
    private readonly make: (key: string) => (inputs: I[]) => Promise<O[]>,
    private readonly observer?: ServiceObserver
  ) {}

  submit(key: string, input: I): Promise<O> {
    let b = this.byKey.get(key);
    if (!b) {
      b = new MicroBatcher(this.make(key), this.config.batching, (n, s) => this.observer?.batch?.(this.name, n, s));
      this.byKey.set(key, b);
    }
    if (this.queued() >= this.config.batching.maxQueue) return Promise.reject(new UniAdapterError('ERR_BUSY', `the ${this.name} queue is full (${this.config.batching.maxQueue} waiting); retry shortly`));
    return b.submit(input);
  }

  queued(): number {
    let n = 0;
    for (const b of this.byKey.values()) n += b.stats.queued;
    return n;
  }

  async drain(): Promise<void> {
    await Promise.all([...this.byKey.values()].map((b) => b.drain()));
  }
}

/**
 * Loads the configuration's models and stores and returns the service.
 *
 * @throws UniAdapterError ERR_CONFIG / ERR_WEIGHTS / ERR_FORMAT for what cannot be loaded (everything
 *   loaded so far is freed again)
 */
export async function createService(config: ServeConfig, options: { log?: (line: string) => void; observer?: ServiceObserver } = {}): Promise<Service> {
  const log = options.log ?? (() => {});
  const sessions: Partial<Record<ServedTask, ModelSession>> = {};
  const readers = new Map<string, GalleryStore>();
  const writers = new Map<string, Promise<GalleryStore>>();
  const release = async () => {
    for (const s of [...readers.values()]) await s.close().catch(() => {});
    for (const w of [...writers.values()]) await (await w.catch(() => undefined))?.close().catch(() => {});
    for (const s of Object.values(sessions)) await s?.dispose();
  };
  try {
    await setThreads(config.threads ?? (await defaultThreads()));
    for (const task of SERVED_TASKS) {
      const spec = config.models[task];
      if (!spec) continue;
      sessions[task] = await ModelSession.open({ config: await modelConfigOf(spec, task), weights: spec.weights, adapter: spec.adapter, onLog: log });
      log(`${task}: model loaded${spec.adapter ? ` with ${path.basename(spec.adapter)}` : ''}`);
    }
    const retrieval = sessions.retrieval?.modelFor('retrieval');
    if (!retrieval && Object.keys(config.galleries).length > 0) throw new UniAdapterError('ERR_CONFIG', 'galleries need a retrieval model (models.retrieval)');
    const fingerprint = retrieval ? await storeFingerprint(retrieval) : undefined;
    for (const [name, dir] of Object.entries(config.galleries)) {
      readers.set(name, await GalleryStore.open(dir, { fingerprint }));
      log(`gallery ${name}: ${await (readers.get(name) as GalleryStore).size()} items (${dir})`);
    }
  } catch (e) {
    await release();
    throw e;
  }
  const { limits } = config;
  const need = (task: ServedTask) => {
    const s = sessions[task];
    if (!s) throw new UniAdapterError('ERR_NOT_FOUND', `this service has no ${task} model (configure models.${task})`);
    return s;
  };
  /** The store a request reads: the writer once this service has written to the gallery (it sees its own writes). */
  const storeOf = async (name: string): Promise<GalleryStore> => {
    if (typeof name !== 'string' || !GALLERY_NAME.test(name)) throw new UniAdapterError('ERR_ARG', 'gallery must be a name of 1–64 letters, digits, - or _');
    const w = writers.get(name);
    if (w) return w;
    const r = readers.get(name);
    if (!r) throw new UniAdapterError('ERR_NOT_FOUND', `no gallery '${name}' (this service has: ${[...readers.keys()].join(', ') || 'none'})`);
    return r;
  };
  const writerOf = async (name: string): Promise<GalleryStore> => {
    if (!readers.has(name)) await storeOf(name); // throws the name's ERR_ARG / ERR_NOT_FOUND
    let w = writers.get(name);
    if (!w) {
      w = GalleryStore.open(config.galleries[name], { write: true });
      writers.set(name, w);
      w.catch(() => writers.delete(name));
    }
    return w;
  };
  const checkText = (what: string, t: unknown): string => {
    if (typeof t !== 'string' || t.trim() === '') throw new UniAdapterError('ERR_ARG', `${what} must be a non-empty string`);
    if (t.length > limits.textChars) throw new UniAdapterError('ERR_TOO_LARGE', `${what} has ${t.length} characters; the limit is ${limits.textChars}`);
    if (t.includes('\0')) throw new UniAdapterError('ERR_ARG', `${what} contains a NUL character`);
    return t;
  };
  const checkImage = async (what: string, bytes: unknown): Promise<Uint8Array> => {
    if (!(bytes instanceof Uint8Array)) throw new UniAdapterError('ERR_ARG', `${what} must be image bytes`);
    const h = await imageHeader(bytes, what);
    if (h.width * h.height > limits.pixels) throw new UniAdapterError('ERR_TOO_LARGE', `${what} is ${h.width}×${h.height} pixels; the limit is ${limits.pixels} pixels`);
    return bytes;
  };
  const checkSizes = (r: { k?: number; rerank?: number }) => {
    within(limits.maxK, 'k', r.k);
    within(limits.maxK, 'rerank', r.rerank);
    if (r.k === 0) throw new UniAdapterError('ERR_ARG', 'k must be at least 1');
  };

  const textSearch = new Batchers<string, StoreResult[]>(
    'retrieve',
    config,
    (key) => async (texts) => {
      const o = JSON.parse(key) as Omit<RetrieveRequest, 'text'>;
      const session = need('retrieval');
      return searchStoreByText(session.modelFor('retrieval'), await storeOf(o.gallery), texts, { tokenizer: session.tokenizer, k: o.k, rerank: o.rerank, where: o.where, exact: o.exact, textPadding: config.textPadding });
    },
    options.observer
  );
  const imageSearch = new Batchers<Uint8Array, StoreResult[]>(
    'retrieve-by-image',
    config,
    (key) => async (images) => {
      const o = JSON.parse(key) as Omit<ImageRetrieveRequest, 'image'>;
      return searchStoreByImage(need('retrieval').modelFor('retrieval'), await storeOf(o.gallery), images, { k: o.k, rerank: o.rerank, where: o.where, exact: o.exact });
    },
    options.observer
  );
  const answers = new Batchers<{ image: Uint8Array; question: string }, { answer: string; score: number }>(
    'answer',
    config,
    (key) => async (items) => {
      const list = JSON.parse(key) as string[] | null;
      const session = need('vqa');
      return answerQuestions(
        session.modelFor('vqa') as VqaModel,
        items.map((i) => i.image),
        items.map((i) => i.question),
        list ? { tokenizer: session.tokenizer, mode: 'rank', answerList: list, score: config.answerScore } : { tokenizer: session.tokenizer, mode: 'generate' }
      );
    },
    options.observer
  );
  const captions = new Batchers<Uint8Array, { caption: string }>(
    'caption',
    config,
    (key) => async (images) => {
      const o = JSON.parse(key) as Omit<CaptionRequest, 'image'>;
      const session = need('caption');
      const r = await captionImages(session.modelFor('caption') as CaptionModel, images, { tokenizer: session.tokenizer, ...o });
      return r.map((c) => ({ caption: c.caption }));
    },
    options.observer
  );
  let closing = false;
  const inflight = new Set<Promise<unknown>>();
  /** Runs an accepted request under the time limit; close() waits for every accepted one. */
  const timed = async <T>(p: () => Promise<T>): Promise<T> => {
    if (closing) throw new UniAdapterError('ERR_STATE', 'the service is shutting down');
    const work = p();
    inflight.add(work);
    work.then(
      () => inflight.delete(work),
      () => inflight.delete(work)
    );
    return withTimeout(work, limits.timeoutMs);
  };

  return {
    tasks: SERVED_TASKS.filter((t) => sessions[t]),
    galleries: [...readers.keys()],
    retrieve: (r) =>
      timed(async () => {
        need('retrieval');
        checkSizes(r);
        const text = checkText('text', r.text);
        await storeOf(r.gallery);
        if (r.where !== undefined && typeof r.where !== 'string') throw new UniAdapterError('ERR_ARG', 'where must be a string');
        return textSearch.submit(JSON.stringify({ gallery: r.gallery, k: r.k, rerank: r.rerank, where: r.where, exact: !!r.exact }), text);
      }),
    retrieveByImage: (r) =>
      timed(async () => {
        need('retrieval');
        checkSizes(r);
        await storeOf(r.gallery);
        const image = await checkImage('image', r.image);
        return imageSearch.submit(JSON.stringify({ gallery: r.gallery, k: r.k, rerank: r.rerank, where: r.where, exact: !!r.exact }), image);
      }),
    answer: (r) =>
      timed(async () => {
        need('vqa');
        const question = checkText('question', r.question);
        if (r.answers !== undefined && (!Array.isArray(r.answers) || r.answers.length === 0 || r.answers.length > 10_000 || r.answers.some((a) => typeof a !== 'string' || a.length > limits.textChars))) {
          throw new UniAdapterError('ERR_ARG', 'answers must be a list of 1–10000 strings');
        }
        const image = await checkImage('image', r.image);
        return answers.submit(JSON.stringify(r.answers ?? config.answerList ?? null), { image, question });
      }),
    caption: (r) =>
      timed(async () => {
        need('caption');
        for (const k of ['numBeams', 'maxLength', 'minLength'] as const) within(k === 'numBeams' ? 10 : 100, k, r[k]);
        const image = await checkImage('image', r.image);
        return captions.submit(JSON.stringify({ numBeams: r.numBeams, maxLength: r.maxLength, minLength: r.minLength }), image);
      }),
    addItems: (name, items, o = {}) =>
      timed(async () => {
        const session = need('retrieval');
        const store = await writerOf(name);
        if (!Array.isArray(items) || items.length === 0 || items.length > 256) throw new UniAdapterError('ERR_ARG', 'items must be a list of 1–256 items');
        const model = session.modelFor('retrieval');
        for (const it of items) {
          if (typeof it?.id !== 'string' || it.id === '' || it.id.length > 256 || it.id.includes('\0')) throw new UniAdapterError('ERR_ARG', 'every item needs an id of 1–256 characters');
        }
        if (store.manifest.kind === 'text') {
          const texts = items.map((it) => ({ id: it.id, text: checkText(`item '${it.id}': text`, it.text), metadata: it.metadata }));
          await ingestTexts(model, store, texts, { tokenizer: session.tokenizer, upsert: o.upsert });
        } else {
          const media = await fsp.mkdir(path.join(store.path, 'media'), { recursive: true }).then(() => path.join(store.path, 'media'));
          const stored: Array<{ id: string; media: string; metadata?: Record<string, MetadataValue> }> = [];
          for (const it of items) {
            const bytes = await checkImage(`item '${it.id}': image`, it.image);
            // Uploads are kept inside the store (content-addressed): the source for thumbnails and 'recompute'.
            const file = path.join(media, `${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}.img`);
            await writeFileAtomic(file, bytes);
            stored.push({ id: it.id, media: file, metadata: it.metadata });
          }
          await ingestMedia(model, store, stored, { upsert: o.upsert });
        }
        return { added: items.length, items: await store.size() };
      }),
    removeItem: (name, id) =>
      timed(async () => {
        const store = await writerOf(name);
        return { removed: await store.remove([id]) };
      }),
    galleryInfo: async (name) => (await storeOf(name)).info(),
    mediaFile: async (name, id) => {
      const store = await storeOf(name);
      if (typeof id !== 'string' || id === '') throw new UniAdapterError('ERR_ARG', 'an item id is required');
      const source = await store.sourceOf(id);
      if (source === undefined) throw new UniAdapterError('ERR_NOT_FOUND', `gallery '${name}' has no item '${id}'`);
      if (source === '') throw new UniAdapterError('ERR_NOT_FOUND', `item '${id}' of gallery '${name}' has no stored media`);
      return source;
    },
    queueDepth: () => ({ retrieve: textSearch.queued(), 'retrieve-by-image': imageSearch.queued(), answer: answers.queued(), caption: captions.queued() }),
    close: async () => {
      closing = true;
      await Promise.all([textSearch.drain(), imageSearch.drain(), answers.drain(), captions.drain()]);
      await Promise.allSettled([...inflight]);
      await release();
    },
  };
}
