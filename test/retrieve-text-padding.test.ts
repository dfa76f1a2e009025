/**
 * Text queries padded to the call's longest query (textPadding 'longest') rank and score as the
 * official padding to 35 does, over an in-memory gallery and a store alike, with the text encoder run
 * on the narrower width; a bad value is a coded error, in the API and in the serve configuration.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Gallery } from '../lib/inference/gallery';
import { retrieveByText, type RetrievedItem } from '../lib/inference/retrieve';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { checkServeConfig } from '../lib/serve/serve-config';
import { createStoreFor, ingestMedia } from '../lib/store/store-ingest';
import { searchStoreByText, type StoreResult } from '../lib/store/store-search';
import { BlipTokenizer } from '../lib/text/tokenizer';
import { encodePng } from '../lib/tools/synthetic/png';
import { UniAdapterError } from '../lib/errors';
import { expectUniAdapterError } from './helpers/expect-error';
import { tinyConfig } from './helpers/tiny-models';

jest.setTimeout(120_000);

const tok = BlipTokenizer.bertBaseUncased();
const queries = ['a red square on the left', 'two blue circles', 'a small yellow star in the top right corner of the image'];
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-querypad-'));
let model: RetrievalModel;
let images: Uint8Array[];
const widths: number[] = [];

beforeAll(async () => {
  model = await RetrievalModel.create(tinyConfig('retrieval'));
  let s = 11;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  images = await Promise.all(Array.from({ length: 10 }, () => encodePng(Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.floor(rnd() * 256)), 32, 32)));
  const real = model.encodeTexts.bind(model);
  model.encodeTexts = async (ids, mask) => {
    widths.push(ids.shape[1]);
    return real(ids, mask);
  };
});
afterAll(async () => {
  await model.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

/** The largest score difference between two result lists that must name the same items in the same order. */
function worstDifference(a: Array<RetrievedItem[] | StoreResult[]>, b: Array<RetrievedItem[] | StoreResult[]>): number {
  let worst = 0;
  a.forEach((list, q) => {
    expect(b[q].map((r) => r.id)).toEqual(list.map((r) => r.id));
    list.forEach((r, i) => (worst = Math.max(worst, Math.abs(r.score - b[q][i].score), Math.abs(r.itc - b[q][i].itc))));
  });
  return worst;
}

const longestQuery = () => Math.max(...queries.map((q) => tok.encodeBatch([q], { padding: 'longest' }).inputIds[0].length));

it('ranks an in-memory gallery as padding to 35 does, encoding the queries at their longest width', async () => {
  const gallery = await Gallery.build(model, images);
  widths.length = 0;
  const full = await retrieveByText(model, gallery, queries, { tokenizer: tok, k: 5, rerank: 8 });
  const longest = await retrieveByText(model, gallery, queries, { tokenizer: tok, k: 5, rerank: 8, textPadding: 'longest' });
  expect(widths).toEqual([35, longestQuery()]);
  expect(longestQuery()).toBeLessThan(35);
  expect(worstDifference(full, longest)).toBeLessThan(1e-4);
});

it('ranks a store as padding to 35 does', async () => {
  const store = await createStoreFor(model, path.join(root, 'store'), { tokens: 'fp32' });
  try {
    await ingestMedia(model, store, images.map((m, i) => ({ id: `img-${i}`, media: m })));
    widths.length = 0;
    const full = await searchStoreByText(model, store, queries, { tokenizer: tok, k: 5, rerank: 8, exact: true });
    const longest = await searchStoreByText(model, store, queries, { tokenizer: tok, k: 5, rerank: 8, exact: true, textPadding: 'longest' });
    expect(widths).toEqual([35, longestQuery()]);
    expect(worstDifference(full, longest)).toBeLessThan(1e-4);
    await expectUniAdapterError(
      searchStoreByText(model, store, queries, { tokenizer: tok, textPadding: 'shortest' as never }),
      'ERR_ARG',
      'textPadding',
      "'shortest'"
    );
  } finally {
    await store.close();
  }
});

it('rejects an unknown padding before any work, in the API and in the serve configuration', async () => {
  const gallery = await Gallery.build(model, images.slice(0, 2));
  widths.length = 0;
  await expectUniAdapterError(retrieveByText(model, gallery, [], { tokenizer: tok, textPadding: 'max_length' as never }), 'ERR_ARG', 'textPadding', 'longest');
  expect(widths).toEqual([]);
  const config = (textPadding: unknown) => checkServeConfig({ models: { caption: { config: 'caption.json' } }, textPadding }, root);
  expect(config('longest').textPadding).toBe('longest');
  expect(config(undefined).textPadding).toBeUndefined();
  let error: unknown;
  try {
    config('none');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(UniAdapterError);
  expect((error as UniAdapterError).code).toBe('ERR_CONFIG');
  expect((error as Error).message).toMatch(/textPadding.*'none'/);
});
