/**
 * Reading annotation files — a JSON list (`[{…}, {…}]`) or JSON lines (one object per line) — into
 * raw values that keep their location (file, index, line) for error messages.
 *
 * A JSON list is parsed in one go; only when that fails is it split into its top-level elements so
 * that a malformed element can be reported (and skipped) on its own. A file whose brackets do not
 * balance cannot be split and always fails.
 */
import { promises as fsp } from 'fs';
import { UniAdapterError } from '../../errors';
import { BadRecordLog, type RecordLocation } from './bad-records';

/** A raw value from an annotation file and where it came from. */
export interface Located<T> {
  value: T;
  loc: RecordLocation;
}

/** Reads a whole text file, turning fs errors into `ERR_IO` that name the file. */
export async function readTextFile(file: string, what = 'annotation file'): Promise<string> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UniAdapterError(
      'ERR_IO',
      code === 'ENOENT' ? `${what} not found: '${file}'` : `cannot read ${what} '${file}': ${(e as Error).message}`,
      { cause: e }
    );
  }
}

function lineAt(text: string, offset: number, from = 0, fromLine = 1): number {
  let line = fromLine;
  for (let i = from; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

interface Span {
  start: number;
  end: number;
}

/**
 * Splits the text of a JSON list into the spans of its top-level elements, honouring strings and
 * nesting. Returns undefined when the list is not closed or its brackets do not balance.
 */
function splitTopLevel(text: string): Span[] | undefined {
  let i = 0;
  while (i < text.length && /\s/.test(text[i])) i++;
  if (text[i] !== '[') return undefined;
  i++;
  const spans: Span[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      if (start < 0) start = i;
    } else if (c === '{' || c === '[') {
      if (start < 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      if (depth === 0) {
        if (c !== ']') return undefined;
        if (start >= 0) spans.push({ start, end: i });
        for (let j = i + 1; j < text.length; j++) if (!/\s/.test(text[j])) return undefined;
        return spans;
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      if (start >= 0) spans.push({ start, end: i });
      else spans.push({ start: i, end: i }); // an empty element: reported as malformed
      start = -1;
    } else if (start < 0 && !/\s/.test(c)) {
      start = i;
    }
  }
  return undefined;
}

/** The 1-based line of each top-level element of a JSON list (computed on demand). */
function elementLines(text: string): number[] | undefined {
  const spans = splitTopLevel(text);
  if (spans === undefined) return undefined;
  const lines: number[] = [];
  let off = 0;
  let line = 1;
  for (const s of spans) {
    line = lineAt(text, s.start, off, line);
    off = s.start;
    lines.push(line);
  }
  return lines;
}

function syntaxPosition(e: unknown): number | undefined {
  const m = /position (\d+)/.exec((e as Error)?.message ?? '');
  return m ? Number(m[1]) : undefined;
}

function looksLikeJsonLines(file: string, text: string): boolean {
  if (/\.(jsonl|ndjson)$/i.test(file)) return true;
  const t = text.trimStart();
  return t.startsWith('{') && /\}\s*\r?\n\s*\{/.test(t);
}

function readJsonLines(file: string, text: string, log: BadRecordLog): Array<Located<unknown>> {
  const out: Array<Located<unknown>> = [];
  const lines = text.split('\n');
  let index = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw.length === 0) continue;
    const loc: RecordLocation = { file, index: index++, line: i + 1 };
    try {
      out.push({ value: JSON.parse(raw) as unknown, loc });
    } catch (e) {
      log.report(loc, `malformed JSON: ${(e as Error).message}`);
    }
  }
  return out;
}

/**
 * Reads the records of an annotation file: a JSON list, or JSON lines (`.jsonl`/`.ndjson`, or a file
 * of one object per line). Each record keeps its location; records that are not valid JSON are
 * reported to `log` (skipped or fatal according to its policy).
 *
 * @throws UniAdapterError `ERR_IO` when the file cannot be read, `ERR_DATA` when it is not a JSON list
 *   or JSON lines, or (policy 'fail') when a record is malformed.
 */
export async function readAnnotationRecords(file: string, log: BadRecordLog): Promise<Array<Located<unknown>>> {
  const text = await readTextFile(file);
  if (looksLikeJsonLines(file, text)) return readJsonLines(file, text, log);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const spans = splitTopLevel(text);
    if (spans === undefined) {
      const pos = syntaxPosition(e);
      const where = pos !== undefined ? `:${lineAt(text, pos)}` : '';
      throw new UniAdapterError(
        'ERR_DATA',
        `${file}${where}: not a valid JSON list of records (${(e as Error).message})`,
        { cause: e }
      );
    }
    // Parse element by element so one malformed record does not sink the file.
    const out: Array<Located<unknown>> = [];
    let line = 1;
    let off = 0;
    spans.forEach((s, index) => {
      line = lineAt(text, s.start, off, line);
      off = s.start;
      const loc: RecordLocation = { file, index, line };
      try {
        out.push({ value: JSON.parse(text.slice(s.start, s.end)) as unknown, loc });
      } catch (err) {
        log.report(loc, `malformed JSON: ${(err as Error).message}`);
      }
    });
    return out;
  }
  if (!Array.isArray(parsed)) {
    throw new UniAdapterError('ERR_DATA', `${file}: expected a JSON list of records, found ${describeJson(parsed)}`);
  }
  const lines = new LazyLines(text);
  return parsed.map((value, index) => ({ value, loc: new ListLocation(file, index, lines) }));
}

/** Line numbers of a JSON list's elements, computed once, the first time one is asked for. */
class LazyLines {
  private lines: number[] | undefined | null = null;

  constructor(private readonly text: string) {}

  of(index: number): number | undefined {
    if (this.lines === null) this.lines = elementLines(this.text);
    return this.lines?.[index];
  }
}

/** The location of an element of a parsed JSON list; its line is found only when read. */
class ListLocation implements RecordLocation {
  constructor(
    readonly file: string,
    readonly index: number,
    private readonly lines: LazyLines
  ) {}

  get line(): number | undefined {
    return this.lines.of(this.index);
  }
}

/** Reads a whole JSON document (an object or a list) from a file. */
export async function readJsonDocument(file: string, what = 'JSON file'): Promise<unknown> {
  const text = await readTextFile(file, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const pos = syntaxPosition(e);
    const where = pos !== undefined ? `:${lineAt(text, pos)}` : '';
    throw new UniAdapterError('ERR_DATA', `${file}${where}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
}

/** A short description of a JSON value's type for error messages. */
export function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  return typeof v === 'number' ? 'a number' : typeof v;
}

/** Reads several annotation files (for example `vqa_train.json` + `vqa_val.json` + `vg_qa.json`) in order. */
export async function readAnnotationFiles(
  files: string | readonly string[],
  log: BadRecordLog
): Promise<Array<Located<unknown>>> {
  const list = typeof files === 'string' ? [files] : files;
  if (list.length === 0) throw new UniAdapterError('ERR_ARG', 'no annotation file given');
  const out: Array<Located<unknown>> = [];
  for (const f of list) for (const r of await readAnnotationRecords(f, log)) out.push(r);
  return out;
}
