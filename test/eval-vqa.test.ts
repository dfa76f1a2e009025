import {
  exactMatchAccuracy,
  normalizeVqaAnswer,
  VQA_CONTRACTIONS,
  vqaAccuracy,
  vqaProcessDigitArticle,
  vqaProcessPunctuation,
  vqaSoftScore,
} from '../lib/evaluation/metrics';
import { UniAdapterError } from '../lib/errors';

// Expected strings below were checked once against the official VQA v2 tool (vqaEval.py,
// processPunctuation / processDigitArticle) run on the same inputs.

describe('VQA punctuation (processPunctuation)', () => {
  test.each([
    ['1,000', '1000'], // a digit,digit comma anywhere: every punctuation mark is deleted
    ['20,5 and a/b', '205 and ab'], // ... including '/' elsewhere in the answer
    ['yes!', 'yes '], // no "! " or " !": replaced by a space
    ['black/white', 'black white'],
    ['hello, world', 'hello world'], // ", " present: commas deleted
    ['a-b - c', 'ab  c'], // " - " present: every '-' deleted
    ['(red)', ' red '],
    ['x_y', 'x y'],
    ['3.5', '3.5'], // a period before a digit stays
    ['st. louis', 'st louis'],
    ['end.', 'end'],
    ['mr.t', 'mrt'],
    ["What's up?", "What's up "], // apostrophes are not touched
  ])('%j -> %j', (input, want) => {
    expect(vqaProcessPunctuation(input)).toBe(want);
  });

  test('at most 32 periods are removed (re.UNICODE passed as the count)', () => {
    expect(vqaProcessPunctuation('.'.repeat(40))).toBe('.'.repeat(8));
  });
});

describe('VQA digits, articles, contractions (processDigitArticle)', () => {
  test.each([
    ['Two Dogs', '2 dogs'],
    ['the cat', 'cat'],
    ['a an the', ''],
    ['None', '0'],
    ['ten', '10'],
    ['eleven', 'eleven'], // only zero..ten are mapped
    ['twenty one', 'twenty 1'],
    ['dont', "don't"],
    ['isnt', "isn't"],
    ['Im', 'im'], // the official key "Im" can never match after lower-casing
    ["somebody'd", 'somebodyd'], // an official (odd) entry
  ])('%j -> %j', (input, want) => {
    expect(vqaProcessDigitArticle(input)).toBe(want);
  });

  test('full normalisation', () => {
    expect(normalizeVqaAnswer('  The Two\tdogs.\n')).toBe('2 dogs');
    expect(normalizeVqaAnswer('twenty-one')).toBe('twenty 1'); // '-' -> ' ', then "one" -> "1"
    expect(normalizeVqaAnswer("What's up?")).toBe("what's up");
    expect(normalizeVqaAnswer('yes!')).toBe('yes');
  });

  test('the contractions table is the official one (120 entries)', () => {
    expect(VQA_CONTRACTIONS.size).toBe(120);
    expect(VQA_CONTRACTIONS.get('wouldnt')).toBe("wouldn't");
    expect(VQA_CONTRACTIONS.get("y'allll")).toBe("y'all'll");
    expect(VQA_CONTRACTIONS.get('twas')).toBe("'twas");
  });
});

