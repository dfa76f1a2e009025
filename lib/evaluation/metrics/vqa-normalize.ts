/**
 * The official VQA answer normalisation (VQA v2 evaluation tool, `vqaEval.py`): punctuation
 * handling, number words to digits, article removal and the contractions table, reproduced with the
 * tool's quirks (documented on each function).
 */

/**
 * The official contractions table: apostrophe-less spellings mapped to the written form. Keys with
 * capitals ("Im", "Ive", "Id've", "I'dve") are in the official table but can never match, because
 * words are lower-cased first; the entry "somebody'd" → "somebodyd" is also official (and odd).
 */
export const VQA_CONTRACTIONS: ReadonlyMap<string, string> = new Map([
  ['aint', "ain't"],
  ['arent', "aren't"],
  ['cant', "can't"],
  ['couldve', "could've"],
  ['couldnt', "couldn't"],
  ["couldn'tve", "couldn't've"],
  ["couldnt've", "couldn't've"],
  ['didnt', "didn't"],
  ['doesnt', "doesn't"],
  ['dont', "don't"],
  ['hadnt', "hadn't"],
  ["hadnt've", "hadn't've"],
  ["hadn'tve", "hadn't've"],
  ['hasnt', "hasn't"],
  ['havent', "haven't"],
  ['hed', "he'd"],
  ["hed've", "he'd've"],
  ["he'dve", "he'd've"],
  ['hes', "he's"],
  ['howd', "how'd"],
  ['howll', "how'll"],
  ['hows', "how's"],
  ["Id've", "I'd've"],
  ["I'dve", "I'd've"],
  ['Im', "I'm"],
  ['Ive', "I've"],
  ['isnt', "isn't"],
  ['itd', "it'd"],
  ["itd've", "it'd've"],
  ["it'dve", "it'd've"],
  ['itll', "it'll"],
  ["let's", "let's"],
  ['maam', "ma'am"],
  ['mightnt', "mightn't"],
  ["mightnt've", "mightn't've"],
  ["mightn'tve", "mightn't've"],
  ['mightve', "might've"],
  ['mustnt', "mustn't"],
  ['mustve', "must've"],
  ['neednt', "needn't"],
  ['notve', "not've"],
  ['oclock', "o'clock"],
  ['oughtnt', "oughtn't"],
  ["ow's'at", "'ow's'at"],
  ["'ows'at", "'ow's'at"],
  ["'ow'sat", "'ow's'at"],
  ['shant', "shan't"],
  ["shed've", "she'd've"],
  ["she'dve", "she'd've"],
  ["she's", "she's"],
  ['shouldve', "should've"],
  ['shouldnt', "shouldn't"],
  ["shouldnt've", "shouldn't've"],
  ["shouldn'tve", "shouldn't've"],
  ["somebody'd", 'somebodyd'],
  ["somebodyd've", "somebody'd've"],
  ["somebody'dve", "somebody'd've"],
  ['somebodyll', "somebody'll"],
  ['somebodys', "somebody's"],
  ['someoned', "someone'd"],
  ["someoned've", "someone'd've"],
  ["someone'dve", "someone'd've"],
  ['someonell', "someone'll"],
  ['someones', "someone's"],
  ['somethingd', "something'd"],
  ["somethingd've", "something'd've"],
  ["something'dve", "something'd've"],
  ['somethingll', "something'll"],
  ['thats', "that's"],
  ['thered', "there'd"],
  ["thered've", "there'd've"],
  ["there'dve", "there'd've"],
  ['therere', "there're"],
  ['theres', "there's"],
  ['theyd', "they'd"],
  ["theyd've", "they'd've"],
  ["they'dve", "they'd've"],
  ['theyll', "they'll"],
  ['theyre', "they're"],
  ['theyve', "they've"],
  ['twas', "'twas"],
  ['wasnt', "wasn't"],
  ["wed've", "we'd've"],
  ["we'dve", "we'd've"],
  ['weve', "we've"],
  ['werent', "weren't"],
  ['whatll', "what'll"],
  ['whatre', "what're"],
  ['whats', "what's"],
  ['whatve', "what've"],
  ['whens', "when's"],
  ['whered', "where'd"],
  ['wheres', "where's"],
  ['whereve', "where've"],
  ['whod', "who'd"],
  ["whod've", "who'd've"],
  ["who'dve", "who'd've"],
  ['wholl', "who'll"],
  ['whos', "who's"],
  ['whove', "who've"],
  ['whyll', "why'll"],
  ['whyre', "why're"],
  ['whys', "why's"],
  ['wont', "won't"],
  ['wouldve', "would've"],
  ['wouldnt', "wouldn't"],
  ["wouldnt've", "wouldn't've"],
  ["wouldn'tve", "wouldn't've"],
  ['yall', "y'all"],
  ["yall'll", "y'all'll"],
  ["y'allll", "y'all'll"],
  ["yall'd've", "y'all'd've"],
  ["y'alld've", "y'all'd've"],
  ["y'all'dve", "y'all'd've"],
  ['youd', "you'd"],
  ["youd've", "you'd've"],
  ["you'dve", "you'd've"],
  ['youll', "you'll"],
  ['youre', "you're"],
  ['youve', "you've"],
]);

