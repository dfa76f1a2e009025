/**
 * Which attributes does a retrieval model tell apart? For each held-out image of a demo data folder, its
 * canonical caption is written once per value of one attribute (every shape, every color, every
 * background pattern), and the model's ITM re-rank must put the true caption first. Chance is one over
 * the number of values. The demo's README cites it: the shipped backbone tells colors apart but hardly
 * shapes, and it cannot know the background patterns its pretraining captions never named.
 *
 *   npx tsx scripts/backbone-attribute-probe.ts <demo-report>/data | <pretraining split> [--adapter <demo-report>/retrieval/adapter.safetensors] [--images 60]
 *       [--weights other-backbone.safetensors --image-size N --patch-size N]   (a candidate backbone instead of the shipped one)
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { retrieveByImage } from '../lib/inference/retrieve';
import { TextGallery } from '../lib/inference/text-gallery';
import { setThreads } from '../lib/native/runtime-info';
import { ModelSession } from '../lib/session/model-session';
import { BlipTokenizer } from '../lib/text/tokenizer';
import { BACKBONE_OPTIONS, probedBackbone } from './probed-backbone';
import { COLORS, PATTERN_WORDS, SHAPES } from '../lib/tools/synthetic/vocab';

const ATTRIBUTES: Record<string, readonly string[]> = { shape: SHAPES, color: COLORS, pattern: Object.values(PATTERN_WORDS) };

/** The caption with `word` (a whole word) replaced by `other`, articles fixed. */
function variant(caption: string, word: string, other: string): string {
  return caption.replace(new RegExp(`\\b${word}\\b`), other).replace(/\ban (?=[^aeiou])/g, 'a ').replace(/\ba (?=[aeiou])/g, 'an ');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { adapter: { type: 'string' }, images: { type: 'string' }, ...BACKBONE_OPTIONS } });
  const data = positionals[0];
  if (!data) throw new Error('usage: backbone-attribute-probe.ts <demo data folder> [--adapter file] [--images N]');
  const n = Number(values.images ?? 60);
  await setThreads(1);
  // A demo folder has caption_test.json; a pretraining split (retrieval only) the same records in retrieval_test.json.
  const testFile = ['caption_test.json', 'retrieval_test.json'].map((f) => path.join(data, 'annotations', f)).find((f) => fs.existsSync(f));
  if (!testFile) throw new Error(`${data}/annotations has neither caption_test.json nor retrieval_test.json`);
  const records = JSON.parse(fs.readFileSync(testFile, 'utf8')) as Array<{ image: string; caption: string[] }>;
  const tok = BlipTokenizer.bertBaseUncased();
  const { config, weights } = await probedBackbone(values);
  await using session = await ModelSession.open({ config, weights, tokenizer: tok, ...(values.adapter ? { adapter: values.adapter } : {}) });
  const model = session.modelFor('retrieval');
  const result: Record<string, { correct: number; images: number; chance: number }> = {};
  for (const [name, words] of Object.entries(ATTRIBUTES)) {
    let correct = 0;
    let images = 0;
    for (const r of records.slice(0, n)) {
      const canonical = r.caption[0];
      const word = words.find((w) => new RegExp(`\\b${w}\\b`).test(canonical));
      if (!word) continue;
      const texts = words.map((w) => variant(canonical, word, w));
      const gallery = await TextGallery.build(model, texts, { tokenizer: tok });
      const [ranked] = await retrieveByImage(model, gallery, [path.join(data, 'images', r.image)], { k: texts.length, rerank: texts.length });
      images++;
      if (ranked[0].index === words.indexOf(word)) correct++;
    }
    result[name] = { correct, images, chance: 1 / words.length };
  }
  console.log(JSON.stringify({ weights, imageSize: config.vision?.imageSize, adapter: values.adapter ?? null, result }, null, 1));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
