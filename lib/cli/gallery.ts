/**
 * `uniadapter gallery build|add|remove|index|info|search <store> …`: gallery stores from the command
 * line, with a progress line (items/s, ETA) while media are embedded.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { resolveModelConfig } from '../config/model-choice';
import type { ModelConfig } from '../config/model-config';
import { UniAdapterError } from '../errors';
import { ModelSession } from '../session/model-session';
import { GalleryStore } from '../store/gallery-store';
import { createStoreFor, ingestMedia, ingestTexts, storeFingerprint, type TextItem } from '../store/store-ingest';
import { searchStoreByImage, searchStoreByText, type StoreResult } from '../store/store-search';
import { checkTokenStorage } from '../store/token-codec';
import type { TextPadding } from '../text/text-batches';
import { intOption, parseCommandArgs, writeJson, type CliIO, type Command } from './command';
import { progressReporter } from './progress';
import { readTrainConfig } from './train';

const usage = [
  'uniadapter gallery build <store> --config <model config> [--weights F] [--adapter F] [--tokens bf16|fp32|int8|recompute] [--kind image|video|text] [--frames N] [--index] <media files or a folder | text files>',
  'uniadapter gallery add <store> --config <model config> [--weights F] [--adapter F] [--upsert] <media files or a folder | text files>',
  'uniadapter gallery remove <store> <id>…',
  'uniadapter gallery index <store> [--type ivf-flat|ivf-pq]',
  'uniadapter gallery info <store> [--json]',
  'uniadapter gallery search <store> --config <model config> [--weights F] [--adapter F] (--text "…" | --image F) [--k 10] [--rerank 16] [--text-padding max-length|longest] [--where "…"] [--exact] [--json]',
].join('\n       ');

const KINDS = ['image', 'video', 'text'] as const;

/**
 * The texts of a text store's input files: a .jsonl file holds one {id?, text, metadata?} a line, any
 * other file one text a line (blank lines skipped), with ids `<file name>:<line number>`.
 */
async function textItems(files: string[]): Promise<TextItem[]> {
  if (files.length === 0) throw new UniAdapterError('ERR_ARG', 'no text files given (one text a line, or .jsonl with {id, text, metadata})');
  const out: TextItem[] = [];
  for (const f of files) {
    const raw = await fsp.readFile(f, 'utf8').catch((e: Error) => {
      throw new UniAdapterError('ERR_IO', `${f}: ${e.message}`);
    });
    raw.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '') return;
      if (f.endsWith('.jsonl')) {
        let o: TextItem;
        try {
          o = JSON.parse(line) as TextItem;
        } catch {
          throw new UniAdapterError('ERR_FORMAT', `${f}:${i + 1}: not a JSON object`);
        }
        if (!o || typeof o.text !== 'string') throw new UniAdapterError('ERR_FORMAT', `${f}:${i + 1}: needs a "text" string`);
        out.push({ id: o.id === undefined ? `${path.basename(f)}:${i + 1}` : String(o.id), text: o.text, metadata: o.metadata });
      } else out.push({ id: `${path.basename(f)}:${i + 1}`, text: line });
    });
  }
  return out;
}

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif']);
const VIDEO_EXT = new Set(['.mp4', '.mov', '.mkv', '.webm', '.avi']);

/** Media paths from the arguments: files as given, folders listed (sorted) for media of the kind. */
async function mediaPaths(args: string[], kind: 'image' | 'video'): Promise<string[]> {
  const ext = kind === 'video' ? VIDEO_EXT : IMAGE_EXT;
  const out: string[] = [];
  for (const a of args) {
    const st = await fsp.stat(a).catch(() => undefined);
    if (!st) throw new UniAdapterError('ERR_IO', `${a}: no such file or folder`);
    if (st.isDirectory()) {
      for (const f of (await fsp.readdir(a)).sort()) if (ext.has(path.extname(f).toLowerCase())) out.push(path.join(a, f));
    } else out.push(a);
  }
  if (out.length === 0) throw new UniAdapterError('ERR_ARG', `no ${kind} files given (extensions ${[...ext].join(', ')})`);
  return out;
}

