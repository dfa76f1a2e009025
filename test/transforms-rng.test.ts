/** The seedable xoshiro128** generator used by the data transforms. */
import { Rng } from '../lib/data/rng';

test('xoshiro128** reference outputs (reference C implementation)', () => {
  const r = new Rng([1, 2, 3, 4]);
  expect([1, 2, 3, 4, 5, 6].map(() => r.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
});

test('seeding through splitmix64 (reference C implementation)', () => {
  const r = new Rng(42);
  expect(r.getState()).toEqual([803958421, 3184996902, 2993090819, 686809907]);
  expect([1, 2, 3, 4].map(() => r.nextUint32())).toEqual([1776835114, 4165204688, 17111135, 2317295270]);
  expect(new Rng(42n).getState()).toEqual(new Rng(42).getState());
});

test('same seed, same sequence; different seeds differ', () => {
  const a = new Rng(7);
  const b = new Rng(7);
  const c = new Rng(8);
  const sa = Array.from({ length: 100 }, () => a.next());
  expect(Array.from({ length: 100 }, () => b.next())).toEqual(sa);
  expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(sa);
});

test('state save / restore resumes the sequence exactly', () => {
  const a = new Rng(123);
  for (let i = 0; i < 17; i++) a.next();
  const saved = a.getState();
  const expected = Array.from({ length: 50 }, () => a.int(1000));
  const b = new Rng(0);
  b.setState(JSON.parse(JSON.stringify(saved)));
  expect(Array.from({ length: 50 }, () => b.int(1000))).toEqual(expected);
  const c = new Rng(saved);
  expect(Array.from({ length: 50 }, () => c.int(1000))).toEqual(expected);
});

test('clone does not advance the original', () => {
  const a = new Rng(5);
  const k = a.clone();
  expect(k.next()).toBe(a.next());
});

test('next, uniform and int stay in range and are roughly uniform', () => {
  const r = new Rng(2024);
  const n = 60000;
  const counts = new Array(6).fill(0);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    expect(u >= 0 && u < 1).toBe(true);
    sum += u;
    const v = r.uniform(-3, 5);
    if (!(v >= -3 && v < 5)) throw new Error(`uniform out of range: ${v}`);
    counts[r.int(6)]++;
  }
  expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
  for (const c of counts) expect(Math.abs(c / n - 1 / 6)).toBeLessThan(0.01);
  expect(r.int(1)).toBe(0);
});

test('invalid seeds and states are ERR_ARG', () => {
  for (const bad of [-1, 1.5, NaN]) expect(() => new Rng(bad)).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
  expect(() => new Rng([0, 0, 0, 0])).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
  expect(() => new Rng(1).setState([1, 2, 3])).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
  expect(() => new Rng(1).int(0)).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
});
