/**
 * The entries of a checkpoint beside its state dict (epoch, config, optimizer state, ...) turned from
 * decoded pickle values into plain JavaScript values, with bounded work and depth.
 */
import { UniAdapterError } from '../errors';
import { PICKLE_LIMITS } from './pickle';

/** Sets a key on a plain object without ever touching its prototype (a key may be '__proto__'). */
export function defineEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Turns decoded pickle values into plain values: dicts with string keys become objects, other dicts
 * stay Maps, lists and tuples arrays, sets Sets. A value the pickle references from several places is
 * converted once and stays shared, so a pickle that nests one list in the next twice, eighty times
 * over, costs eighty conversions and not 2^80. Nesting deeper than PICKLE_LIMITS.maxDepth, or a
 * container that holds itself, is refused with ERR_PICKLE.
 */
export class PlainValues {
  /** Each container converted so far, with the number of container levels it holds (itself included). */
  private readonly converted = new Map<object, { value: unknown; height: number }>();
  /** The containers on the path being converted: meeting one again means a cycle. */
  private readonly open = new Set<object>();

  constructor(private readonly path: string) {}

  /** The plain form of `value`, the top-level entry `entry` of the checkpoint. */
  convert(value: unknown, entry: string): unknown {
    return this.visit(value, 0, entry).value;
  }

  private visit(value: unknown, depth: number, entry: string): { value: unknown; height: number } {
    const container = Array.isArray(value) || value instanceof Map || value instanceof Set;
    if (!container) return { value, height: 0 };
    const object = value as object;
    if (this.open.has(object)) {
      throw new UniAdapterError(
        'ERR_PICKLE',
        `${this.path}: the checkpoint entry '${entry}' holds a container that contains itself; only state dicts of tensors and plain values can be loaded`
      );
    }
    const done = this.converted.get(object);
    if (done) {
      this.checkDepth(depth + done.height, entry);
      return done;
    }
    this.checkDepth(depth + 1, entry);
    this.open.add(object);
    let height = 0;
    const child = (v: unknown) => {
      const r = this.visit(v, depth + 1, entry);
      height = Math.max(height, r.height);
      return r.value;
    };
    let out: unknown;
    if (Array.isArray(value)) {
      out = value.map(child);
    } else if (value instanceof Set) {
      out = new Set([...value].map(child));
    } else {
      const map = value as Map<unknown, unknown>;
      if ([...map.keys()].every((k) => typeof k === 'string')) {
        const record: Record<string, unknown> = {};
        for (const [k, v] of map) defineEntry(record, k as string, child(v));
        out = record;
      } else {
        const copy = new Map<unknown, unknown>();
        for (const [k, v] of map) copy.set(child(k), child(v));
        out = copy;
      }
    }
    this.open.delete(object);
    const result = { value: out, height: height + 1 };
    this.converted.set(object, result);
    return result;
  }

  private checkDepth(levels: number, entry: string): void {
    if (levels > PICKLE_LIMITS.maxDepth) {
      throw new UniAdapterError(
        'ERR_PICKLE',
        `${this.path}: the checkpoint entry '${entry}' nests containers more than ${PICKLE_LIMITS.maxDepth} levels deep; only state dicts of tensors and plain values can be loaded`
      );
    }
  }
}
