import { OUTSIDE_SHORTLIST_SCORE, topKIndices } from '../lib/evaluation/metrics';
import { UniAdapterError } from '../lib/errors';

it('scores outside the shortlist are -100, as the official matrices', () => {
  expect(OUTSIDE_SHORTLIST_SCORE).toBe(-100);
});

describe('topKIndices', () => {
  test('best first; ties take the lower index first', () => {
    expect(topKIndices([0.1, 0.5, 0.5, 0.2], 2)).toEqual([1, 2]);
    expect(topKIndices([0.1, 0.5, 0.5, 0.2], 3)).toEqual([1, 2, 3]);
    expect(topKIndices([0.3, 0.3, 0.3], 2)).toEqual([0, 1]);
    expect(topKIndices([1, 3, 2], 10)).toEqual([1, 2, 0]); // k > n takes the whole row
  });

  test('agrees with a stable descending sort on rows full of ties', () => {
    let x = 7;
    const next = () => {
      x = (x * 48271) % 2147483647;
      return x;
    };
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + (next() % 60);
      const row = Array.from({ length: n }, () => next() % 5); // values 0..4: many ties
      const k = 1 + (next() % (n + 3));
      const want = row
        .map((v, i) => [v, i] as const)
        .sort((a, b) => b[0] - a[0] || a[1] - b[1])
        .slice(0, k)
        .map(([, i]) => i);
      expect(topKIndices(row, k)).toEqual(want);
    }
  });

  test('rejects k < 1 and NaN', () => {
    expect(() => topKIndices([1, 2], 0)).toThrow(UniAdapterError);
    expect(() => topKIndices([1, NaN], 1)).toThrow(/row\[1\]/);
  });
});
