/**
 * What does the frozen ViT encode? A linear probe: softmax regression on the ViT's [CLS] output (or all
 * its tokens) of single-object training images of a synthetic split, predicting the object's shape, its
 * color and its grid cell, scored on held-out images of the same split (the last quarter). Chance is
 * 1/6 for shape, 1/7 for color and 1/9 for the cell. Unlike the ITM probe (backbone-attribute-probe.ts) it asks the image side alone.
 *
 *   npx tsx scripts/backbone-linear-probe.ts <split folder> [--weights backbone.safetensors [--image-size N --patch-size N]] [--features cls|tokens]
 *
 * The split folder is one `uniadapter synth` or `uniadapter pretrain` wrote (images/ and
 * annotations/retrieval_train.json); the embedded backbone is probed unless --weights names another.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { pixelsOf } from '../lib/data/media/media-input';
import type { RetrievalModel } from '../lib/model/retrieval-model';
import { setThreads } from '../lib/native/runtime-info';
import { ModelSession } from '../lib/session/model-session';
import { BlipTokenizer } from '../lib/text/tokenizer';
import { BACKBONE_OPTIONS, probedBackbone } from './probed-backbone';
import { LOCATION_PHRASES } from '../lib/tools/synthetic/phrases';
import { COLORS, SHAPES } from '../lib/tools/synthetic/vocab';

const EPOCHS = 150;
const LR = 0.01;
const WEIGHT_DECAY = 1e-3;

/** The ViT outputs of each image: its [CLS] vector, or all token vectors end to end. */
async function features(model: RetrievalModel, files: string[], size: number, which: 'cls' | 'tokens'): Promise<Float64Array[]> {
  const out: Float64Array[] = [];
  for (let i = 0; i < files.length; i += 64) {
    const { tokens } = await model.encodeImages(await pixelsOf(files.slice(i, i + 64), size), { tokens: true });
    const [n, , count, width] = tokens!.shape;
    const data = tokens!.data as Float32Array;
    const length = which === 'cls' ? width : count * width;
    for (let k = 0; k < n; k++) out.push(Float64Array.from(data.subarray(k * count * width, k * count * width + length)));
  }
  return out;
}

/** Full-batch softmax regression (Adam) on standardised features; accuracy on the training and held-out rows. */
function probe(train: Float64Array[], trainY: number[], test: Float64Array[], testY: number[], classes: number): { train: number; heldOut: number } {
  const d = train[0].length;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (const x of train) for (let j = 0; j < d; j++) mean[j] += x[j] / train.length;
  for (const x of train) for (let j = 0; j < d; j++) std[j] += (x[j] - mean[j]) ** 2 / train.length;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]) + 1e-6;
  const standard = (x: Float64Array) => x.map((v, j) => (v - mean[j]) / std[j]);
  const xs = train.map(standard);
  const w = new Float64Array(classes * d);
  const b = new Float64Array(classes);
  const m = new Float64Array(classes * d);
  const v = new Float64Array(classes * d);
  const logits = (x: Float64Array) =>
    Array.from({ length: classes }, (_, c) => {
      let s = b[c];
      for (let j = 0; j < d; j++) s += w[c * d + j] * x[j];
      return s;
    });
  for (let t = 1; t <= EPOCHS; t++) {
    const g = new Float64Array(classes * d);
    const gb = new Float64Array(classes);
    xs.forEach((x, i) => {
      const z = logits(x);
      const top = Math.max(...z);
      const e = z.map((s) => Math.exp(s - top));
      const sum = e.reduce((a, s) => a + s, 0);
      for (let c = 0; c < classes; c++) {
        const err = e[c] / sum - (c === trainY[i] ? 1 : 0);
        gb[c] += err / xs.length;
        for (let j = 0; j < d; j++) g[c * d + j] += (err * x[j]) / xs.length;
      }
    });
    for (let k = 0; k < w.length; k++) {
      const gk = g[k] + WEIGHT_DECAY * w[k];
      m[k] = 0.9 * m[k] + 0.1 * gk;
      v[k] = 0.999 * v[k] + 0.001 * gk * gk;
      w[k] -= (LR * m[k]) / (1 - 0.9 ** t) / (Math.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8);
    }
    for (let c = 0; c < classes; c++) b[c] -= LR * gb[c];
  }
  const accuracy = (rows: Float64Array[], ys: number[]) =>
    rows.filter((x, i) => {
      const z = logits(x);
      return z.indexOf(Math.max(...z)) === ys[i];
    }).length / rows.length;
  return { train: accuracy(xs, trainY), heldOut: accuracy(test.map(standard), testY) };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { features: { type: 'string' }, ...BACKBONE_OPTIONS } });
  const split = positionals[0];
  const which = (values.features ?? 'cls') as 'cls' | 'tokens';
  if (!split || (which !== 'cls' && which !== 'tokens')) throw new Error('usage: backbone-linear-probe.ts <split folder> [--weights file] [--features cls|tokens]');
  await setThreads(1);
  const records = JSON.parse(fs.readFileSync(path.join(split, 'annotations', 'retrieval_train.json'), 'utf8')) as Array<{ image: string; caption: string }>;
  // An image's first caption is its canonical one; one shape word and no "and" means one object.
  const canonical = new Map<string, string>();
  for (const r of records) if (!canonical.has(r.image)) canonical.set(r.image, r.caption);
  const named = (words: readonly string[], caption: string) => words.filter((w) => new RegExp(`\\b${w}\\b`).test(caption));
  const items = [...canonical].filter(([, c]) => named(SHAPES, c).length === 1 && !/ and /.test(c));
  const cut = Math.floor(items.length * 0.75);
  const { config, weights, imageSize } = await probedBackbone(values);
  await using session = await ModelSession.open({ config, weights, tokenizer: BlipTokenizer.bertBaseUncased() });
  const x = await features(session.modelFor('retrieval'), items.map(([f]) => path.join(split, 'images', f)), imageSize, which);
  const result: Record<string, { train: number; heldOut: number; chance: number }> = {};
  // A canonical caption words each cell with its first phrase ("in the top left corner").
  const cells = Object.values(LOCATION_PHRASES).map((p) => p[0]);
  const attributes: Array<[string, readonly string[]]> = [['shape', SHAPES], ['color', COLORS], ['cell', cells]];
  for (const [name, words] of attributes) {
    const y = items.map(([, c]) => words.findIndex((w) => c.endsWith(` ${w}`) || (name !== 'cell' && named([w], c).length > 0)));
    const missing = y.findIndex((k) => k < 0);
    if (missing >= 0) throw new Error(`cannot read the ${name} of ${items[missing][0]} from its caption "${items[missing][1]}"`);
    result[name] = { ...probe(x.slice(0, cut), y.slice(0, cut), x.slice(cut), y.slice(cut), words.length), chance: 1 / words.length };
  }
  console.log(JSON.stringify({ weights, features: which, trainImages: cut, heldOutImages: items.length - cut, result }, null, 1));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
