/**
 * Typed access to the fields of raw annotation records. A field that is missing or of the wrong type
 * raises a {@link RecordError} whose message becomes the bad-record reason.
 */
import { BadRecordLog } from './bad-records';
import { describeJson, type Located } from './annotation-file';

/** A raw record: a JSON object. */
export type RawRecord = Record<string, unknown>;

/** The reason a record is bad; caught by {@link validateRecords} and reported with its location. */
export class RecordError extends Error {}

/** The record as an object, or a RecordError. */
export function asRecord(v: unknown): RawRecord {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new RecordError(`expected an object, found ${describeJson(v)}`);
  }
  return v as RawRecord;
}

function firstPresent(r: RawRecord, names: readonly string[]): [string, unknown] | undefined {
  for (const n of names) if (r[n] !== undefined && r[n] !== null) return [n, r[n]];
  return undefined;
}

function fieldList(names: readonly string[]): string {
  return names.length === 1 ? `'${names[0]}'` : names.map((n) => `'${n}'`).join(' or ');
}

/** A non-empty string from the first present field among `names`. */
export function stringField(r: RawRecord, ...names: string[]): string {
  const f = firstPresent(r, names);
  if (f === undefined) throw new RecordError(`missing field ${fieldList(names)}`);
  if (typeof f[1] !== 'string') throw new RecordError(`field '${f[0]}' must be a string, found ${describeJson(f[1])}`);
  if (f[1].trim().length === 0) throw new RecordError(`field '${f[0]}' is empty`);
  return f[1];
}

/** Like {@link stringField} but undefined when none of the fields is present. */
export function optionalStringField(r: RawRecord, ...names: string[]): string | undefined {
  return firstPresent(r, names) === undefined ? undefined : stringField(r, ...names);
}

/** An identifier given as a string or an integer, as a string. */
export function idField(r: RawRecord, ...names: string[]): string {
  const f = firstPresent(r, names);
  if (f === undefined) throw new RecordError(`missing field ${fieldList(names)}`);
  if (typeof f[1] === 'number' && Number.isFinite(f[1])) return String(f[1]);
  if (typeof f[1] === 'string' && f[1].length > 0) return f[1];
  throw new RecordError(`field '${f[0]}' must be a string or a number, found ${describeJson(f[1])}`);
}

/** An identifier that is kept as a number when it is one (question ids). */
export function optionalIdValue(r: RawRecord, ...names: string[]): number | string | undefined {
  const f = firstPresent(r, names);
  if (f === undefined) return undefined;
  if ((typeof f[1] === 'number' && Number.isFinite(f[1])) || (typeof f[1] === 'string' && f[1].length > 0)) {
    return f[1] as number | string;
  }
  throw new RecordError(`field '${f[0]}' must be a string or a number, found ${describeJson(f[1])}`);
}

/** A string or a non-empty list of strings, as a list. */
export function stringsField(r: RawRecord, ...names: string[]): string[] {
  const f = firstPresent(r, names);
  if (f === undefined) throw new RecordError(`missing field ${fieldList(names)}`);
  const v = f[1];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) throw new RecordError(`field '${f[0]}' must be a string or a list of strings, found ${describeJson(v)}`);
  if (v.length === 0) throw new RecordError(`field '${f[0]}' is an empty list`);
  v.forEach((s, i) => {
    if (typeof s !== 'string') throw new RecordError(`field '${f[0]}'[${i}] must be a string, found ${describeJson(s)}`);
  });
  return v as string[];
}

/**
 * Converts raw records with `fn`; records for which `fn` throws a RecordError are reported to `log`
 * with their location and left out. Other errors propagate.
 */
export function validateRecords<T>(
  items: Array<Located<unknown>>,
  log: BadRecordLog,
  fn: (r: RawRecord, item: Located<unknown>) => T
): Array<Located<T>> {
  const out: Array<Located<T>> = [];
  for (const it of items) {
    try {
      out.push({ value: fn(asRecord(it.value), it), loc: it.loc });
    } catch (e) {
      if (!(e instanceof RecordError)) throw e;
      log.report(it.loc, e.message);
    }
  }
  return out;
}
