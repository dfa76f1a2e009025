/**
 * The store's LanceDB table layout and its rows as Arrow record batches built straight from the items'
 * typed arrays (no per-number JavaScript conversion, which dominated ingest time at a million items).
 *
 * | column      | type                          | kinds         |
 * |-------------|-------------------------------|---------------|
 * | id          | utf8                          | all           |
 * | row         | int32 (token record, -1: none) | image, video |
 * | vector      | fixed list of E float32 (ITC) | all           |
 * | frames      | fixed list of T·E float32     | video         |
 * | source      | utf8 (media path)             | image, video  |
 * | text        | utf8                          | text          |
 * | input_ids   | fixed list of L int32         | text          |
 * | attention   | fixed list of L int32         | text          |
 * | metadata…   | utf8, float64 or bool, nullable | all         |
 */
import { Bool, Field, FixedSizeList, Float32, Float64, Int32, makeData, RecordBatch, Schema, Struct, Table, Utf8, vectorFromArray, type Data, type DataType } from 'apache-arrow';
import type { MetadataType, StoreManifest } from './store-manifest';

/** One row's values, typed arrays as the items carry them. */
export interface TableRow {
  id: string;
  row: number;
  vector: Float32Array;
  frames?: Float32Array;
  source?: string;
  text?: string;
  inputIds?: Int32Array;
  attention?: Int32Array;
  metadata?: Record<string, string | number | boolean>;
}

function metadataType(t: MetadataType): DataType {
  return t === 'string' ? new Utf8() : t === 'number' ? new Float64() : new Bool();
}

function listOf(child: DataType, size: number): FixedSizeList {
  return new FixedSizeList(size, new Field('item', child, true));
}

interface Column {
  field: Field;
  data: (rows: readonly TableRow[]) => Data;
}

function fixedList<T extends Float32Array | Int32Array>(size: number, child: Float32 | Int32, pick: (r: TableRow) => T | undefined, Flat: new (n: number) => T): Column['data'] {
  return (rows) => {
    const flat = new Flat(rows.length * size);
    rows.forEach((r, i) => {
      const v = pick(r);
      if (v) flat.set(v, i * size);
    });
    const values = makeData({ type: child, length: flat.length, nullCount: 0, data: flat } as never) as Data;
    return makeData({ type: listOf(child, size), length: rows.length, nullCount: 0, child: values });
  };
}

function utf8(pick: (r: TableRow) => string): Column['data'] {
  return (rows) => vectorFromArray(rows.map(pick), new Utf8()).data[0];
}

/** The columns of a store of this manifest, in schema order. */
function columnsOf(m: StoreManifest): Column[] {
  const cols: Column[] = [
    { field: new Field('id', new Utf8(), false), data: utf8((r) => r.id) },
    { field: new Field('vector', listOf(new Float32(), m.embedDim), false), data: fixedList(m.embedDim, new Float32(), (r) => r.vector, Float32Array) },
  ];
  if (m.kind === 'text') {
    const L = m.textLength as number;
    cols.push(
      { field: new Field('text', new Utf8(), false), data: utf8((r) => r.text ?? '') },
      { field: new Field('input_ids', listOf(new Int32(), L), false), data: fixedList(L, new Int32(), (r) => r.inputIds, Int32Array) },
      { field: new Field('attention', listOf(new Int32(), L), false), data: fixedList(L, new Int32(), (r) => r.attention, Int32Array) }
    );
  } else {
    cols.push(
      { field: new Field('row', new Int32(), false), data: (rows) => makeData({ type: new Int32(), length: rows.length, nullCount: 0, data: Int32Array.from(rows, (r) => r.row) }) },
      { field: new Field('source', new Utf8(), false), data: utf8((r) => r.source ?? '') }
    );
    if (m.kind === 'video') {
      const size = m.frames * m.embedDim;
      cols.push({ field: new Field('frames', listOf(new Float32(), size), false), data: fixedList(size, new Float32(), (r) => r.frames, Float32Array) });
    }
  }
  for (const [name, type] of Object.entries(m.metadata)) {
    cols.push({ field: new Field(name, metadataType(type), true), data: (rows) => vectorFromArray(rows.map((r) => r.metadata?.[name] ?? null), metadataType(type) as never).data[0] as Data });
  }
  return cols;
}

export function schemaOf(m: StoreManifest): Schema {
  return new Schema(columnsOf(m).map((c) => c.field));
}

/** The rows as one Arrow table of the store's schema. */
export function tableOf(m: StoreManifest, rows: readonly TableRow[]): Table {
  const cols = columnsOf(m);
  const schema = new Schema(cols.map((c) => c.field));
  const children = cols.map((c) => c.data(rows));
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children }));
  return new Table([batch]);
}
