import { bleuScore, ciderD, evaluateCaptions, ngramCounts, ptbTokenize, splitTokens } from '../lib/evaluation/metrics';
import { UniAdapterError } from '../lib/errors';

// Reference numbers: derived by hand below, and cross-checked once against pycocoevalcap's Bleu and Cider
// scorers (bleu_scorer.py / cider_scorer.py) run on the same tokenised strings.

describe('n-grams', () => {
  test('counts per order, keys joined by one space', () => {
    const c = ngramCounts(splitTokens(' a b  a b '), 3);
    expect([...c[0]]).toEqual([
      ['a', 2],
      ['b', 2],
    ]);
    expect([...c[1]]).toEqual([
      ['a b', 2],
      ['b a', 1],
    ]);
    expect([...c[2]]).toEqual([
      ['a b a', 1],
      ['b a b', 1],
    ]);
    expect(splitTokens('   ')).toEqual([]);
  });
});

describe('BLEU (pycocoevalcap, closest reference length)', () => {
  const cand = 'the cat sat on the mat';
  const refs = ['the cat is on the mat', 'there is a cat on the mat'];

  test('one sentence, by hand', () => {
    // c = 6, closest reference length 6 -> no brevity penalty.
    // 1-grams: the x2 (max ref count 2), cat, on, mat match, sat does not -> 5/6
    // 2-grams: "the cat", "on the", "the mat" of 5 -> 3/5; 3-grams: "on the mat" of 4 -> 1/4; 4-grams: 0 of 3.
    // BLEU-1 = 5/6, BLEU-2 = sqrt(5/6 * 3/5) = sqrt(1/2), BLEU-3 = (1/8)^(1/3) = 1/2,
    // BLEU-4 = (1/8 * 1e-15/3)^(1/4) = 8.0343e-5 (pycocoevalcap's tiny = 1e-15 keeps it non-zero).
    const r = bleuScore([cand], [refs]);
    expect(r.scores[0]).toBeCloseTo(5 / 6, 8);
    expect(r.scores[1]).toBeCloseTo(Math.SQRT1_2, 8);
    expect(r.scores[2]).toBeCloseTo(0.5, 8);
    expect(r.scores[3] / 8.034284186199331e-5).toBeCloseTo(1, 8);
    expect(r.testLength).toBe(6);
    expect(r.refLength).toBe(6);
  });

  test('brevity penalty and corpus-level aggregation', () => {
    // Second item: "the cat" vs "the cat is on the mat": alone, p1 = p2 = 1, BP = exp(1 - 6/2) = e^-2,
    // p3 = p4 = (0 + 1e-15)/(0 + 1e-9) = 1e-6 -> BLEU-3 = 1e-2 e^-2, BLEU-4 = 1e-3 e^-2.
    // Corpus: correct 7,4,1,0 over guess 8,6,4,3; c = 8, r = 12 -> BP = e^-0.5:
    // BLEU-1 = 7/8 e^-0.5 = 0.530714, BLEU-2 = sqrt(7/8 * 4/6) e^-0.5 = 0.463245,
    // BLEU-3 = (7/8 * 4/6 * 1/4)^(1/3) e^-0.5 = 0.319255.
    const r = bleuScore([cand, 'the cat'], [refs, ['the cat is on the mat']]);
    const e2 = Math.exp(-2);
    expect(r.perItem[1][0]).toBeCloseTo(e2, 8);
    expect(r.perItem[1][1]).toBeCloseTo(e2, 8);
    expect(r.perItem[1][2] / (1e-2 * e2)).toBeCloseTo(1, 6);
    expect(r.perItem[1][3] / (1e-3 * e2)).toBeCloseTo(1, 6);
    expect(r.scores[0]).toBeCloseTo(0.5307143271158761, 9);
    expect(r.scores[1]).toBeCloseTo(0.46324544311531224, 9);
    expect(r.scores[2]).toBeCloseTo(0.31925547938151233, 9);
    expect(r.scores[3] / 5.064500821076666e-5).toBeCloseTo(1, 8);
    expect(r.refLength).toBe(12);
  });

  test("'closest' picks the shorter reference on a tie", () => {
    // c = 5, references of length 4 and 6 are equally close: r = 4, so no penalty and BLEU = 1;
    // picking 6 would give exp(1 - 6/5) = 0.819.
    const r = bleuScore(['a b c d e'], [['a b c d', 'a b c d e f']]);
    expect(r.refLength).toBe(4);
    expect(r.scores[0]).toBeCloseTo(1, 8);
    expect(r.scores[3]).toBeCloseTo(1, 8);
  });

  test('rejects bad input', () => {
    expect(() => bleuScore(['a'], [])).toThrow(UniAdapterError);
    expect(() => bleuScore(['a'], [[]])).toThrow(/no reference/);
  });
});

