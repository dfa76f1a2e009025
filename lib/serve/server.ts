/**
 * The HTTP server (fastify) over a Service: versioned JSON endpoints, health and readiness, Prometheus
 * metrics, an OpenAPI description generated from the same route table that validates the requests,
 * and the search page. The server makes no outbound requests: images arrive as base64 in the JSON body.
 */
import { timingSafeEqual } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { imageHeader } from '../data/media/image';
import { UniAdapterError } from '../errors';
import { PACKAGE_ROOT } from '../native/addon';
import { httpError } from './http-errors';
import type { ServeConfig } from './serve-config';
import type { Service } from './service';

const PAGE_DIR = path.join(PACKAGE_ROOT, 'lib', 'serve', 'page');
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Image bytes from a base64 string (a data: URL prefix is allowed). */
function imageBytes(field: string, s: unknown): Uint8Array {
  if (typeof s !== 'string' || s.length === 0) throw new UniAdapterError('ERR_ARG', `${field} must be a base64 string of the encoded image`);
  const body = s.startsWith('data:') ? s.slice(s.indexOf(',') + 1) : s;
  const clean = body.replace(/\s+/g, '');
  if (clean.length % 4 === 1 || !BASE64.test(clean)) throw new UniAdapterError('ERR_ARG', `${field} is not valid base64`);
  return Buffer.from(clean, 'base64');
}

/**
 * A multipart/form-data request as the JSON body the route's schema validates: the file part `image`
 * becomes its base64 text, other parts are fields (integers and booleans parsed where the schema says
 * so; an array field may repeat).
 */
async function multipartBody(req: FastifyRequest, schema: Record<string, unknown>): Promise<Record<string, unknown>> {
  const props = (schema.properties ?? {}) as Record<string, { type?: string }>;
  const out: Record<string, unknown> = {};
  for await (const part of req.parts()) {
    if (part.type === 'file') {
      if (part.fieldname !== 'image' || !props.image) throw new UniAdapterError('ERR_ARG', `unexpected file field '${part.fieldname}' (the image goes in a file field named 'image')`);
      out.image = (await part.toBuffer()).toString('base64');
      continue;
    }
    const name = part.fieldname;
    const value = String(part.value);
    const type = props[name]?.type;
    if (type === 'integer' && /^-?\d+$/.test(value)) out[name] = Number(value);
    else if (type === 'boolean' && (value === 'true' || value === 'false')) out[name] = value === 'true';
    else if (type === 'array') out[name] = [...((out[name] as string[] | undefined) ?? []), value];
    else out[name] = value;
  }
  return out;
}

interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  summary: string;
  write?: boolean;
  body?: Record<string, unknown>;
  handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

const int = (max: number) => ({ type: 'integer', minimum: 0, maximum: max });
const str = { type: 'string' };
const metadataSchema = { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } };

