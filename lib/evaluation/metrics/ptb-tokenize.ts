/**
 * A pure-TypeScript approximation of the tokenisation done by pycocoevalcap's `PTBTokenizer`
 * (Stanford CoreNLP 3.4.1 `PTBTokenizer -preserveLines -lowerCase`, followed by the removal of
 * punctuation tokens), so that BLEU and CIDEr-D can be computed without Java.
 */

/**
 * Tokens removed after tokenisation: pycocoevalcap's list ('' ' `` ` -LRB- -RRB- -LCB- -RCB- . ? ! , :
 * - -- ... ;), plus the raw characters that the Java tokenizer would have turned into those
 * (brackets and double quotes), and square brackets (see `ptbTokenize`).
 */
const REMOVED_TOKENS: ReadonlySet<string> = new Set([
  "''", "'", '``', '`', '-lrb-', '-rrb-', '-lcb-', '-rcb-', '.', '?', '!', ',', ':', '-', '--', '...', ';',
  '(', ')', '{', '}', '[', ']', '"',
]);

/** Abbreviations whose final period stays part of the word (besides letter-period runs such as "u.s."). */
const ABBREVIATIONS: ReadonlySet<string> = new Set([
  'mr.', 'mrs.', 'ms.', 'dr.', 'st.', 'jr.', 'sr.', 'vs.', 'etc.', 'co.', 'inc.', 'ltd.', 'mt.', 'ave.',
]);

const CLITIC_TOKEN = /^'(s|m|d|re|ve|ll)$/;
const CLITIC_SUFFIX = /^(.*\p{L})('s|'m|'d|'re|'ve|'ll)$/u;
const NT_SUFFIX = /^(.+)(n't)$/;
const SPLIT_WORDS: ReadonlyMap<string, readonly string[]> = new Map([
  ['cannot', ['can', 'not']],
  ['gonna', ['gon', 'na']],
  ['gotta', ['got', 'ta']],
  ['wanna', ['wan', 'na']],
]);

function isAbbreviation(w: string): boolean {
  return ABBREVIATIONS.has(w) || /^(\p{L}\.){2,}$/u.test(w);
}

function splitWord(word: string, out: string[]): void {
  let w = word;
  const pre: string[] = [];
  const post: string[] = [];
  while (w.length > 1 && (w[0] === "'" || w[0] === '`') && !CLITIC_TOKEN.test(w)) {
    pre.push(w[0]);
    w = w.slice(1);
  }
  for (let changed = true; changed && w.length > 1; ) {
    changed = false;
    const last = w[w.length - 1];
    if ((last === "'" || last === '`') && !CLITIC_TOKEN.test(w)) {
      post.unshift(last);
      w = w.slice(0, -1);
      changed = true;
    } else if (last === '.' && !isAbbreviation(w)) {
      post.unshift('.');
      w = w.slice(0, -1);
      changed = true;
    }
  }
  out.push(...pre);
  const split = SPLIT_WORDS.get(w);
  const nt = NT_SUFFIX.exec(w);
  const clitic = CLITIC_SUFFIX.exec(w);
  if (split) out.push(...split);
  else if (nt) out.push(nt[1], nt[2]);
  else if (clitic) out.push(clitic[1], clitic[2]);
  else out.push(w);
  out.push(...post);
}

/**
 * Tokenises a caption the way pycocoevalcap's PTB tokenizer does, approximately, and returns the
 * tokens joined by single spaces:
 *
 * 1. newlines/tabs become spaces; the text is lower-cased; curly quotes become straight quotes, "…"
 *    becomes "..." and en/em dashes become "--";
 * 2. `...`, `--`, `; ? ! " ( ) [ ] { } $ # %` are split off as tokens, and so are commas and colons
 *    except between two digits ("1,000", "3:30" stay whole);
 * 3. leading and trailing quotes are split off; a final period is split off unless the word is an
 *    abbreviation ("u.s.", "e.g.", "mr.", "st.", ...); inner periods stay ("3.5", "www.x.com");
 * 4. clitics are split as in the Penn Treebank: "isn't" → "is n't", "can't" → "ca n't",
 *    "man's" → "man 's" (also 'm 'd 're 've 'll), "cannot" → "can not", "gonna" → "gon na";
 *    hyphenated words and slashes stay whole;
 * 5. the punctuation tokens pycocoevalcap removes are dropped: '' ' `` ` -LRB- -RRB- -LCB- -RCB- . ?
 *    ! , : - -- ... ; (brackets and double quotes, which Java rewrites into those, go too).
 *
 * This is a re-implementation of the main rules, not of the full CoreNLP lexer, so BLEU and CIDEr-D
 * computed on its output can differ slightly from the official Java pipeline on unusual text (URLs,
 * emoticons, rare abbreviations, non-ASCII punctuation). Java renders "[" and "]" as -LSB-/-RSB-,
 * which pycocoevalcap does not remove; this tokenizer drops them.
 */
export function ptbTokenize(s: string): string {
  let t = s.replace(/[\r\n\t]/g, ' ').toLowerCase();
  t = t
    .replace(/[\u2018\u2019\u201B]/g, "'")
    .replace(/[\u201C\u201D\u201E]/g, '"')
    .replace(/\u2026/g, '...')
    .replace(/[\u2013\u2014]/g, ' -- ');
  t = t.replace(/\.\.\.|--|[;?!"()[\]{}$#%]/g, ' $& ');
  t = t.replace(/,(?!\p{Nd})|(?<!\p{Nd}),/gu, ' , ');
  t = t.replace(/:(?!\p{Nd})|(?<!\p{Nd}):/gu, ' : ');
  const tokens: string[] = [];
  for (const chunk of t.split(/\s+/)) if (chunk.length > 0) splitWord(chunk, tokens);
  return tokens.filter((w) => !REMOVED_TOKENS.has(w)).join(' ');
}