describe('CIDEr-D (pycocoevalcap)', () => {
  test('unigram case by hand: tf-idf cosine x 10', () => {
    // N = 2 items, every reference n-gram has df = 1: weight = tf * ln 2.
    // item 0: identical -> cosine 1 -> 10. item 1: {a, c} vs {c, d} -> 1/2 -> 5. Mean 7.5.
    const r = ciderD(['a b', 'a c'], [['a b'], ['c d']], { n: 1 });
    expect(r.perItem[0]).toBeCloseTo(10, 10);
    expect(r.perItem[1]).toBeCloseTo(5, 10);
    expect(r.score).toBeCloseTo(7.5, 10);
  });

  test('clipping: a repeated word counts at most as in the reference', () => {
    // "a a" vs "a b": cand {a: 2w}, ref {a: w, b: w}; sum min(2w, w) * w = w^2; norms 2w and sqrt(2) w
    // -> 1 / (2 sqrt 2) = 0.353553 -> x10 = 3.535534 (unclipped it would be 7.07).
    const r = ciderD(['a a', 'c'], [['a b'], ['d']], { n: 1 });
    expect(r.perItem[0]).toBeCloseTo(10 / (2 * Math.SQRT2), 10);
    expect(r.perItem[1]).toBe(0);
    expect(r.score).toBeCloseTo(1.7677669529663689, 10);
  });

  test('Gaussian length penalty on the bigram-count difference', () => {
    // n = 2, "a b" vs "a b c d": order 1 cosine 2/(sqrt2 * 2) = 0.707107, order 2 cosine 1/sqrt3 = 0.577350;
    // bigram counts 1 vs 3 -> delta = -2 -> exp(-4 / 72); item = 10 * mean * penalty = 6.075222.
    const r = ciderD(['a b', 'x'], [['a b c d'], ['y']], { n: 2 });
    const want = 10 * ((Math.SQRT1_2 + 1 / Math.sqrt(3)) / 2) * Math.exp(-4 / 72);
    expect(r.perItem[0]).toBeCloseTo(want, 10);
    expect(r.perItem[0]).toBeCloseTo(6.075221546036977, 10);
    expect(r.score).toBeCloseTo(3.0376107730184887, 10);
  });

  test('the length is counted in bigrams, so with n = 1 there is no length penalty', () => {
    // "a" vs "a b c": cosine w^2 / (w * sqrt(3) w) = 1/sqrt(3); pycocoevalcap's length counts only 2-grams,
    // which n = 1 never builds, so delta = 0 (a unigram length would give exp(-4/72)): 10/sqrt(3) = 5.773503.
    const r = ciderD(['a', 'x'], [['a b c'], ['y']], { n: 1 });
    expect(r.perItem[0]).toBeCloseTo(10 / Math.sqrt(3), 10);
  });

  test('short sentences score 0 on the missing orders; one-item corpora score 0', () => {
    // "f g" has no 3- or 4-grams: (1 + 1 + 0 + 0)/4 * 10 = 5; the 5-word item matches on all 4 orders: 10.
    const r = ciderD(['a b c d e', 'f g'], [['a b c d e'], ['f g']]);
    expect(r.perItem).toEqual([expect.closeTo(10, 10), expect.closeTo(5, 10)]);
    // log N = log 1 = 0 makes every weight 0.
    expect(ciderD(['a b c'], [['a b c']]).score).toBe(0);
  });

  test('a 4-image corpus matches pycocoevalcap', () => {
    const refs = [
      ['a man riding a horse on a beach', 'a person rides a brown horse along the shore', 'a horse and rider on the sand'],
      ['two dogs playing in the snow', 'a pair of dogs run through snow', 'dogs play in a snowy field'],
      ['a plate of food with broccoli and rice', 'a dinner plate with rice and vegetables', 'broccoli rice and chicken on a plate'],
      ['a red bus parked on the street', 'a double decker bus on a city street', 'a bus stopped next to the sidewalk'],
    ];
    const cands = [
      'a man riding a horse on the beach',
      'a dog playing in the snow',
      'a plate of rice and broccoli',
      'a bus on the street',
    ];
    const c = ciderD(cands, refs);
    [3.1560841214624, 2.1197710259623976, 2.654054734938482, 2.066536365707164].forEach((v, i) =>
      expect(c.perItem[i]).toBeCloseTo(v, 10),
    );
    expect(c.score).toBeCloseTo(2.4991115620176108, 10);
    const b = bleuScore(cands, refs);
    [0.8514436191803557, 0.7585262635989477, 0.621568491301889, 0.5059610306043684].forEach((v, k) =>
      expect(b.scores[k]).toBeCloseTo(v, 10),
    );
  });
});

