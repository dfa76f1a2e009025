/**
 * Exact search of many query vectors in one pass over a LanceDB table: each record batch's vectors are
 * scored against every query at once and each query keeps its best k rows. LanceDB's own flat search
 * (an unindexed table, or `exact`) reads the whole vector column once per query and has a fixed cost of
 * a few milliseconds per query even on a small table; one pass per batch of queries pays both once.
 */
import type * as lancedb from '@lancedb/lancedb';
import type { HostTensor } from '../tensor';

/** Scores queries [B, E] against rows [R, E]; returns [B, R] dot products (row-major). */
export type VectorScorer = (queries: HostTensor, rows: HostTensor) => Promise<HostTensor>;

/** One query's result: the row as LanceDB returns it (columns by name) and its dot product. */
export interface ScoredRow {
  row: Record<string, unknown>;
  score: number;
}

/** Dot products in JavaScript, for callers without a native scorer. */
export const scoreInJs: VectorScorer = async (queries, rows) => {
  const [B, E] = queries.shape;
  const R = rows.shape[0];
  const q = queries.data as Float32Array;
  const r = rows.data as Float32Array;
  const out = new Float32Array(B * R);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < R; i++) {
      let d = 0;
      for (let e = 0; e < E; e++) d += q[b * E + e] * r[i * E + e];
      out[b * R + i] = d;
    }
  }
  return { dtype: 'float32', shape: [B, R], data: out };
};

/** The best k of a stream of (score, position), best first; earlier positions win ties. */
class TopK {
  readonly scores: number[] = [];
  readonly items: Array<Record<string, unknown>> = [];
  constructor(private readonly k: number) {}

  /** Whether a row scoring `s` would enter (the row itself is materialised only then). */
  wants(s: number): boolean {
    return this.scores.length < this.k || s > this.scores[this.scores.length - 1];
  }

  insert(s: number, item: Record<string, unknown>): void {
    let at = this.scores.length;
    while (at > 0 && this.scores[at - 1] < s) at--;
    this.scores.splice(at, 0, s);
    this.items.splice(at, 0, item);
    if (this.scores.length > this.k) {
      this.scores.pop();
      this.items.pop();
    }
  }
}

/** The float32 values of a FixedSizeList<Float32> column chunk, [rows, E] (a view when contiguous). */
function vectorValues(column: { data: ReadonlyArray<{ offset: number; length: number; children: ReadonlyArray<{ values: Float32Array }> }> }, E: number): Float32Array {
  const chunks = column.data;
  if (chunks.length === 1) {
    const c = chunks[0];
    return c.children[0].values.subarray(c.offset * E, (c.offset + c.length) * E);
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Float32Array(total * E);
  let at = 0;
  for (const c of chunks) {
    out.set(c.children[0].values.subarray(c.offset * E, (c.offset + c.length) * E), at);
    at += c.length * E;
  }
  return out;
}

/**
 * Each query's k best rows of `table` (with the given columns) by dot product with its vector, rows
 * filtered by `where` first. Rows are read once for all queries.
 */
export async function exactSearch(
  table: lancedb.Table,
  queries: readonly Float32Array[],
  o: { k: number; columns: readonly string[]; where?: string; scorer?: VectorScorer }
): Promise<ScoredRow[][]> {
  const E = queries[0].length;
  const B = queries.length;
  const q = new Float32Array(B * E);
  queries.forEach((v, b) => q.set(v, b * E));
  const queryTensor: HostTensor = { dtype: 'float32', shape: [B, E], data: q };
  const best = queries.map(() => new TopK(o.k));
  const columns = o.columns.includes('vector') ? [...o.columns] : [...o.columns, 'vector'];
  let scan = table.query().select(columns);
  if (o.where) scan = scan.where(o.where);
  const score = o.scorer ?? scoreInJs;
  for await (const batch of scan) {
    const R = batch.numRows;
    if (R === 0) continue;
    const vectors = vectorValues(batch.getChild('vector') as unknown as Parameters<typeof vectorValues>[0], E);
    const sims = (await score(queryTensor, { dtype: 'float32', shape: [R, E], data: vectors })).data as Float32Array;
    for (let b = 0; b < B; b++) {
      const top = best[b];
      for (let i = 0; i < R; i++) {
        const s = sims[b * R + i];
        if (top.wants(s)) top.insert(s, batch.get(i) as unknown as Record<string, unknown>);
      }
    }
  }
  return best.map((t) => t.items.map((row, i) => ({ row, score: t.scores[i] })));
}
