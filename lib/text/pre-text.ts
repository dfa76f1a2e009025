/**
 * BLIP's text cleaning (salesforce/BLIP data/utils.py `pre_caption` and `pre_question`, ARCHITECTURE_SPEC
 * §9.2), reproduced with Python 3 semantics: `str.lower()`, `re` patterns on str (where `\s` is Python's
 * Unicode whitespace, which differs from JavaScript's), `rstrip`/`strip` with an explicit character, and
 * `split(' ')` on single spaces.
 */
import { UniAdapterError } from '../errors';

/** Characters BLIP removes: . ! " ( ) * # : ; ~ */
const BLIP_PUNCTUATION = /[.!"()*#:;~]/g;
/**
 * Python 3's `\s` for str patterns: the characters `str.isspace()` accepts. Unlike JavaScript's `\s`
 * it includes U+001C..U+001F and U+0085 and excludes U+FEFF.
 */
const PY_WHITESPACE_RUN = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]{2,}/g;

function checkArgs(text: unknown, maxWords: unknown, name: string): void {
  if (typeof text !== 'string') throw new UniAdapterError('ERR_ARG', `${name}: text must be a string, got ${typeof text}`);
  if (typeof maxWords !== 'number' || !Number.isInteger(maxWords) || maxWords < 0) {
    throw new UniAdapterError('ERR_ARG', `${name}: maxWords must be an integer >= 0, got ${String(maxWords)}`);
  }
}

function truncateWords(text: string, maxWords: number): string {
  const words = text.split(' ');
  return words.length > maxWords ? words.slice(0, maxWords).join(' ') : text;
}

/**
 * BLIP's `pre_caption`: lower-case; replace each of `. ! " ( ) * # : ; ~` by a space; replace runs of two
 * or more whitespace characters by one space; strip trailing newlines, then leading and trailing spaces;
 * keep the first `maxWords` space-separated words.
 *
 * @param text - a caption or retrieval text
 * @param maxWords - 30 for COCO/Flickr (BLIP's video test set used 40)
 */
export function preCaption(text: string, maxWords = 30): string {
  checkArgs(text, maxWords, 'preCaption');
  let s = text.toLowerCase().replace(BLIP_PUNCTUATION, ' ');
  s = s.replace(PY_WHITESPACE_RUN, ' ');
  s = s.replace(/\n+$/, ''); // rstrip('\n')
  s = s.replace(/^ +/, '').replace(/ +$/, ''); // strip(' ')
  return truncateWords(s, maxWords);
}

/**
 * BLIP's `pre_question`: lower-case; delete each of `. ! " ( ) * # : ; ~`; strip trailing spaces only
 * (no whitespace collapsing, no leading strip); keep the first `maxWords` space-separated words.
 * Question marks and commas stay.
 *
 * @param text - a VQA question
 * @param maxWords - default 50
 */
export function preQuestion(text: string, maxWords = 50): string {
  checkArgs(text, maxWords, 'preQuestion');
  let s = text.toLowerCase().replace(BLIP_PUNCTUATION, '');
  s = s.replace(/ +$/, ''); // rstrip(' ')
  return truncateWords(s, maxWords);
}
