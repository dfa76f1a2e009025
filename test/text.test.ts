/**
 * preCaption / preQuestion reproduce BLIP's pre_caption / pre_question with Python 3 semantics. The
 * expected strings follow from the Python code (re.sub with Python's Unicode `\s`, str.lower,
 * rstrip('\n'), strip(' '), split(' ')); they were also checked once against CPython 3.11.
 */
import { UniAdapterError } from '../lib/errors';
import { preCaption, preQuestion } from '../lib/text/pre-text';

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

describe('preCaption', () => {
  it.each<[string, string]>([
    ['A man riding a horse.', 'a man riding a horse'],
    ['  Two dogs!!  playing   in the "snow" (outside)... ', 'two dogs playing in the snow outside'],
    ['emoji 😀 ok: yes', 'emoji 😀 ok yes'],
    ['a,b?c', 'a,b?c'], // commas and question marks stay
    ['~*#;:', ''],
    ['a  .  b', 'a b'],
    ['', ''],
    [' ', ''],
    ['ÉCOLE Été', 'école été'],
    ['ΟΔΟΣ.', 'οδος'], // Python's lower() applies the final-sigma rule
    ['İ', 'i\u0307'], // Python's lower() of U+0130 is two code points
  ])('%j → %j', (input, want) => {
    expect(preCaption(input)).toBe(want);
  });

  it('collapses only runs of two or more whitespace characters', () => {
    expect(preCaption('Tab\there')).toBe('tab\there'); // a single tab stays
    expect(preCaption('a\t\tb')).toBe('a b');
    expect(preCaption('a\n\nb')).toBe('a b');
    expect(preCaption('a\u00a0b')).toBe('a\u00a0b');
    expect(preCaption('a\u00a0\u00a0b')).toBe('a b');
  });

  it("uses Python's \\s, not JavaScript's", () => {
    expect(preCaption('a\x1c\x1db')).toBe('a b'); // information separators are whitespace in Python
    expect(preCaption('a\u0085\u2028b')).toBe('a b');
    expect(preCaption('a\ufeff\ufeffb')).toBe('a\ufeff\ufeffb'); // U+FEFF is not
  });

  it('strips trailing newlines, then spaces, but not other leading whitespace', () => {
    expect(preCaption('line\n')).toBe('line');
    expect(preCaption('line \n')).toBe('line');
    expect(preCaption('end\n\n')).toBe('end');
    expect(preCaption('end \n\n ')).toBe('end');
    expect(preCaption('x\r\n')).toBe('x');
    expect(preCaption('\nleading newline')).toBe('\nleading newline');
  });

  it('keeps the first maxWords words (30 by default)', () => {
    expect(preCaption(words(35))).toBe(words(30));
    expect(preCaption(words(30))).toBe(words(30));
    expect(preCaption('one two three four', 3)).toBe('one two three');
    expect(preCaption('x  y', 1)).toBe('x');
    expect(preCaption(words(45), 40)).toBe(words(40));
  });
});

describe('preQuestion', () => {
  it.each<[string, string]>([
    ['What color is the car?', 'what color is the car?'],
    ['Is this a "dog"...?  ', 'is this a dog?'],
    ['How many (people)?', 'how many people?'],
    ['e.g. U.S.A.', 'eg usa'],
    ['What is this~*#:;!', 'what is this'],
    ['ΣΑΣ ΤΙ;', 'σας τι'],
    ['', ''],
  ])('%j → %j', (input, want) => {
    expect(preQuestion(input)).toBe(want);
  });

  it('strips trailing spaces only, and collapses nothing', () => {
    expect(preQuestion('  leading spaces kept')).toBe('  leading spaces kept');
    expect(preQuestion('double  space inside')).toBe('double  space inside');
    expect(preQuestion('trailing tab\t')).toBe('trailing tab\t');
    expect(preQuestion('trailing newline \n')).toBe('trailing newline \n');
  });

  it("truncates on single spaces like Python's split(' ')", () => {
    expect(preQuestion(words(60))).toBe(words(50));
    expect(preQuestion('  a b', 2)).toBe(' '); // ['', '', 'a', 'b'] → ' '.join(['', ''])
    expect(preQuestion('x y z', 0)).toBe('');
  });
});

describe('argument checks', () => {
  it('rejects non-strings and bad word counts', () => {
    expect(() => preCaption(3 as unknown as string)).toThrow(UniAdapterError);
    expect(() => preQuestion(null as unknown as string)).toThrow(UniAdapterError);
    expect(() => preCaption('a', -1)).toThrow(UniAdapterError);
    expect(() => preQuestion('a', 2.5)).toThrow(UniAdapterError);
  });
});
