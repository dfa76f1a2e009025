import * as fs from 'fs';
import { readAnnotationFiles, readAnnotationRecords } from '../lib/data/datasets/annotation-file';
import { BadRecordLog, formatLocation } from '../lib/data/datasets/bad-records';
import { put, putJson, rejection, tempTree } from './helpers/dataset-files';

describe('annotation files', () => {
  let root: string;
  beforeAll(() => (root = tempTree()));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a JSON list: records with index, and line numbers on demand', async () => {
    const f = putJson(root, 'a.json', [{ a: 1 }, { a: 2 }, { a: 3 }]);
    const recs = await readAnnotationRecords(f, new BadRecordLog('fail'));
    expect(recs.map((r) => r.value)).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(recs.map((r) => r.loc.index)).toEqual([0, 1, 2]);
    // pretty-printed: "[", "  {", '    "a": 1', "  },", "  {" …
    expect(recs.map((r) => r.loc.line)).toEqual([2, 5, 8]);
    expect(formatLocation(recs[1].loc)).toBe(`${f}:5 (record 1)`);
  });

  test('JSON lines: by extension or by shape; blank lines ignored', async () => {
    const f = put(root, 'b.jsonl', '{"a":1}\n\n{"a":2}\n');
    const recs = await readAnnotationRecords(f, new BadRecordLog('fail'));
    expect(recs.map((r) => [r.value, r.loc.line, r.loc.index])).toEqual([
      [{ a: 1 }, 1, 0],
      [{ a: 2 }, 3, 1],
    ]);
    const g = put(root, 'b2.json', '{"a":1}\n{"a":2}\n');
    expect((await readAnnotationRecords(g, new BadRecordLog('fail'))).length).toBe(2);
  });

  test('a malformed JSON line: fail names file and line; skip counts it', async () => {
    const f = put(root, 'c.jsonl', '{"a":1}\n{"a":\n{"a":3}\n');
    const e = await rejection(readAnnotationRecords(f, new BadRecordLog('fail')));
    expect(e.code).toBe('ERR_DATA');
    expect(e.message).toContain(`${f}:2 (record 1)`);
    expect(e.message).toMatch(/malformed JSON/);
    const log = new BadRecordLog('skip');
    const recs = await readAnnotationRecords(f, log);
    expect(recs.map((r) => r.value)).toEqual([{ a: 1 }, { a: 3 }]);
    expect(log.count).toBe(1);
    expect(log.records[0]).toMatchObject({ file: f, line: 2, index: 1 });
  });

  test('a malformed element inside a JSON list is isolated', async () => {
    const text = '[\n  {"a": 1},\n  {"a": tru},\n  {"a": "x,]}"},\n  {"a": 4}\n]\n';
    const f = put(root, 'd.json', text);
    const e = await rejection(readAnnotationRecords(f, new BadRecordLog('fail')));
    expect(e.message).toContain(`${f}:3 (record 1)`);
    const log = new BadRecordLog('skip');
    const recs = await readAnnotationRecords(f, log);
    expect(recs.map((r) => r.value)).toEqual([{ a: 1 }, { a: 'x,]}' }, { a: 4 }]);
    expect(recs.map((r) => r.loc.line)).toEqual([2, 4, 5]);
    expect(log.records.map((r) => [r.line, r.index])).toEqual([[3, 1]]);
  });

  test('a list whose brackets do not balance fails whatever the policy', async () => {
    const f = put(root, 'e.json', '[\n {"a": 1},\n {"a": 2\n]\n');
    const e = await rejection(readAnnotationRecords(f, new BadRecordLog('skip')));
    expect(e.code).toBe('ERR_DATA');
    expect(e.message).toContain(f);
  });

  test('not a list, or missing file', async () => {
    const f = putJson(root, 'f.json', { a: 1 });
    expect((await rejection(readAnnotationRecords(f, new BadRecordLog('skip')))).message).toMatch(/expected a JSON list/);
    const g = await rejection(readAnnotationRecords(`${root}/missing.json`, new BadRecordLog('skip')));
    expect(g.code).toBe('ERR_IO');
    expect(g.message).toMatch(/not found/);
  });

  test('several files are read in order, each record keeping its own file', async () => {
    const a = putJson(root, 'g1.json', [{ a: 1 }]);
    const b = putJson(root, 'g2.json', [{ a: 2 }, { a: 3 }]);
    const recs = await readAnnotationFiles([a, b], new BadRecordLog('fail'));
    expect(recs.map((r) => [r.loc.file, r.loc.index])).toEqual([
      [a, 0],
      [b, 0],
      [b, 1],
    ]);
  });

  test('an unknown policy is ERR_ARG', () => {
    expect(() => new BadRecordLog('ignore' as never)).toThrow(/onBadRecord/);
  });
});
