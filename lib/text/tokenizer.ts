/**
 * BlipTokenizer: BERT-uncased WordPiece with BLIP's two added tokens, `[DEC]` (bos, 30522) and
 * `[ENC]` (30523). Ids are identical to Hugging Face's BertTokenizerFast on bert-base-uncased (the
 * `tokenizers` library) after BLIP's `init_tokenizer()`; decoding follows transformers' `decode`.
 *
 * Pipeline per text: the special and added tokens written literally in the text (`[CLS]`, `[ENC]`, …,
 * case-sensitive, leftmost-longest) are split out first; every other stretch is normalised
 * (bert-normalizer.ts), split into words and punctuation (`BertPreTokenizer` of
 * `@huggingface/tokenizers`) and cut into WordPiece pieces (`WordPiece` of `@huggingface/tokenizers`:
 * greedy longest match first, `##` continuation, words over 100 characters become `[UNK]`).
 */
import { BertPreTokenizer, WordPiece } from '@huggingface/tokenizers';
import { UniAdapterError } from '../errors';
import { normalizeBert, type BertNormalizerOptions } from './bert-normalizer';
import { bertBaseUncasedVocab, readVocabFile, type AddedTokenSpec, type VocabSpec } from './bert-vocab';

/** How {@link BlipTokenizer.encodeBatch} pads: to the longest row, to `maxLength`, or not at all. */
export type PaddingStrategy = 'longest' | 'max_length' | 'none';

export interface EncodeOptions {
  /** Longest result, `[CLS]` and `[SEP]` included. */
  maxLength?: number;
  /** Cut from the right to `maxLength` (default true when `maxLength` is given). */
  truncation?: boolean;
}

export interface EncodeBatchOptions extends EncodeOptions {
  /** Default 'longest'. 'max_length' needs `maxLength`. */
  padding?: PaddingStrategy;
}

export interface DecodeOptions {
  /** Leave out [PAD] [UNK] [CLS] [SEP] [MASK] [DEC] [ENC] (default true). */
  skipSpecialTokens?: boolean;
  /** transformers' clean_up_tokenization: " ." → ".", " n't" → "n't", … (default true). */
  cleanUpSpaces?: boolean;
}

/** Token ids and attention mask of a batch of texts, one row per text. */
export interface TextBatch {
  inputIds: number[][];
  attentionMask: number[][];
}

/** Tokenizer settings; the defaults are bert-base-uncased's. */
export interface BlipTokenizerOptions {
  normalizer?: BertNormalizerOptions;
  /** Default '[UNK]'. */
  unkToken?: string;
  /** Default '##'. */
  continuingSubwordPrefix?: string;
  /** Default 100. */
  maxInputCharsPerWord?: number;
  /** Added tokens besides BERT's and BLIP's special tokens (from a tokenizer.json). */
  addedTokens?: AddedTokenSpec[];
}

const PAD = '[PAD]';
const CLS = '[CLS]';
const SEP = '[SEP]';
const MASK = '[MASK]';
const DEC = '[DEC]';
const ENC = '[ENC]';

type WordPieceConfig = ConstructorParameters<typeof WordPiece>[0];

/** The longest text accepted, in UTF-16 code units; the work of tokenising is bounded by it. */
export const MAX_TEXT_CHARS = 1_000_000;
/** Characters normalised at a time when only the first tokens are wanted (extended to the next space). */
const STRETCH_CHARS = 4096;
/** Words handed to WordPiece per call. */
const WORDS_PER_CALL = 256;

let shared: BlipTokenizer | undefined;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** transformers' `clean_up_tokenization` (same replacements, same order). */
function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