describe('ptbTokenize', () => {
  test.each([
    ['A man riding a horse.', 'a man riding a horse'],
    ['Two dogs, playing in the snow!', 'two dogs playing in the snow'],
    ["A man's hat isn't red.", "a man 's hat is n't red"],
    ["They can't, we cannot; I'm gonna", "they ca n't we can not i 'm gon na"],
    ['The (big) dog {x} [y]', 'the big dog x y'],
    ['She said "hello" \u201Cthere\u201D', 'she said hello there'],
    ['1,000 people at 3:30, ok: yes', '1,000 people at 3:30 ok yes'],
    ['black-and-white photo -- old - new', 'black-and-white photo old new'],
    ['in the u.s. on 3.5 acres with mr. smith', 'in the u.s. on 3.5 acres with mr. smith'],
    ['wait... what?!', 'wait what'],
    ['  multiple   spaces\nnewline\t', 'multiple spaces newline'],
    ['50% off $5 #1', '50 % off $ 5 # 1'],
    ["the dogs' bowl 'quoted' `tick`", 'the dogs bowl quoted tick'],
    ['and/or', 'and/or'],
  ])('%j -> %j', (input, want) => {
    expect(ptbTokenize(input)).toBe(want);
  });
});

describe('evaluateCaptions', () => {
  const gtMap = new Map<number, string[]>([
    [1, ['The cat is on the mat.', 'There is a cat on the mat!']],
    [2, ['The cat is on the mat.']],
  ]);

  test('tokenises, then scores like bleuScore/ciderD on the tokens', () => {
    const res = [
      { image_id: 1, caption: 'The cat sat on the mat.' },
      { image_id: 2, caption: 'The cat.' },
    ];
    const e = evaluateCaptions(res, gtMap);
    // Same tokens as the hand-computed corpus above.
    expect(e.Bleu_1).toBeCloseTo(0.5307143271158761, 9);
    expect(e.Bleu_3).toBeCloseTo(0.31925547938151233, 9);
    expect(e.perImage.map((p) => p.image_id)).toEqual([1, 2]);
    // Every word of "the cat sat on the mat" except "sat" occurs in the references of both images (idf 0),
    // and "sat" occurs in none: pycocoevalcap gives CIDEr 0 for this corpus too.
    expect(e.CIDEr).toBe(0);
  });

  test('raw captions with capitals and punctuation reproduce the tokenised 4-image corpus', () => {
    const gt = new Map<number, string[]>([
      [10, ['A man riding a horse on a beach.', 'A person rides a brown horse along the shore.', 'A horse and rider on the sand!']],
      [11, ['Two dogs playing in the snow.', 'A pair of dogs run through snow', 'Dogs play in a snowy field...']],
      [12, ['A plate of food with broccoli, and rice.', 'A dinner plate with rice and vegetables.', 'Broccoli, rice and chicken on a plate.']],
      [13, ['A red bus parked on the street.', 'A double decker bus on a city street.', 'A bus stopped next to the sidewalk.']],
    ]);
    const e = evaluateCaptions(
      [
        { image_id: 10, caption: 'A man riding a horse on the beach.' },
        { image_id: 11, caption: 'A dog playing in the snow!' },
        { image_id: 12, caption: 'A plate of rice, and broccoli.' },
        { image_id: 13, caption: '"A bus on the street."' },
      ],
      gt,
    );
    // pycocoevalcap on the tokenised strings (see the CIDEr-D 4-image test).
    expect(e.CIDEr).toBeCloseTo(2.4991115620176108, 10);
    expect(e.Bleu_4).toBeCloseTo(0.5059610306043684, 10);
    expect(e.perImage[0].cider).toBeCloseTo(3.1560841214624, 10);
  });

  test('COCO-format ground truth; ids compared as strings; only result images are evaluated', () => {
    const coco = {
      annotations: [
        { image_id: 1, caption: 'a b c d e' },
        { image_id: 2, caption: 'f g' },
        { image_id: 3, caption: 'never evaluated' },
      ],
    };
    const e = evaluateCaptions(
      [
        { image_id: '1', caption: 'A B C D E.' },
        { image_id: 2, caption: 'f g' },
      ],
      coco,
    );
    // Same as the hand case above: (10 + 5) / 2; image 3 does not enter the document frequencies.
    expect(e.CIDEr).toBeCloseTo(7.5, 10);
    expect(e.Bleu_1).toBeCloseTo(1, 8);
  });

  test('rejects duplicates, missing ground truth and empty results', () => {
    expect(() => evaluateCaptions([{ image_id: 1, caption: 'x' }, { image_id: '1', caption: 'y' }], gtMap)).toThrow(
      /more than one/,
    );
    expect(() => evaluateCaptions([{ image_id: 9, caption: 'x' }], gtMap)).toThrow(/no ground-truth/);
    expect(() => evaluateCaptions([], gtMap)).toThrow(UniAdapterError);
  });
});
