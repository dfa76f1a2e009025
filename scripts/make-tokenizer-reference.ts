/**
 * Writes test/fixtures/tokenizer-reference.json: texts and the ids Hugging Face's native `tokenizers`
 * gives them (BertTokenizerFast's pipeline on bert-base-uncased + BLIP's [DEC]/[ENC]). The tests compare
 * BlipTokenizer with these ids without needing the native package.
 *
 *   npx tsx scripts/make-tokenizer-reference.ts
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { bertBaseUncasedVocabTxt, loadHfBertReference } from './hf-bert-reference';

const CORPUS: string[] = [
  // plain captions and questions
  'Hello world!',
  'a dog sitting on the grass',
  'A man riding a horse on a dirt road.',
  'What color is the car?',
  'how many people are in the picture',
  'a picture of ',
  // punctuation
  'Two people, three dogs; and a cat: all here!',
  'repeated!!! ??? ... ,,, ---',
  '(parentheses) [brackets] {braces} <angles>',
  'C++ & C# > Java? 100% sure... #1 @home ~approx ^caret `tick` |pipe| \\back/slash',
  '“curly quotes” and ‘single’ — em dash – en dash ‐ hyphen …ellipsis…',
  '¿Qué? ¡Sí! «quoted» „low“ ‹angle›',
  // accents and other scripts
  'café',
  'naïve résumé',
  'Ångström',
  'Crème brûlée at the Café de Flore',
  'combining: e\u0301 a\u0308 n\u0303 o\u0302',
  'ΟΔΟΣ',
  'Σίσυφος ΣΊΣΥΦΟΣ',
  'İstanbul DİYARBAKIR',
  'Straße STRASSE',
  'Ǆ ǅ ǆ digraphs',
  'ﬁ ligature ﬂ',
  'Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３',
  'Привет, мир!',
  'مرحبا بالعالم',
  'שלום עולם',
  'नमस्ते दुनिया',
  'สวัสดีชาวโลก',
  // CJK
  '中文字符',
  '日本語のテキスト',
  '한국어 문장',
  'mixed 中文 and English text',
  'a\u{20000}b astral ideograph',
  'x\u{2B820}y extension E start',
  '\u{2A700}\u{2F800}',
  // long words
  'a'.repeat(120),
  `short ${'b'.repeat(100)} word`,
  `short ${'b'.repeat(101)} word`,
  'supercalifragilisticexpialidocious antidisestablishmentarianism',
  // numbers
  '3.14159',
  '1,000,000',
  '$42.50 for 2 items (50% off)',
  '12:30pm on 2024-01-15',
  'math: x² + y³ = z⁴, ½ ¼',
  'Ⅻ roman numeral ① circled',
  // URLs and e-mails
  'https://www.example.com/path?query=1&x=y#frag',
  'john.doe+test@example.co.uk',
  '<html><body>Hi</body></html>',
  // emoji
  'I ❤️ emoji 😀🎉👍🏽',
  'family: 👨‍👩‍👧‍👦',
  'newer emoji 🫠 🥹',
  // control characters and whitespace
  'tab\tseparated\tvalues',
  'line one\nline two\r\nline three',
  'control\u0000chars\u0007here\u001b[0m',
  'zero\u200bwidth\u200cjoiner\u200d',
  'soft\u00adhyphen',
  '\ufeffBOM at start',
  'private use \ue000 char',
  'replacement \ufffd char',
  'unassigned \u0378 code point',
  'next line\u0085here vertical\u000btab form\u000cfeed',
  '',
  '   ',
  '\t\n\r ',
  '\u3000\u00a0\u2003',
  // added tokens written literally
  '[ENC] what is this?',
  '[DEC] a picture of a cat',
  '[CLS] hello [SEP]',
  'text[ENC]inside[DEC]words',
  '[cls] lowercase special is not special',
  '[MASK] [PAD] [UNK]',
  '[ENC[DEC]]',
  '[ ENC ] [Enc]',
  // case
  'HeLLo WoRLD MiXeD CaSe',
  'ALL CAPS SENTENCE',
  // contractions and hyphenation
  "don't",
  "it's",
  "I'm you're we've they'll she'd",
  "can't won't shouldn't",
  'state-of-the-art',
  'well-known e-mail co-operate',
  'hyphen-\nation',
  'e.g. i.e. U.S.A.',
  'snake_case_identifier camelCaseIdentifier',
  // long text
  'a large brown dog runs across the green field while two children play with a red ball near the old wooden fence by the river on a sunny afternoon',
];

async function main(): Promise<void> {
  const vocabTxt = bertBaseUncasedVocabTxt();
  const reference = await loadHfBertReference(vocabTxt);
  if (!reference) throw new Error("the native 'tokenizers' package cannot be loaded here");
  const cases = [];
  for (const text of CORPUS) {
    const { ids, tokens } = await reference.encode(text);
    cases.push({ text, ids, tokens });
  }
  const out = {
    description:
      'Ids of Hugging Face tokenizers (BertTokenizerFast pipeline: WordPiece on bert-base-uncased vocab.txt, ' +
      'BertNormalizer lowercase + strip accents + clean text + CJK, BertPreTokenizer, [CLS] … [SEP]) with ' +
      "BLIP's added tokens [DEC]=30522 and [ENC]=30523.",
    generator: 'scripts/make-tokenizer-reference.ts',
    reference: `tokenizers@${reference.version}`,
    vocabSha256: createHash('sha256').update(vocabTxt).digest('hex'),
    cases,
  };
  const file = path.join(__dirname, '..', 'test', 'fixtures', 'tokenizer-reference.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // One case per line keeps the file small and its diffs readable.
  const { cases: rows, ...head } = out;
  const body = rows.map((c) => '    ' + JSON.stringify(c)).join(',\n');
  const headJson = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  fs.writeFileSync(file, `${headJson},\n  "cases": [\n${body}\n  ]\n}\n`);
  console.log(`wrote ${cases.length} cases to ${path.relative(process.cwd(), file)}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
