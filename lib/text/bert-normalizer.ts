/**
 * BERT text normalisation with the semantics of Hugging Face `tokenizers`' `BertNormalizer` (the Rust
 * implementation behind `BertTokenizerFast`), which is what makes our ids match Hugging Face's.
 *
 * Order and details that matter for the ids:
 * 1. clean text: drop NUL, U+FFFD and control characters (Unicode Cc, Cf, Co, Cs, but not \t \n \r);
 *    every remaining White_Space character becomes ' '. Unassigned code points (Cn) are kept.
 * 2. CJK handling: a space on each side of every CJK Unified Ideograph, by code point (astral planes
 *    included; the ranges are those of `tokenizers`, whose Extension E range starts at U+2B920 where
 *    Python's BertTokenizer has U+2B820).
 * 3. strip accents: NFD, then drop nonspacing marks (Mn).
 * 4. lowercase: code point by code point, without context (so a final capital sigma becomes σ, not ς,
 *    as in `tokenizers`; Python's slow `BertTokenizer` would write ς).
 *
 * Character classes come from the JavaScript engine's Unicode tables. `tokenizers` uses older tables for
 * Cf/Mn and punctuation, so a few hundred code points of scripts encoded after Unicode 9 (for example
 * U+08CA-08E1 Arabic marks, U+13430-1343F Egyptian format controls) are classified differently.
 * The published `@huggingface/tokenizers` BertNormalizer is not used because it lowercases with context
 * (final sigma) and misses astral CJK ideographs.
 */

/** Options of {@link normalizeBert}; all default to true (`stripAccents` defaults to `lowercase`). */
export interface BertNormalizerOptions {
  cleanText?: boolean;
  handleChineseChars?: boolean;
  stripAccents?: boolean;
  lowercase?: boolean;
}

const CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u;
const WHITESPACE = /\p{White_Space}/u;
const NONSPACING_MARKS = /\p{Mn}/gu;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** CJK Unified Ideographs (and compatibility ideographs), as `tokenizers` defines them. */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

function cleanText(text: string): string {
  let out = '';
  for (const ch of text) {
    if (ch === '\t' || ch === '\n' || ch === '\r') {
      out += ' ';
      continue;
    }
    const cp = ch.codePointAt(0) as number;
    if (cp === 0 || cp === 0xfffd || CONTROL.test(ch)) continue;
    out += WHITESPACE.test(ch) ? ' ' : ch;
  }
  return out;
}

function spaceChineseChars(text: string): string {
  let out = '';
  for (const ch of text) {
    out += isChineseChar(ch.codePointAt(0) as number) ? ` ${ch} ` : ch;
  }
  return out;
}

function stripAccents(text: string): string {
  return text.normalize('NFD').replace(NONSPACING_MARKS, '');
}

function lowercaseCodePoints(text: string): string {
  let out = '';
  for (const ch of text) out += ch.toLowerCase();
  return out;
}

/**
 * Normalises text the way BERT's uncased tokenizer does before splitting it into words.
 *
 * @param text - raw text (must not contain the added tokens; split those out first)
 * @param options - which steps to run; defaults give bert-base-uncased behaviour
 * @returns the normalised text
 */
export function normalizeBert(text: string, options: BertNormalizerOptions = {}): string {
  const lowercase = options.lowercase ?? true;
  // Printable ASCII needs no cleaning, has no ideographs and no accents: only the case can change.
  if (PRINTABLE_ASCII.test(text)) return lowercase ? text.toLowerCase() : text;
  let s = text;
  if (options.cleanText ?? true) s = cleanText(s);
  if (options.handleChineseChars ?? true) s = spaceChineseChars(s);
  if (options.stripAccents ?? lowercase) s = stripAccents(s);
  if (lowercase) s = lowercaseCodePoints(s);
  return s;
}
