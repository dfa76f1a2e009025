/**
 * Two-dimensional score matrices as the evaluation code accepts them: either an array of rows
 * (`number[][]`, `Float32Array[]`) or a dense row-major block with a shape (a `HostTensor` of
 * float32/float64 fits).
 */
import { UniAdapterError } from '../../errors';

/** A dense row-major matrix, shaped like a float32 `HostTensor`. */
export interface DenseScoreMatrix {
  dtype: 'float32';
  shape: [number, number];
  data: Float32Array;
}

/**
 * A score matrix: rows of numbers, or `{ shape: [rows, cols], data }` in row-major order
 * (a `dtype`, when present, must be `float32` or `float64`).
 */
export type ScoreMatrix =
  | ReadonlyArray<ArrayLike<number>>
  | { readonly shape: readonly number[]; readonly data: ArrayLike<number>; readonly dtype?: string };

/** Read access to a validated score matrix, one row at a time. */
export interface ScoreMatrixView {
  readonly rows: number;
  readonly cols: number;
  /** Row `i` (a view where the storage allows, never a copy the caller must not touch). */
  row(i: number): ArrayLike<number>;
}

function isDense(m: ScoreMatrix): m is { shape: readonly number[]; data: ArrayLike<number>; dtype?: string } {
  return !Array.isArray(m) && typeof m === 'object' && m !== null && 'shape' in m && 'data' in m;
}

function sliceOf(data: ArrayLike<number>, start: number, end: number): ArrayLike<number> {
  if (ArrayBuffer.isView(data)) return (data as unknown as Float32Array).subarray(start, end);
  if (Array.isArray(data)) return data.slice(start, end);
  const out = new Array<number>(end - start);
  for (let i = start; i < end; i++) out[i - start] = data[i];
  return out;
}

/**
 * Validates the structure of a score matrix (not its values) and returns a row view.
 * Throws `ERR_SHAPE` for ragged rows or a shape that does not match the data length, and `ERR_ARG`
 * for something that is not a matrix or a non-float dtype.
 */
export function viewScoreMatrix(name: string, m: ScoreMatrix): ScoreMatrixView {
  if (isDense(m)) {
    if (m.dtype !== undefined && m.dtype !== 'float32' && m.dtype !== 'float64') {
      throw new UniAdapterError('ERR_ARG', `${name}: dtype must be float32 or float64, got ${m.dtype}`);
    }
    const shape = m.shape;
    if (shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new UniAdapterError('ERR_SHAPE', `${name}: expected a 2-D shape [rows, cols], got [${shape.join(', ')}]`);
    }
    const [rows, cols] = shape;
    if (m.data.length !== rows * cols) {
      throw new UniAdapterError(
        'ERR_SHAPE',
        `${name}: shape [${rows}, ${cols}] needs ${rows * cols} values, data has ${m.data.length}`,
      );
    }
    return { rows, cols, row: (i) => sliceOf(m.data, i * cols, (i + 1) * cols) };
  }
  if (!Array.isArray(m)) {
    throw new UniAdapterError('ERR_ARG', `${name}: expected an array of rows or { shape, data }`);
  }
  const rows = m.length;
  const cols = rows > 0 ? (m[0]?.length ?? -1) : 0;
  for (let i = 0; i < rows; i++) {
    const r = m[i];
    if (r === null || typeof r !== 'object' || typeof r.length !== 'number') {
      throw new UniAdapterError('ERR_ARG', `${name}: row ${i} is not an array of numbers`);
    }
    if (r.length !== cols) {
      throw new UniAdapterError('ERR_SHAPE', `${name}: row ${i} has ${r.length} values, row 0 has ${cols}`);
    }
  }
  return { rows, cols, row: (i) => m[i] };
}

/** Returns the transpose as a dense float32 matrix (e.g. image-text sims to text-image sims). */
export function transposeScores(m: ScoreMatrix): DenseScoreMatrix {
  const v = viewScoreMatrix('scores', m);
  const out = new Float32Array(v.rows * v.cols);
  for (let i = 0; i < v.rows; i++) {
    const r = v.row(i);
    for (let j = 0; j < v.cols; j++) out[j * v.rows + i] = r[j];
  }
  return { dtype: 'float32', shape: [v.cols, v.rows], data: out };
}

/** Throws `ERR_ARG` naming the position when `v` is not a number or is NaN. */
export function checkScore(name: string, i: number, j: number, v: number): void {
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new UniAdapterError('ERR_ARG', `${name}[${i}][${j}] is ${String(v)}; scores must be numbers (not NaN)`);
  }
}
