/**
 * `uniadapter serve` over real HTTP on 127.0.0.1 with tiny models: concurrent requests give the
 * sequential results (and are batched), overload gives 503 with Retry-After and the server recovers,
 * bad inputs give 4xx with stable codes and the server keeps serving, writes need the bearer token, and
 * SIGTERM under a write load exits 0 with every acknowledged write in the store.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { deflateSync } from 'zlib';
import { answerQuestions } from '../lib/inference/answer';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { VqaModel } from '../lib/model/vqa-model';
import { readServeConfig } from '../lib/serve/serve-config';
import { buildServer, type RunningServer } from '../lib/serve/server';
import { createService } from '../lib/serve/service';
import { GalleryStore } from '../lib/store/gallery-store';
import { createStoreFor, ingestMedia, ingestTexts } from '../lib/store/store-ingest';
import { BlipTokenizer } from '../lib/text/tokenizer';
import { encodePng } from '../lib/tools/synthetic/png';
import { tinyConfig } from './helpers/tiny-models';

jest.setTimeout(300_000);

const TOKEN = 'test-token-0123456789';
const CLI = path.join(__dirname, '..', 'lib', 'cli.ts');

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

async function randomPng(rnd: () => number, size = 32): Promise<Uint8Array> {
  return encodePng(Uint8Array.from({ length: size * size * 3 }, () => Math.floor(rnd() * 256)), size, size);
}

/** A decompression bomb: a PNG of a few hundred bytes whose header claims width × height. */
function pngHeader(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const zeros = deflateSync(Buffer.alloc(100_000)); // the start of an all-black image
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zeros), chunk('IEND', Buffer.alloc(0))]);
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

async function post(base: string, url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const r = await fetch(base + url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: r.status, json, headers: r.headers };
}

/** A folder with tiny model configs, a media store and a text store, and serve.yaml naming them. */
async function makeSetup(root: string, extra: Record<string, unknown> = {}): Promise<{ configFile: string; images: string[] }> {
  for (const task of ['retrieval', 'vqa', 'caption'] as const) fs.writeFileSync(path.join(root, `${task}.json`), JSON.stringify(tinyConfig(task)));
  const rnd = lcg(11);
  const images: string[] = [];
  fs.mkdirSync(path.join(root, 'images'));
  for (let i = 0; i < 12; i++) {
    const f = path.join(root, 'images', `img${i}.png`);
    fs.writeFileSync(f, await randomPng(rnd));
    images.push(f);
  }
  const model = await RetrievalModel.create(tinyConfig('retrieval'));
  try {
    const store = await createStoreFor(model, path.join(root, 'demo-store'), { metadata: { n: 'number' } });
    await ingestMedia(model, store, images.map((f, i) => ({ id: `img${i}`, media: f, metadata: { n: i } })));
    await store.close();
    const texts = await createStoreFor(model, path.join(root, 'text-store'), { kind: 'text' });
    await ingestTexts(model, texts, ['a red square', 'two blue circles', 'a green star', 'a yellow ring', 'three black dots'].map((text, i) => ({ id: `t${i}`, text })), { tokenizer: BlipTokenizer.bertBaseUncased() });
    await texts.close();
  } finally {
    await model.dispose();
  }
  const configFile = path.join(root, 'serve.yaml');
  fs.writeFileSync(
    configFile,
    YAML.stringify({
      models: { retrieval: { config: 'retrieval.json' }, vqa: { config: 'vqa.json' }, caption: { config: 'caption.json' } },
      galleries: { demo: 'demo-store', captions: 'text-store' },
      batching: { maxBatch: 16, maxDelayMs: 5, maxQueue: 512 },
      limits: { bodyBytes: 2_000_000, pixels: 4_000_000, timeoutMs: 120_000 },
      token: TOKEN,
      ...extra,
    })
  );
  return { configFile, images };
}

async function start(configFile: string): Promise<{ server: RunningServer; base: string }> {
  const config = await readServeConfig(configFile);
  const server = buildServer({ config, load: (observer) => createService(config, { observer }) });
  const address = await server.app.listen({ host: '127.0.0.1', port: 0 });
  await server.ready;
  return { server, base: address };
}

