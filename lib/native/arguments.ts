/**
 * What crosses to the native addon is first copied here into plain data: options into null-prototype
 * objects of booleans, numbers, strings and arrays, tensor maps into null-prototype objects of own
 * entries. The addon reads every enumerable property, inherited ones included, and turns any
 * JavaScript exception it meets (a throwing getter, a Proxy) or any buffer it cannot take (a
 * SharedArrayBuffer) into a generic ERR_NATIVE; here they become an ERR_ARG that names the option or
 * tensor. A tensor or option may have any name, `__proto__` included.
 */
import { UniAdapterError } from '../errors';
import type { OptionObject, OptionValue } from './addon';
import type { HostTensor, TensorMap } from '../tensor';

/** The addon's own nesting limit for options. */
const MAX_OPTION_DEPTH = 8;

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Reads `object[key]`, turning an exception (a getter, a Proxy trap) into ERR_ARG about `what`. */
function readProperty(object: object, key: string, what: string): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch (e) {
    throw new UniAdapterError('ERR_ARG', `${what} cannot be read: ${reason(e)}`, { cause: e });
  }
}

function ownKeys(object: object, what: string): string[] {
  try {
    return Object.keys(object);
  } catch (e) {
    throw new UniAdapterError('ERR_ARG', `the keys of ${what} cannot be read: ${reason(e)}`, { cause: e });
  }
}

function define<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isSharedBuffer(value: unknown): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  if (value instanceof SharedArrayBuffer) return true;
  return ArrayBuffer.isView(value) && value.buffer instanceof SharedArrayBuffer;
}

function plainValue(value: unknown, key: string, depth: number): OptionValue {
  if (Array.isArray(value)) {
    const n = readProperty(value, 'length', `option '${key}'`) as number;
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(readProperty(value, String(i), `option '${key}[${i}]'`));
    return out as OptionValue;
  }
  if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
    return plainOptions(value as OptionObject, key, depth + 1);
  }
  return value as OptionValue;
}

/**
 * A plain copy of native options: own enumerable properties only, every getter run once here.
 *
 * @throws UniAdapterError ERR_ARG naming the option whose value cannot be read, or for nesting
 *   deeper than the addon accepts (a cyclic object)
 */
export function plainOptions(options: OptionObject | undefined, prefix = '', depth = 0): OptionObject {
  const out = Object.create(null) as OptionObject;
  if (options === undefined || options === null) return out;
  if (typeof options !== 'object') {
    throw new UniAdapterError('ERR_ARG', `options must be an object, got ${typeof options}`);
  }
  if (depth > MAX_OPTION_DEPTH) {
    throw new UniAdapterError('ERR_ARG', `options are nested more than ${MAX_OPTION_DEPTH} levels deep at '${prefix}' (a cyclic object?)`);
  }
  for (const key of ownKeys(options, prefix ? `option '${prefix}'` : 'the options')) {
    const name = prefix ? `${prefix}.${key}` : key;
    define(out, key, plainValue(readProperty(options, key, `option '${name}'`), name, depth));
  }
  return out;
}

/**
 * A plain copy of a tensor map: own entries only, each tensor's dtype, shape and data read once.
 *
 * @throws UniAdapterError ERR_ARG naming the tensor whose fields cannot be read, or whose data lies in
 *   a SharedArrayBuffer (which the addon cannot take)
 */
export function plainTensors(inputs: TensorMap | undefined): TensorMap {
  const out = Object.create(null) as TensorMap;
  if (inputs === undefined || inputs === null) return out;
  if (typeof inputs !== 'object') {
    throw new UniAdapterError('ERR_ARG', `tensor inputs must be an object of named tensors, got ${typeof inputs}`);
  }
  for (const name of ownKeys(inputs, 'the tensor inputs')) {
    const tensor = readProperty(inputs, name, `tensor '${name}'`);
    if (tensor === undefined || tensor === null || typeof tensor !== 'object') {
      define(out, name, tensor as HostTensor); // the addon skips or names it
      continue;
    }
    const dtype = readProperty(tensor, 'dtype', `tensor '${name}': its dtype`);
    const shape = readProperty(tensor, 'shape', `tensor '${name}': its shape`);
    const data = readProperty(tensor, 'data', `tensor '${name}': its data`);
    if (isSharedBuffer(data)) {
      throw new UniAdapterError(
        'ERR_ARG',
        `tensor '${name}': its data lies in a SharedArrayBuffer, which cannot be handed to the native side; copy it into an ordinary typed array first (e.g. new Float32Array(data))`
      );
    }
    const plainShape = Array.isArray(shape)
      ? Array.from({ length: shape.length }, (_, i) => readProperty(shape, String(i), `tensor '${name}': its shape`))
      : shape;
    define(out, name, { dtype, shape: plainShape, data } as HostTensor);
  }
  return out;
}