describe('VQA soft accuracy', () => {
  const ten = (m: number) => [...Array<string>(m).fill('red'), ...Array<string>(10 - m).fill('blue')];
  // n matches among 10: each leave-one-out subset of 9 keeps n (if a non-match is left out, 10 - n subsets)
  // or n - 1 matches (n subsets). acc = mean of min(1, matches / 3):
  //  n=1: 9 x 1/3 + 1 x 0          = 3    / 10 = 0.3
  //  n=2: 8 x 2/3 + 2 x 1/3        = 6    / 10 = 0.6
  //  n=3: 7 x 1   + 3 x 2/3        = 9    / 10 = 0.9
  //  n=4: 6 x 1   + 4 x 1          = 10   / 10 = 1
  test.each([
    [0, 0],
    [1, 0.3],
    [2, 0.6],
    [3, 0.9],
    [4, 1],
    [5, 1],
    [10, 1],
  ])('%d matching answers -> %p', (m, want) => {
    expect(vqaSoftScore('red', ten(m))).toBeCloseTo(want, 12);
  });

  test('official mode normalises only when the ground-truth answers differ', () => {
    const yes = Array<string>(10).fill('yes');
    expect(vqaSoftScore('Yes', yes)).toBe(0); // unanimous: no normalisation, "Yes" != "yes"
    expect(vqaSoftScore(' yes\n', yes)).toBe(1); // whitespace is always cleaned
    expect(vqaSoftScore('Yes', yes, 'always')).toBe(1);
    // Differing answers: "two", "Two", "2 " all normalise to "2" (5 of 10) -> 1.
    expect(vqaSoftScore('two', ['2', '2', 'two', 'Two', '2 ', '3', '3', '3', '3', '3'])).toBe(1);
  });

  test('vqaAccuracy matches the official tool, overall and per answer type', () => {
    // The official VQAEval.evaluate() on these 8 questions gave overall 60.0, per question
    // [0, 100, 30, 60, 90, 100, 0, 100] and per answer type yes/no 0, number 100, other 63.33333333.
    const gts = [
      Array<string>(10).fill('yes'),
      ['2', '2', 'two', 'Two', '2 ', '3', '3', '3', '3', '3'],
      ten(1),
      ten(2),
      ten(3),
      ten(4),
      ten(0),
      ['The Dog', 'dog', 'dogs', 'a dog', 'dog.', 'cat', 'cat', 'cat', 'cat', 'cat'],
    ];
    const preds = ['Yes', 'two', 'red', 'red', 'red', 'red', 'red', 'dog'];
    const types = ['yes/no', 'number', 'other', 'other', 'other', 'other', 'other', 'other'];
    const r = vqaAccuracy(preds, gts, { answerTypes: types, questionTypes: types.map(() => 'what') });
    expect(r.overall).toBeCloseTo(60, 10);
    r.perQuestion.forEach((a, i) => expect(a).toBeCloseTo([0, 1, 0.3, 0.6, 0.9, 1, 0, 1][i], 12));
    expect(Object.keys(r.perAnswerType).sort()).toEqual(['number', 'other', 'yes/no']);
    expect(r.perAnswerType['yes/no']).toBe(0);
    expect(r.perAnswerType['number']).toBeCloseTo(100, 10);
    expect(r.perAnswerType['other']).toBeCloseTo(63.33333333, 7);
    expect(r.perQuestionType['what']).toBeCloseTo(60, 10);
    expect(vqaAccuracy(preds, gts).perAnswerType).toEqual({});
  });

  test('rejects malformed input', () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as UniAdapterError).code;
      }
      return undefined;
    };
    expect(err(() => vqaAccuracy(['a'], []))).toBe('ERR_ARG');
    expect(err(() => vqaAccuracy([], []))).toBe('ERR_ARG');
    expect(err(() => vqaSoftScore('a', ['a']))).toBe('ERR_DATA');
    expect(err(() => vqaSoftScore('a', ['a', 3 as unknown as string]))).toBe('ERR_DATA');
    expect(err(() => vqaAccuracy(['a'], [['a', 'b']], { answerTypes: ['x', 'y'] }))).toBe('ERR_ARG');
    expect(err(() => vqaSoftScore('a', ['a', 'b'], 'never' as 'always'))).toBe('ERR_ARG');
  });
});

describe('exact-match accuracy (MSRVTT-QA)', () => {
  test('strict string equality, in percent', () => {
    expect(exactMatchAccuracy(['a', 'b', 'C', 'd '], ['a', 'x', 'c', 'd'])).toBe(25);
    expect(exactMatchAccuracy(['man'], ['man'])).toBe(100);
  });
  test('rejects mismatched lengths and empty lists', () => {
    expect(() => exactMatchAccuracy(['a'], ['a', 'b'])).toThrow(UniAdapterError);
    expect(() => exactMatchAccuracy([], [])).toThrow(/no predictions/);
  });
});