/** Python's str.strip() (Unicode whitespace as Python defines it). */
function pyStrip(s: string): string {
  return s.replace(/^[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/, '').replace(
    /[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/,
    ''
  );
}

function checkLength(value: number | undefined, name: string, min: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min) {
    throw new UniAdapterError('ERR_ARG', `${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}

export class BlipTokenizer {
  private readonly vocab: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;
  private readonly normalizer: BertNormalizerOptions;
  private readonly preTokenizer: BertPreTokenizer;
  private readonly wordPiece: WordPiece;
  private readonly splitter: RegExp | null;
  private readonly skippedIds: ReadonlySet<number>;
  private readonly addedIds: ReadonlySet<number>;
  private readonly prefix: string;
  private readonly special: Readonly<Record<'pad' | 'unk' | 'cls' | 'sep' | 'mask' | 'bos' | 'enc', number>>;

  /**
   * Builds a tokenizer on a vocabulary (index = id). `[DEC]` and `[ENC]` are appended, in this order,
   * when the vocabulary lacks them (as BLIP's `init_tokenizer()` does); the other special tokens are
   * found by name and must be present.
   *
   * @param vocab - tokens, index = id
   * @param options - WordPiece and normaliser settings (defaults: bert-base-uncased)
   * @throws UniAdapterError ERR_TOKENIZER when the vocabulary is unusable
   */
  constructor(vocab: readonly string[], options: BlipTokenizerOptions = {}) {
    if (!Array.isArray(vocab) || vocab.length === 0) {
      throw new UniAdapterError('ERR_TOKENIZER', 'the vocabulary must be a non-empty array of tokens (index = id)');
    }
    const tokens: string[] = [];
    for (let i = 0; i < vocab.length; i++) {
      const t: unknown = vocab[i];
      if (typeof t !== 'string') throw new UniAdapterError('ERR_TOKENIZER', `vocabulary entry ${i} is not a string`);
      tokens.push(t);
    }
    const ids = new Map<string, number>();
    tokens.forEach((t, i) => ids.set(t, i)); // a repeated token maps to its last id, as in transformers
    for (const t of [DEC, ENC]) {
      if (!ids.has(t)) {
        ids.set(t, tokens.length);
        tokens.push(t);
      }
    }
    const unkToken = options.unkToken ?? '[UNK]';
    const need = (name: string): number => {
      const id = ids.get(name);
      if (id === undefined) {
        throw new UniAdapterError('ERR_TOKENIZER', `the vocabulary has no '${name}' token; a BERT vocabulary is required`);
      }
      return id;
    };
    this.special = Object.freeze({
      pad: need(PAD),
      unk: need(unkToken),
      cls: need(CLS),
      sep: need(SEP),
      mask: need(MASK),
      bos: need(DEC),
      enc: need(ENC),
    });
    this.vocab = Object.freeze(tokens);
    this.ids = ids;
    this.normalizer = { ...options.normalizer };
    this.prefix = options.continuingSubwordPrefix ?? '##';
    const maxChars = options.maxInputCharsPerWord ?? 100;
    checkLength(maxChars, 'maxInputCharsPerWord', 1);

    const added = options.addedTokens ?? [];
    this.skippedIds = new Set([...Object.values(this.special), ...added.filter((t) => t.special).map((t) => t.id)]);
    // Tokens that transformers keeps outside the WordPiece vocabulary: decoded as separate pieces.
    this.addedIds = new Set([this.special.bos, this.special.enc, ...added.filter((t) => !t.inModelVocab).map((t) => t.id)]);
    const splitTokens = new Set([PAD, unkToken, CLS, SEP, MASK, DEC, ENC, ...added.map((t) => t.content)]);
    const alternatives = [...splitTokens].filter((t) => t.length > 0).sort((a, b) => b.length - a.length);
    this.splitter = alternatives.length ? new RegExp(alternatives.map(escapeRegExp).join('|'), 'g') : null;

    const config: WordPieceConfig = {
      type: 'WordPiece',
      vocab: Object.fromEntries(ids),
      unk_token: unkToken,
      continuing_subword_prefix: this.prefix,
      max_input_chars_per_word: maxChars,
    };
    this.wordPiece = new WordPiece(config);
    this.preTokenizer = new BertPreTokenizer();
  }

  /** The bert-base-uncased tokenizer with [DEC]=30522 and [ENC]=30523, shared (it is immutable). */
  static bertBaseUncased(): BlipTokenizer {
    shared ??= new BlipTokenizer(bertBaseUncasedVocab());
    return shared;
  }

  /**
   * A tokenizer on a token list (index = id), e.g. the `text.vocab` of a golden fixture. Special tokens
   * are found by name; `[DEC]`/`[ENC]` are appended when missing.
   */
  static fromVocabList(vocab: readonly string[], options?: BlipTokenizerOptions): BlipTokenizer {
    return new BlipTokenizer(vocab, options);
  }

  /**
   * A tokenizer from a file: a BERT `vocab.txt`, a Hugging Face `tokenizer.json` (WordPiece model,
   * BertNormalizer), or a JSON array of tokens.
   *
   * @throws UniAdapterError ERR_IO when the file cannot be read, ERR_TOKENIZER when it is not usable
   */
  static fromFile(path: string, options: BlipTokenizerOptions = {}): BlipTokenizer {
    const spec: VocabSpec = readVocabFile(path);
    return new BlipTokenizer(spec.tokens, {
      unkToken: spec.unkToken,
      continuingSubwordPrefix: spec.continuingSubwordPrefix,
      maxInputCharsPerWord: spec.maxInputCharsPerWord,
      addedTokens: spec.addedTokens,
      ...options,
      normalizer: { ...spec.normalizer, ...options.normalizer },
    });
  }

  /** Number of ids, the added tokens included (30524 for the default tokenizer). */
  get vocabSize(): number {
    return this.vocab.length;
  }
  get padId(): number {
    return this.special.pad;
  }
  get unkId(): number {
    return this.special.unk;
  }
  get clsId(): number {
    return this.special.cls;
  }
  get sepId(): number {
    return this.special.sep;
  }
  get maskId(): number {
    return this.special.mask;
  }
  /** `[DEC]`, the decoder's start token. */
  get bosId(): number {
    return this.special.bos;
  }
  /** `[ENC]`, position 0 of every image-grounded encoder input. */
  get encId(): number {
    return this.special.enc;
  }

  /** The token of an id; throws ERR_ARG for an id outside the vocabulary. */
  idToToken(id: number): string {
    const token = Number.isInteger(id) ? this.vocab[id] : undefined;
    if (token === undefined) {
      throw new UniAdapterError('ERR_ARG', `token id ${String(id)} is outside the vocabulary (0..${this.vocab.length - 1})`);
    }
    return token;
  }

  /** The id of a token, or undefined when it is not in the vocabulary. */
  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  /**
   * Tokens of a text, without `[CLS]`/`[SEP]`. With `limit`, only the first `limit` tokens are made
   * (they are the same as the first `limit` of the whole text): the text is worked through in stretches
   * that end before a space, which no step of the pipeline looks across, so a long text costs no more
   * than its first stretches.
   *
   * @throws UniAdapterError ERR_ARG for a text that is not a string or longer than MAX_TEXT_CHARS
   */
  tokenize(text: string, limit = Infinity): string[] {
    if (typeof text !== 'string') throw new UniAdapterError('ERR_ARG', `text must be a string, got ${typeof text}`);
    if (text.length > MAX_TEXT_CHARS) {
      throw new UniAdapterError(
        'ERR_ARG',
        `a text of ${text.length} characters is longer than the ${MAX_TEXT_CHARS} accepted; the models read at most a few hundred tokens, so cut it first`
      );
    }
    const out: string[] = [];
    const full = () => out.length >= limit;
    const pieces = (segment: string) => {
      for (let start = 0; start < segment.length && !full(); ) {
        let end = limit === Infinity ? -1 : segment.indexOf(' ', start + STRETCH_CHARS);
        if (end < 0) end = segment.length;
        const words = this.preTokenizer.pre_tokenize_text(normalizeBert(segment.slice(start, end), this.normalizer));
        for (let w = 0; w < words.length && !full(); w += WORDS_PER_CALL) {
          // One push per token: spreading a long array into push() overflows the call stack.
          for (const token of this.wordPiece.encode(words.slice(w, w + WORDS_PER_CALL))) {
            if (full()) break;
            out.push(token);
          }
        }
        start = end;
      }
    };
    if (!this.splitter) {
      pieces(text);
      return out;
    }
    let last = 0;
    for (const m of text.matchAll(this.splitter)) {
      const at = m.index as number;
      pieces(text.slice(last, at));
      if (full()) return out;
      out.push(m[0]);
      last = at + m[0].length;
    }
    pieces(text.slice(last));
    return out;
  }

  /**
   * Token ids of a text: `[CLS] … [SEP]`, cut from the right to `maxLength` when it is given (unless
   * `truncation` is false).
   */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const { maxLength } = options;
    checkLength(maxLength, 'maxLength', 2);
    const truncate = maxLength !== undefined && options.truncation !== false;
    const body = this.tokenize(text, truncate ? maxLength - 2 : Infinity).map((t) => this.ids.get(t) as number);
    const keep = truncate ? Math.min(body.length, maxLength - 2) : body.length;
    const ids = new Array<number>(keep + 2);
    ids[0] = this.special.cls;
    for (let i = 0; i < keep; i++) ids[i + 1] = body[i];
    ids[keep + 1] = this.special.sep;
    return ids;
  }

  /**
   * Token ids and attention masks of several texts. Padding uses `[PAD]` (mask 0) on the right.
   *
   * @throws UniAdapterError ERR_ARG for bad options, or when `padding: 'max_length'` meets a text longer
   *   than `maxLength` with truncation off
   */
  encodeBatch(texts: readonly string[], options: EncodeBatchOptions = {}): TextBatch {
    if (!Array.isArray(texts)) throw new UniAdapterError('ERR_ARG', 'texts must be an array of strings');
    const padding = options.padding ?? 'longest';
    if (padding !== 'longest' && padding !== 'max_length' && padding !== 'none') {
      throw new UniAdapterError('ERR_ARG', `padding must be 'longest', 'max_length' or 'none', got '${String(padding)}'`);
    }
    if (padding === 'max_length' && options.maxLength === undefined) {
      throw new UniAdapterError('ERR_ARG', "padding 'max_length' needs maxLength");
    }
    const rows = texts.map((t, i) => {
      if (typeof t !== 'string') throw new UniAdapterError('ERR_ARG', `texts[${i}] must be a string, got ${typeof t}`);
      return this.encode(t, options);
    });
    let width = 0;
    if (padding === 'longest') width = rows.reduce((w, r) => Math.max(w, r.length), 0);
    if (padding === 'max_length') {
      width = options.maxLength as number;
      const over = rows.findIndex((r) => r.length > width);
      if (over >= 0) {
        throw new UniAdapterError(
          'ERR_ARG',
          `texts[${over}] has ${rows[over].length} tokens, more than maxLength ${width}; enable truncation`
        );
      }
    }
    const inputIds: number[][] = [];
    const attentionMask: number[][] = [];
    for (const r of rows) {
      const pad = Math.max(0, width - r.length);
      inputIds.push(pad ? r.concat(new Array<number>(pad).fill(this.special.pad)) : r);
      attentionMask.push(new Array<number>(r.length).fill(1).concat(new Array<number>(pad).fill(0)));
    }
    return { inputIds, attentionMask };
  }

  /**
   * Text of token ids, as transformers' `decode` writes it: WordPiece pieces merged (" ##" removed),
   * `[DEC]`/`[ENC]` kept apart, special tokens skipped and spaces cleaned up by default.
   *
   * @param ids - token ids (numbers or a BigInt64Array/Int32Array row of a tensor)
   */
  decode(ids: ArrayLike<number | bigint>, options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens ?? true;
    const parts: string[] = [];
    let run: string[] = [];
    const flush = () => {
      if (run.length) parts.push(pyStrip(run.join(' ').replaceAll(' ' + this.prefix, '')));
      run = [];
    };
    for (let i = 0; i < ids.length; i++) {
      const id = Number(ids[i]);
      const token = this.idToToken(id);
      if (skip && this.skippedIds.has(id)) continue;
      if (this.addedIds.has(id)) {
        flush();
        parts.push(token);
      } else {
        run.push(token);
      }
    }
    flush();
    const text = parts.join(' ');
    return options.cleanUpSpaces ?? true ? cleanUpTokenization(text) : text;
  }
}
