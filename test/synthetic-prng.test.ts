import { Rng } from '../lib/data/rng';
import { Prng } from '../lib/tools/synthetic/prng';

describe('synthetic Prng', () => {
  test('is xoshiro128** (reference outputs for state 1,2,3,4)', () => {
    const p = new Prng([1, 2, 3, 4]);
    expect(Array.from({ length: 6 }, () => p.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  test('a numeric seed gives the same stream as the project Rng', () => {
    const a = new Prng(12345);
    const b = new Rng(12345);
    for (let i = 0; i < 20; i++) expect(a.nextUint32()).toBe(b.nextUint32());
  });

  test('equal keys give equal streams; keys differing in any part or part type differ', () => {
    const draw = (p: Prng) => Array.from({ length: 8 }, () => p.nextUint32());
    expect(draw(Prng.fromKey(7, 'scene', 'train', 3))).toEqual(draw(Prng.fromKey(7, 'scene', 'train', 3)));
    const base = draw(Prng.fromKey(7, 'scene', 'train', 3));
    for (const other of [
      Prng.fromKey(8, 'scene', 'train', 3),
      Prng.fromKey(7, 'scene', 'test', 3),
      Prng.fromKey(7, 'scene', 'train', 4),
      Prng.fromKey(7, 'scene', 'train', '3'),
      Prng.fromKey(7, 'scene', 'train3'),
    ]) {
      expect(draw(other)).not.toEqual(base);
    }
    expect(draw(new Prng('abc'))).toEqual(draw(new Prng('abc')));
  });

  test('state can be saved and restored; clone is independent', () => {
    const p = Prng.fromKey(1, 'x');
    p.nextUint32();
    const saved = p.state;
    const c = p.clone();
    const a = [p.next(), p.int(10), p.intBetween(-3, 3)];
    p.state = saved;
    expect([p.next(), p.int(10), p.intBetween(-3, 3)]).toEqual(a);
    expect([c.next(), c.int(10), c.intBetween(-3, 3)]).toEqual(a);
    expect(new Prng(saved).nextUint32()).toBe(new Prng(saved).nextUint32());
  });

  test('helpers stay in range and cover their range', () => {
    const p = new Prng(99);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = p.intBetween(-2, 2);
      expect(v).toBeGreaterThanOrEqual(-2);
      expect(v).toBeLessThanOrEqual(2);
      seen.add(v);
    }
    expect([...seen].sort()).toEqual([-1, -2, 0, 1, 2]);
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const k = p.weighted(['a', 'b', 'c'], [1, 2, 1]);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.get('b')! / 4000).toBeCloseTo(0.5, 1);
    const s = p.sample([1, 2, 3, 4, 5, 6], 4);
    expect(new Set(s).size).toBe(4);
    expect(p.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  test('bad arguments are ERR_ARG', () => {
    const p = new Prng(1);
    expect(() => p.pick([])).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
    expect(() => p.intBetween(3, 2)).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
    expect(() => p.weighted(['a'], [0])).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
    expect(() => p.sample([1], 2)).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
    expect(() => Prng.fromKey()).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
    expect(() => Prng.fromKey(NaN)).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
  });
});