describe('uniadapter serve over HTTP', () => {
  let root: string;
  let setup: { configFile: string; images: string[] };
  let server: RunningServer;
  let base: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ua-serve-'));
    setup = await makeSetup(root);
    ({ server, base } = await start(setup.configFile));
  });
  afterAll(async () => {
    await server?.close();
  });

  test('200 concurrent retrieve requests give the sequential results, merged into batches', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `a ${['red', 'blue', 'green', 'small', 'large'][i % 5]} ${['square', 'circle', 'star', 'ring'][i % 4]} ${i}`);
    const sequential: any[] = [];
    for (const text of texts) sequential.push((await post(base, '/v1/retrieve', { gallery: 'demo', text, k: 5, rerank: 8 })).json.results);
    const concurrent = await Promise.all(Array.from({ length: 200 }, (_, i) => post(base, '/v1/retrieve', { gallery: 'demo', text: texts[i % 20], k: 5, rerank: 8 })));
    concurrent.forEach((r, i) => {
      expect(r.status).toBe(200);
      const want = sequential[i % 20];
      expect(r.json.results.map((x: { id: string }) => x.id)).toEqual(want.map((x: { id: string }) => x.id));
      r.json.results.forEach((x: { score: number; itm: number }, j: number) => expect(x.score).toBeCloseTo(want[j].score, 4));
      for (const x of r.json.results) expect(Object.keys(x).sort()).toEqual(['id', 'itc', 'itm', 'metadata', 'score']);
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const count = Number(/uniadapter_batch_size_count\{operation="retrieve"\} (\d+)/.exec(metrics)?.[1]);
    const sum = Number(/uniadapter_batch_size_sum\{operation="retrieve"\} (\d+)/.exec(metrics)?.[1]);
    expect(sum).toBe(220);
    expect(count).toBeLessThan(120); // 200 concurrent requests ran in far fewer native calls
    expect(metrics).toMatch(/uniadapter_http_request_seconds_bucket\{le="[^"]+",route="\/v1\/retrieve"\}/);
    expect(metrics).toMatch(/uniadapter_queue_depth\{operation="caption"\} 0/);
    expect(metrics).toMatch(/process_resident_memory_bytes/);
  });

  test('caption, answer and image → texts under concurrency match their sequential answers', async () => {
    const imgs = setup.images.slice(0, 6).map((f) => b64(fs.readFileSync(f)));
    const seqCaptions: any[] = [];
    for (const image of imgs) seqCaptions.push((await post(base, '/v1/caption', { image, maxLength: 8, minLength: 2 })).json);
    const conCaptions = await Promise.all(imgs.map((image) => post(base, '/v1/caption', { image, maxLength: 8, minLength: 2 })));
    conCaptions.forEach((r, i) => expect([r.status, r.json]).toEqual([200, seqCaptions[i]]));
    expect(typeof seqCaptions[0].caption).toBe('string');

    const answers = ['red', 'blue', 'two', 'yes', 'no'];
    const seqAnswers: any[] = [];
    for (const image of imgs) seqAnswers.push((await post(base, '/v1/answer', { image, question: 'what colour is it?', answers })).json);
    const conAnswers = await Promise.all(imgs.map((image) => post(base, '/v1/answer', { image, question: 'what colour is it?', answers })));
    conAnswers.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.json.answer).toBe(seqAnswers[i].answer);
      expect(answers).toContain(r.json.answer);
    });
    const generated = await post(base, '/v1/answer', { image: imgs[0], question: 'what is this?' });
    expect(generated.status).toBe(200);
    expect(typeof generated.json.answer).toBe('string');

    // The same image as a multipart upload gives the same caption and answer.
    const form = (fields: Record<string, string | string[]>) => {
      const f = new FormData();
      f.append('image', new Blob([fs.readFileSync(setup.images[0])], { type: 'image/png' }), 'img0.png');
      for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) f.append(k, x);
      return f;
    };
    const upCaption = await fetch(`${base}/v1/caption`, { method: 'POST', body: form({ maxLength: '8', minLength: '2' }) });
    expect([upCaption.status, await upCaption.json()]).toEqual([200, seqCaptions[0]]);
    const upAnswer = await fetch(`${base}/v1/answer`, { method: 'POST', body: form({ question: 'what colour is it?', answers }) });
    expect(((await upAnswer.json()) as { answer: string }).answer).toBe(seqAnswers[0].answer);
    const wrongRoute = await fetch(`${base}/v1/retrieve`, { method: 'POST', body: form({ gallery: 'demo', text: 'x' }) });
    expect([wrongRoute.status, ((await wrongRoute.json()) as { code: string }).code]).toEqual([415, 'ERR_UNSUPPORTED']);

    const byImage = await post(base, '/v1/retrieve/by-image', { gallery: 'captions', image: imgs[0], k: 3, rerank: 5 });
    expect(byImage.status).toBe(200);
    expect(byImage.json.results).toHaveLength(3);
    for (const x of byImage.json.results) expect(typeof x.text).toBe('string');
  });

  test('bad inputs give 4xx with stable codes, and the server keeps serving', async () => {
    const image = b64(fs.readFileSync(setup.images[0]));
    const cases: Array<[string, unknown, number, string]> = [
      ['/v1/retrieve', '{"gallery": "demo", "text": ', 400, 'ERR_ARG'],
      ['/v1/retrieve', { gallery: 'demo', text: 42 }, 400, 'ERR_ARG'],
      ['/v1/retrieve', { gallery: 'demo', text: 'x', k: -3 }, 400, 'ERR_ARG'],
      ['/v1/retrieve', { gallery: 'demo', text: 'x', surprise: 1 }, 400, 'ERR_ARG'],
      ['/v1/retrieve', { gallery: 'nowhere', text: 'x' }, 404, 'ERR_NOT_FOUND'],
      ['/v1/retrieve', { gallery: '../../etc', text: 'x' }, 400, 'ERR_ARG'],
      ['/v1/retrieve', { gallery: 'demo', text: 'a\u0000b' }, 400, 'ERR_ARG'],
      ['/v1/retrieve', { gallery: 'demo', text: 'x', where: 'no_such_column = 1' }, 400, 'ERR_ARG'],
      ['/v1/retrieve', { gallery: 'demo', text: 'x'.repeat(5000) }, 413, 'ERR_TOO_LARGE'],
      ['/v1/caption', { image: b64(Buffer.from('this is not an image at all')) }, 400, 'ERR_IMAGE'],
      ['/v1/caption', { image: '%%%not base64%%%' }, 400, 'ERR_ARG'],
      ['/v1/caption', { image: b64(pngHeader(30000, 30000)) }, 413, 'ERR_TOO_LARGE'],
      ['/v1/caption', { image: b64(Buffer.from(fs.readFileSync(setup.images[0]).subarray(0, 60))) }, 400, 'ERR_IMAGE'],
      ['/v1/caption', { image, numBeams: 1000 }, 400, 'ERR_ARG'],
      ['/v1/answer', { image, question: '' }, 400, 'ERR_ARG'],
      ['/v1/caption', { image: 'A'.repeat(3_000_000) }, 413, 'ERR_TOO_LARGE'],
      ['/v1/nothing-here', {}, 404, 'ERR_NOT_FOUND'],
    ];
    for (const [url, body, status, code] of cases) {
      const r = await post(base, url, body);
      expect([url, JSON.stringify(body).slice(0, 60), r.status, r.json.code]).toEqual([url, JSON.stringify(body).slice(0, 60), status, code]);
      expect(typeof r.json.message).toBe('string');
      expect(r.json.message).not.toMatch(/\n\s+at /); // never a stack trace
    }
    const unicode = await post(base, '/v1/retrieve', { gallery: 'demo', text: 'ein Hund am Strand 🐕 — 海辺の犬', k: 2 });
    expect(unicode.status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await post(base, '/v1/retrieve', { gallery: 'demo', text: 'still serving', k: 1 })).status).toBe(200);
  });

  test('writes need the bearer token; items are added, read back, shown and removed', async () => {
    const image = b64(fs.readFileSync(setup.images[3]));
    const body = { items: [{ id: 'new-1', image, metadata: { n: 100 } }] };
    expect((await post(base, '/v1/galleries/demo/items', body)).status).toBe(401);
    expect((await post(base, '/v1/galleries/demo/items', body, { authorization: 'Bearer wrong-token-000000000' })).json.code).toBe('ERR_AUTH');
    const ok = await post(base, '/v1/galleries/demo/items', body, { authorization: `Bearer ${TOKEN}` });
    expect([ok.status, ok.json]).toEqual([201, { added: 1, items: 13 }]);
    const info: any = await (await fetch(`${base}/v1/galleries/demo`)).json();
    expect([info.kind, info.items, info.tokens]).toEqual(['image', 13, 'bf16']);
    const found = await post(base, '/v1/retrieve', { gallery: 'demo', text: 'anything', k: 13, rerank: 0, where: 'n = 100' });
    expect(found.json.results.map((r: { id: string }) => r.id)).toEqual(['new-1']);
    const media = await fetch(`${base}/v1/galleries/demo/items/new-1/media`);
    expect([media.status, media.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(Buffer.from(await media.arrayBuffer()).equals(fs.readFileSync(setup.images[3]))).toBe(true);
    expect((await fetch(`${base}/v1/galleries/demo/items/..%2F..%2Fetc%2Fpasswd/media`)).status).toBe(404);
    const del = await fetch(`${base}/v1/galleries/demo/items/new-1`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    expect([del.status, await del.json()]).toEqual([200, { removed: 1 }]);
    const text = await post(base, '/v1/galleries/captions/items', { items: [{ id: 't-new', text: 'a purple triangle' }] }, { authorization: `Bearer ${TOKEN}` });
    expect(text.status).toBe(201);
  });

  test('health, readiness, OpenAPI and the search page', async () => {
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready', tasks: ['retrieval', 'vqa', 'caption'], galleries: ['demo', 'captions'] });
    const api: any = await (await fetch(`${base}/openapi.json`)).json();
    expect(api.openapi).toBe('3.0.3');
    expect(Object.keys(api.paths)).toEqual(expect.arrayContaining(['/v1/retrieve', '/v1/retrieve/by-image', '/v1/answer', '/v1/caption', '/v1/galleries/{name}/items', '/v1/galleries/{name}/items/{id}']));
    expect(api.paths['/v1/retrieve'].post.requestBody.content['application/json'].schema.required).toEqual(['gallery', 'text']);
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<script src="/app.js">');
    expect((await fetch(`${base}/app.js`)).status).toBe(200);
  });
});

describe('overload and shutdown', () => {
  test('a full queue answers 503 with Retry-After, and the server recovers', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ua-serve-busy-'));
    const { configFile, images } = await makeSetup(root, { batching: { maxBatch: 1, maxDelayMs: 0, maxQueue: 2 } });
    const { server, base } = await start(configFile);
    try {
      const image = b64(fs.readFileSync(images[0]));
      const all = await Promise.all(Array.from({ length: 40 }, () => post(base, '/v1/caption', { image, maxLength: 10, minLength: 5 })));
      const busy = all.filter((r) => r.status === 503);
      expect(busy.length).toBeGreaterThan(0);
      expect(all.filter((r) => r.status === 200).length).toBeGreaterThan(0);
      expect(all.every((r) => r.status === 200 || r.status === 503)).toBe(true);
      for (const r of busy) expect([r.json.code, r.headers.get('retry-after')]).toEqual(['ERR_BUSY', '1']);
      expect((await post(base, '/v1/caption', { image, maxLength: 10, minLength: 5 })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  test("answerScore: log-likelihood ranks served answers as answerQuestions does with that score", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ua-serve-score-'));
    const { configFile, images } = await makeSetup(root, { answerScore: 'log-likelihood' });
    const { server, base: scored } = await start(configFile);
    try {
      const answers = ['red', 'top left', 'bottom right corner', 'yes', 'no'];
      const question = 'where is it?';
      await using model = await VqaModel.create(tinyConfig('vqa'));
      const tok = BlipTokenizer.bertBaseUncased();
      for (const file of images.slice(0, 3)) {
        const image = b64(fs.readFileSync(file));
        const got = (await post(scored, '/v1/answer', { image, question, answers })).json;
        const [want] = await answerQuestions(model, [file], [question], { tokenizer: tok, answerList: answers, score: 'log-likelihood' });
        const [official] = await answerQuestions(model, [file], [question], { tokenizer: tok, answerList: answers });
        expect(got.answer).toBe(want.answer);
        expect(got.score).toBeCloseTo(want.score, 4);
        expect(got.score).not.toBeCloseTo(official.score, 4);
      }
    } finally {
      await server.close();
    }
  });

  test('SIGTERM under a write load exits 0 and loses no acknowledged write', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ua-serve-term-'));
    const { configFile, images } = await makeSetup(root);
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', CLI, 'serve', '--config', configFile, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const base = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    for (let i = 0; i < 200 && (await fetch(`${base}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const image = b64(fs.readFileSync(images[1]));
    const acknowledged: string[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const id = `w${w}-${i}`;
        try {
          const r = await post(base, '/v1/galleries/demo/items', { items: [{ id, image }] }, { authorization: `Bearer ${TOKEN}` });
          if (r.status === 201) acknowledged.push(id);
          else if (r.status !== 503) throw new Error(`unexpected ${r.status} ${JSON.stringify(r.json)}`);
        } catch (e) {
          if ((e as Error).message.startsWith('unexpected')) throw e;
          return; // the connection was refused or closed: the server is going away
        }
      }
    };
    const writers = Array.from({ length: 4 }, (_, w) => writer(w));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    stop = true;
    await Promise.all(writers);
    expect(acknowledged.length).toBeGreaterThan(0);
    const store = await GalleryStore.open(path.join(root, 'demo-store'));
    try {
      const ids = new Set((await store.searchVector(new Float32Array(16).fill(0.25), { k: 10_000, exact: true })).map((h) => h.id));
      for (const id of acknowledged) expect(ids.has(id)).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describe('OpenBLAS idle threads in the server', () => {
  const run = (env: NodeJS.ProcessEnv) =>
    new Promise<string>((resolve, reject) => {
      const script = "require('./lib/cli/serve'); process.stdout.write(String(process.env.OPENBLAS_THREAD_TIMEOUT))";
      const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: path.join(__dirname, '..'), env, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
    });

  test('the serve command shortens their spin, and keeps a value the user set', async () => {
    const { OPENBLAS_THREAD_TIMEOUT: _, ...rest } = process.env;
    expect(await run(rest)).toBe('20');
    expect(await run({ ...rest, OPENBLAS_THREAD_TIMEOUT: '28' })).toBe('28');
  });
});