function routes(get: () => Service, config: ServeConfig): Route[] {
  const maxK = config.limits.maxK;
  const body = (req: FastifyRequest) => req.body as Record<string, unknown>;
  const name = (req: FastifyRequest) => (req.params as { name: string }).name;
  return [
    {
      method: 'POST',
      url: '/v1/retrieve',
      summary: 'Text → items of a gallery: ITC shortlist (ANN or exact, filtered by where), ITM re-rank',
      body: { type: 'object', required: ['gallery', 'text'], additionalProperties: false, properties: { gallery: str, text: str, k: int(maxK), rerank: int(maxK), where: str, exact: { type: 'boolean' } } },
      handler: async (req) => ({ results: await get().retrieve(body(req) as never) }),
    },
    {
      method: 'POST',
      url: '/v1/retrieve/by-image',
      summary: 'Image → texts of a text gallery (ITM re-ranked), or → items of a media gallery (ITC)',
      body: { type: 'object', required: ['gallery', 'image'], additionalProperties: false, properties: { gallery: str, image: str, k: int(maxK), rerank: int(maxK), where: str, exact: { type: 'boolean' } } },
      handler: async (req) => {
        const b = body(req);
        return { results: await get().retrieveByImage({ ...(b as Record<string, unknown>), image: imageBytes('image', b.image) } as never) };
      },
    },
    {
      method: 'POST',
      url: '/v1/answer',
      summary: 'Visual question answering: rank the given answers (or the configured list), or generate',
      body: { type: 'object', required: ['image', 'question'], additionalProperties: false, properties: { image: str, question: str, answers: { type: 'array', items: str, minItems: 1, maxItems: 10000 } } },
      handler: async (req) => {
        const b = body(req);
        return get().answer({ image: imageBytes('image', b.image), question: b.question as string, answers: b.answers as string[] | undefined });
      },
    },
    {
      method: 'POST',
      url: '/v1/caption',
      summary: 'Captioning by beam search',
      body: { type: 'object', required: ['image'], additionalProperties: false, properties: { image: str, numBeams: int(10), maxLength: int(100), minLength: int(100) } },
      handler: async (req) => {
        const b = body(req);
        return get().caption({ image: imageBytes('image', b.image), numBeams: b.numBeams as number | undefined, maxLength: b.maxLength as number | undefined, minLength: b.minLength as number | undefined });
      },
    },
    {
      method: 'GET',
      url: '/v1/galleries/:name',
      summary: 'A gallery: kind, items, token storage, index, bytes on disk',
      handler: async (req) => {
        const info = await get().galleryInfo(name(req));
        return { name: name(req), kind: info.manifest.kind, items: info.items, tokens: info.manifest.tokens, indexed: info.indexed, metadata: info.manifest.metadata, bytes: info.bytes };
      },
    },
    {
      method: 'POST',
      url: '/v1/galleries/:name/items',
      summary: 'Add (or with upsert, replace) items: {id, image (base64)} for media galleries, {id, text} for text galleries',
      write: true,
      body: {
        type: 'object',
        required: ['items'],
        additionalProperties: false,
        properties: {
          upsert: { type: 'boolean' },
          items: { type: 'array', minItems: 1, maxItems: 256, items: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: str, image: str, text: str, metadata: metadataSchema } } },
        },
      },
      handler: async (req, reply) => {
        const b = body(req);
        const items = (b.items as Array<Record<string, unknown>>).map((it) => ({
          id: it.id as string,
          image: it.image !== undefined ? imageBytes(`item '${String(it.id)}': image`, it.image) : undefined,
          text: it.text as string | undefined,
          metadata: it.metadata as never,
        }));
        const r = await get().addItems(name(req), items, { upsert: !!b.upsert });
        reply.code(201);
        return r;
      },
    },
    {
      method: 'DELETE',
      url: '/v1/galleries/:name/items/:id',
      summary: 'Remove an item by id',
      write: true,
      handler: async (req) => get().removeItem(name(req), (req.params as { id: string }).id),
    },
    {
      method: 'GET',
      url: '/v1/galleries/:name/items/:id/media',
      summary: 'The stored media of an item (thumbnails on the search page)',
      handler: async (req, reply) => {
        const file = await get().mediaFile(name(req), (req.params as { id: string }).id);
        const bytes = await fsp.readFile(file).catch(() => {
          throw new UniAdapterError('ERR_NOT_FOUND', 'the item\'s media file is no longer there');
        });
        const h = await imageHeader(bytes).catch(() => undefined);
        reply.header('content-type', h ? `image/${h.format}` : 'application/octet-stream').header('cache-control', 'max-age=3600');
        return bytes;
      },
    },
  ];
}

export interface ServerOptions {
  config: ServeConfig;
  /** Loads the service; the server answers /healthz at once and everything else once this resolves. */
  load: (observer: { batch(operation: string, size: number, seconds: number): void }) => Promise<Service>;
  log?: (line: string) => void;
}

export interface RunningServer {
  app: FastifyInstance;
  /** Resolves once the models are loaded (rejects if loading failed). */
  ready: Promise<Service>;
  /** Stops accepting connections, finishes in-flight requests, closes the service. */
  close(): Promise<void>;
}

