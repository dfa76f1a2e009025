/**
 * Comparison rules of the golden fixtures (their README's tolerance table): which tolerance applies to
 * a tensor, and an element-wise check that names the worst element when it fails. The jest golden
 * tests use the table as it is; the CUDA device check widens it with `scale` (other kernels, other
 * summation orders).
 */
import { toNumbers, type HostTensor } from '../../tensor';

export interface Tolerance {
  kind: string;
  atol: number;
  rtol: number;
  exact: boolean;
}

const EXACT: Tolerance = { kind: 'exact (ids, indices, masks)', atol: 0, rtol: 0, exact: true };

// First matching rule wins.
const RULES: Array<[RegExp, Tolerance]> = [
  [/^grad\./, { kind: 'gradient', atol: 1e-5, rtol: 1e-3, exact: false }],
  [/^after\./, { kind: 'momentum/queue after the step', atol: 1e-6, rtol: 0, exact: false }],
  [/(^|_)loss|log_probs_sum/, { kind: 'loss', atol: 1e-5, rtol: 1e-5, exact: false }],
  [/last_hidden|^vit_|encoder_hidden_states|decoder_logits|rank_.*logits|greedy_step_logits|proj_raw|mean_cls|cls_mean/, {
    kind: 'hidden state / logits',
    atol: 1e-4,
    rtol: 1e-4,
    exact: false,
  }],
];
const DEFAULT: Tolerance = { kind: 'features / similarities / probabilities / scores', atol: 1e-5, rtol: 1e-4, exact: false };

/**
 * The tolerance of a fixture tensor.
 *
 * @param scale multiplies atol and rtol of inexact rules (1 = the fixtures' README); exact rules stay exact
 */
export function toleranceFor(name: string, t: HostTensor, scale = 1): Tolerance {
  if (t.dtype === 'int64' || t.dtype === 'int32' || t.dtype === 'uint8' || t.dtype === 'bool') return EXACT;
  const rule = RULES.find(([re]) => re.test(name))?.[1] ?? DEFAULT;
  return scale === 1 ? rule : { ...rule, atol: rule.atol * scale, rtol: rule.rtol * scale };
}

export interface Mismatch {
  name: string;
  message: string;
}

function indexToCoords(i: number, shape: number[]): string {
  const c: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    c.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return `[${c.join(', ')}]`;
}

/**
 * null when `actual` matches `expected` within the tolerance of `name`; else a description.
 *
 * @param scale widens the tolerance (see toleranceFor)
 */
export function compareTensor(name: string, expected: HostTensor, actual: HostTensor | undefined, scale = 1): Mismatch | null {
  if (!actual) return { name, message: `${name}: not computed` };
  if (expected.shape.join(',') !== actual.shape.join(',')) {
    return { name, message: `${name}: shape [${actual.shape}] != expected [${expected.shape}]` };
  }
  const tol = toleranceFor(name, expected, scale);
  const e = toNumbers(expected);
  const a = toNumbers(actual);
  // Score matrices: the -100 pattern must match exactly, values within tolerance.
  const scoreMatrix = /score_matrix/.test(name);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < e.length; i++) {
    const diff = Math.abs(a[i] - e[i]);
    const bound = tol.exact ? 0 : tol.atol + tol.rtol * Math.abs(e[i]);
    const patternBroken = scoreMatrix && (e[i] === -100) !== (a[i] === -100);
    const bad = patternBroken || !(diff <= bound) || Number.isNaN(a[i]) !== Number.isNaN(e[i]);
    if (bad) {
      const excess = patternBroken || Number.isNaN(a[i]) ? Infinity : diff - bound;
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (worst < 0) return null;
  return {
    name,
    message:
      `${name} (${tol.kind}, atol ${tol.atol}, rtol ${tol.rtol}): worst element ${indexToCoords(worst, expected.shape)} ` +
      `expected ${e[worst]} got ${a[worst]} (|diff| ${Math.abs(a[worst] - e[worst]).toExponential(3)})`,
  };
}