/** Number words mapped to digits (the official `manualMap`; nothing above ten). */
export const VQA_NUMBER_WORDS: ReadonlyMap<string, string> = new Map([
  ['none', '0'],
  ['zero', '0'],
  ['one', '1'],
  ['two', '2'],
  ['three', '3'],
  ['four', '4'],
  ['five', '5'],
  ['six', '6'],
  ['seven', '7'],
  ['eight', '8'],
  ['nine', '9'],
  ['ten', '10'],
]);

/** Words dropped from answers. */
export const VQA_ARTICLES: ReadonlySet<string> = new Set(['a', 'an', 'the']);

/** The punctuation characters handled by `vqaProcessPunctuation`, in the official order. */
export const VQA_PUNCTUATION: readonly string[] = [
  ';', '/', '[', ']', '"', '{', '}', '(', ')', '=', '+', '\\', '_', '-', '>', '<', '@', '`', ',', '?', '!',
];

// `(\d)(\,)(\d)`: a comma between two digits anywhere in the answer. Python's \d on str matches any
// Unicode decimal digit, hence \p{Nd}.
const COMMA_STRIP = /\p{Nd},\p{Nd}/u;
// `(?!<=\d)(\.)(?!\d)`: the first group is a (mistyped) lookahead for the two characters "<=" and a
// digit, which never matches at a '.', so every period NOT followed by a digit is removed.
const PERIOD_STRIP = /(?!<=\p{Nd})\.(?!\p{Nd})/gu;
// The official call `periodStrip.sub("", text, re.UNICODE)` passes re.UNICODE (= 32) as the `count`
// argument: at most 32 periods are removed.
const PERIOD_STRIP_COUNT = 32;

/**
 * The official `processPunctuation`. For each punctuation character `p` (see `VQA_PUNCTUATION`): if
 * the ORIGINAL text contains `p` followed by a space or preceded by a space, or contains a comma
 * between two digits anywhere, every `p` is deleted; otherwise every `p` becomes a space. Then periods
 * not followed by a digit are deleted (at most 32 of them, as in the official code). So
 * "1,000" → "1000", "yes!" → "yes ", "black/white" → "black white", "3.5" stays.
 */
export function vqaProcessPunctuation(inText: string): string {
  let out = inText;
  const digitComma = COMMA_STRIP.test(inText);
  for (const p of VQA_PUNCTUATION) {
    const remove = inText.includes(p + ' ') || inText.includes(' ' + p) || digitComma;
    out = out.split(p).join(remove ? '' : ' ');
  }
  let count = 0;
  return out.replace(PERIOD_STRIP, (m) => (count++ < PERIOD_STRIP_COUNT ? '' : m));
}

/**
 * The official `processDigitArticle`: lower-case, split on whitespace, map number words to digits
 * ("two" → "2", "none" → "0"; only zero to ten, so "twenty-one" is unchanged), drop the articles
 * "a", "an", "the", replace contraction spellings ("dont" → "don't"), and join with single spaces.
 */
export function vqaProcessDigitArticle(inText: string): string {
  const out: string[] = [];
  for (const w of inText.toLowerCase().split(/\s+/)) {
    if (w.length === 0) continue;
    const word = VQA_NUMBER_WORDS.get(w) ?? w;
    if (!VQA_ARTICLES.has(word)) out.push(word);
  }
  return out.map((w) => VQA_CONTRACTIONS.get(w) ?? w).join(' ');
}

/** The official whitespace clean-up applied to every answer: tabs and newlines to spaces, then trim. */
export function vqaCleanWhitespace(s: string): string {
  return s.replace(/\n/g, ' ').replace(/\t/g, ' ').trim();
}

/**
 * The full official normalisation of one answer: whitespace clean-up, `vqaProcessPunctuation`, then
 * `vqaProcessDigitArticle`. E.g. "Two dogs." → "2 dogs", "The cat's toy!" → "cat's toy",
 * "isnt" → "isn't".
 */
export function normalizeVqaAnswer(answer: string): string {
  return vqaProcessDigitArticle(vqaProcessPunctuation(vqaCleanWhitespace(answer)));
}