function bearerOk(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Builds the fastify app and starts loading the service (call `app.listen` to serve). */
export function buildServer(options: ServerOptions): RunningServer {
  const { config } = options;
  const log = options.log ?? (() => {});
  const app = Fastify({
    bodyLimit: config.limits.bodyBytes,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Fastify's defaults would coerce types and drop unknown fields; a wrong request is an error here.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allowUnionTypes: true } },
  });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: 'uniadapter_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] });
  const latency = new Histogram({ name: 'uniadapter_http_request_seconds', help: 'HTTP request latency by route', labelNames: ['route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] });
  const batchSize = new Histogram({ name: 'uniadapter_batch_size', help: 'Requests merged into one native call, by operation', labelNames: ['operation'], buckets: [1, 2, 4, 8, 16, 32, 64], registers: [registry] });
  const nativeSeconds = new Histogram({ name: 'uniadapter_batch_seconds', help: 'Time of one batched call (native work and its I/O), by operation', labelNames: ['operation'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] });
  let service: Service | undefined;
  let loadError: unknown;
  new Gauge({
    name: 'uniadapter_queue_depth',
    help: 'Requests waiting for a batch, by operation',
    labelNames: ['operation'],
    registers: [registry],
    collect() {
      for (const [op, n] of Object.entries(service?.queueDepth() ?? {})) this.set({ operation: op }, n);
    },
  });
  const ready = options.load({
    batch: (op, n, s) => {
      batchSize.observe({ operation: op }, n);
      nativeSeconds.observe({ operation: op }, s);
    },
  });
  ready.then(
    (s) => {
      service = s;
      log(`ready: ${s.tasks.join(', ')}; galleries: ${s.galleries.join(', ') || 'none'}`);
    },
    (e) => {
      loadError = e;
      log(`loading failed: ${(e as Error).message}`);
    }
  );
  const get = (): Service => {
    if (service) return service;
    if (loadError) throw new UniAdapterError('ERR_STATE', 'the models failed to load (see the server log)');
    throw new UniAdapterError('ERR_BUSY', 'the models are still loading; retry shortly');
  };

  app.setErrorHandler((e, req, reply) => {
    const h = httpError(e);
    if (h.status >= 500 && h.body.code !== 'ERR_BUSY' && h.body.code !== 'ERR_TIMEOUT') log(`${req.method} ${req.url}: ${(e as Error)?.stack ?? String(e)}`);
    if (h.status === 503) reply.header('retry-after', '1');
    reply.code(h.status).send(h.body);
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ code: 'ERR_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ route, status: String(reply.statusCode) });
    latency.observe({ route }, reply.elapsedTime / 1000);
  });

  void app.register(multipart, { limits: { fileSize: config.limits.bodyBytes, files: 1, fields: 32, fieldSize: 1_000_000 } });
  const table = routes(get, config);
  for (const r of table) {
    const takesUpload = !!(r.body?.properties as Record<string, unknown> | undefined)?.image;
    app.route({
      method: r.method,
      url: r.url,
      schema: r.body ? { body: r.body } : undefined,
      preValidation: async (req) => {
        if (!req.isMultipart()) return;
        if (!takesUpload) throw new UniAdapterError('ERR_UNSUPPORTED', `${r.url} takes a JSON body`);
        req.body = await multipartBody(req, r.body as Record<string, unknown>);
      },
      preHandler: async (req) => {
        if (config.token && (r.write || config.protectReads) && !bearerOk(req.headers.authorization, config.token)) {
          throw new UniAdapterError('ERR_AUTH', 'this endpoint needs Authorization: Bearer <token>');
        }
      },
      handler: r.handler,
    });
  }
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (service) return { status: 'ready', tasks: service.tasks, galleries: service.galleries };
    reply.code(503).header('retry-after', '1');
    return { status: loadError ? 'failed' : 'loading' };
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  app.get('/openapi.json', async () => openApi(table, config));
  app.get('/', async (_req, reply) => reply.header('content-type', 'text/html; charset=utf-8').send(await fsp.readFile(path.join(PAGE_DIR, 'index.html'))));
  app.get('/app.js', async (_req, reply) => reply.header('content-type', 'text/javascript; charset=utf-8').send(await fsp.readFile(path.join(PAGE_DIR, 'app.js'))));

  return {
    app,
    ready,
    close: async () => {
      await app.close();
      const s = await ready.catch(() => undefined);
      await s?.close();
    },
  };
}

function openApi(table: readonly Route[], config: ServeConfig): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const error = { description: 'error', content: { 'application/json': { schema: { type: 'object', properties: { code: str, message: str } } } } };
  for (const r of table) {
    const url = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const params = [...r.url.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: str }));
    paths[url] ??= {};
    paths[url][r.method.toLowerCase()] = {
      summary: r.summary,
      ...(params.length ? { parameters: params } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
      ...(r.write && config.token ? { security: [{ bearer: [] }] } : {}),
      responses: { 200: { description: 'ok' }, 400: error, 401: error, 404: error, 413: error, 503: error, 504: error },
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'uniadapter', version: '1' },
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
}