/**
 * The model of `--config`: a training or evaluation config (its `model`, `task` and `weights`), or a
 * model configuration itself (JSON or YAML with `task: retrieval`).
 */
async function openSession(values: Record<string, unknown>): Promise<ModelSession> {
  const file = values.config as string | undefined;
  if (!file) throw new UniAdapterError('ERR_ARG', `--config is required (a training config, or a model configuration)\nusage: ${usage}`);
  let raw: Record<string, unknown>;
  try {
    raw = YAML.parse(await fsp.readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UniAdapterError('ERR_CONFIG', `${file}: ${(e as Error).message}`);
  }
  if (!raw || typeof raw !== 'object') throw new UniAdapterError('ERR_CONFIG', `${file}: not a configuration object`);
  const run = 'model' in raw ? readTrainConfig(file) : undefined;
  return ModelSession.open({
    config: run ? resolveModelConfig(run.task, run.model) : (raw as unknown as ModelConfig),
    weights: (values.weights as string | undefined) ?? run?.weights,
    adapter: values.adapter as string | undefined,
  });
}

/** Progress of an ingest (none with --json, whose output is the result alone). */
function progress(io: CliIO, json: boolean): ((done: number, total: number) => void) | undefined {
  if (json) return undefined;
  const report = progressReporter({ stream: io.stderr });
  return (done, total) => report('embedded', done, total);
}

export const command: Command = {
  name: 'gallery',
  summary: 'build, update and search gallery stores (ANN over ITC vectors, ITM re-rank from compact tokens)',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    const { values, positionals } = parseCommandArgs(
      rest,
      {
        config: { type: 'string' },
        weights: { type: 'string' },
        adapter: { type: 'string' },
        tokens: { type: 'string' },
        kind: { type: 'string' },
        frames: { type: 'string' },
        index: { type: 'boolean' },
        upsert: { type: 'boolean' },
        type: { type: 'string' },
        text: { type: 'string', multiple: true },
        image: { type: 'string', multiple: true },
        k: { type: 'string' },
        rerank: { type: 'string' },
        'text-padding': { type: 'string' },
        where: { type: 'string' },
        exact: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      usage
    );
    const [dir, ...args] = positionals;
    if (!sub || !dir) throw new UniAdapterError('ERR_ARG', `usage: ${usage}`);
    const json = !!values.json;
    switch (sub) {
      case 'build':
      case 'add': {
        await using session = await openSession(values);
        const model = session.modelFor('retrieval');
        const kind = ((values.kind as string | undefined) ?? 'image') as (typeof KINDS)[number];
        if (!KINDS.includes(kind)) throw new UniAdapterError('ERR_ARG', `--kind must be one of ${KINDS.join(', ')}, got '${kind}'`);
        if (kind === 'text' && values.tokens !== undefined) throw new UniAdapterError('ERR_ARG', '--tokens is for media stores; a text store keeps token ids');
        const store =
          sub === 'build'
            ? await createStoreFor(model, dir, {
                kind,
                frames: intOption(values.frames as string | undefined, 'frames'),
                tokens: kind === 'text' ? undefined : checkTokenStorage((values.tokens as string | undefined) ?? 'bf16'),
              })
            : await GalleryStore.open(dir, { write: true, fingerprint: await storeFingerprint(model) });
        try {
          const m = store.manifest;
          let added: number;
          if (m.kind === 'text') {
            const items = await textItems(args);
            await ingestTexts(model, store, items, { tokenizer: session.tokenizer, upsert: !!values.upsert, onProgress: progress(io, json) });
            added = items.length;
          } else {
            const files = await mediaPaths(args, m.kind);
            await ingestMedia(model, store, files.map((f) => ({ media: f })), { upsert: !!values.upsert, onProgress: progress(io, json) });
            added = files.length;
          }
          if (values.index) await store.createIndex();
          const info = await store.info();
          const perItem = m.kind === 'text' ? info.bytes.table : info.bytes.tokens;
          if (json) writeJson(io, { store: dir, added, items: info.items, indexed: info.indexed, bytes: info.bytes });
          else io.stdout.write(`${dir}: ${added} items ${sub === 'build' ? 'embedded' : 'added'}, ${info.items} in the store (${(perItem / info.items / 1e6).toFixed(3)} MB of ${m.kind === 'text' ? 'table' : 'tokens'} per item)\n`);
        } finally {
          await store.close();
        }
        return 0;
      }
      case 'remove': {
        const store = await GalleryStore.open(dir, { write: true });
        try {
          const n = await store.remove(args);
          if (json) writeJson(io, { removed: n });
          else io.stdout.write(`${dir}: removed ${n} of ${args.length} ids\n`);
        } finally {
          await store.close();
        }
        return 0;
      }
      case 'index': {
        const store = await GalleryStore.open(dir, { write: true });
        try {
          await store.createIndex({ type: values.type as 'ivf-flat' | 'ivf-pq' | undefined });
        } finally {
          await store.close();
        }
        if (!json) io.stdout.write(`${dir}: ANN index built\n`);
        return 0;
      }
      case 'info': {
        const store = await GalleryStore.open(dir);
        try {
          const info = await store.info();
          if (json) writeJson(io, info);
          else {
            const m = info.manifest;
            const inputs = m.kind === 'text' ? `token ids of ${m.textLength}` : `tokens ${m.tokens} [${m.frames}, ${m.tokensPerFrame}, ${m.width}]`;
            io.stdout.write(
              `${dir}: ${info.items} ${m.kind}s, ITC ${m.embedDim}-d, ${inputs}, ` +
                `${info.indexed ? 'ANN index' : 'exact search (no index)'}, table ${(info.bytes.table / 1e6).toFixed(1)} MB, tokens ${(info.bytes.tokens / 1e6).toFixed(1)} MB\n`
            );
          }
        } finally {
          await store.close();
        }
        return 0;
      }
      case 'search': {
        const texts = (values.text as string[] | undefined) ?? [];
        const images = (values.image as string[] | undefined) ?? [];
        if ((texts.length === 0) === (images.length === 0)) throw new UniAdapterError('ERR_ARG', `give --text or --image (one kind of query)\nusage: ${usage}`);
        await using session = await openSession(values);
        const model = session.modelFor('retrieval');
        const store = await GalleryStore.open(dir, { fingerprint: await storeFingerprint(model) });
        try {
          const common = {
            k: intOption(values.k as string | undefined, 'k'),
            rerank: intOption(values.rerank as string | undefined, 'rerank'),
            where: values.where as string | undefined,
            exact: !!values.exact,
          };
          const queries = texts.length ? texts : images;
          const results: StoreResult[][] = texts.length
            ? await searchStoreByText(model, store, texts, { tokenizer: session.tokenizer, ...common, textPadding: values['text-padding'] as TextPadding | undefined })
            : await searchStoreByImage(model, store, images, common);
          if (json) writeJson(io, queries.length === 1 ? results[0] : results);
          else
            results.forEach((list, q) => {
              io.stdout.write(`${queries[q]}\n`);
              list.forEach((r, i) =>
                io.stdout.write(`  ${String(i + 1).padStart(2)}. ${r.id}  score ${r.score.toFixed(3)}  itc ${r.itc.toFixed(3)}${r.itm !== undefined ? `  itm ${r.itm.toFixed(3)}` : ''}${r.text !== undefined ? `  ${r.text}` : ''}\n`)
              );
            });
        } finally {
          await store.close();
        }
        return 0;
      }
      default:
        throw new UniAdapterError('ERR_ARG', `unknown gallery command '${sub}'\nusage: ${usage}`);
    }
  },
};
