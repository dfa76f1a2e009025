/**
 * Rounding to the nearest integer with ties to even: Python 3's `round()` and OpenCV's `cvRound`
 * (`lrint` in the default FPU mode). `Math.round` rounds ties upwards and differs on x.5.
 */

/** Rounds `x` to the nearest integer, ties to the even neighbour. */
export function roundHalfEven(x: number): number {
  let r = Math.round(x);
  if (r - x === 0.5 && r % 2 !== 0) r -= 1;
  return r;
}
