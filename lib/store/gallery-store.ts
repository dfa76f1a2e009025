/**
 * A gallery store: a folder holding a catalogue far larger than memory. ITC vectors (and per-frame
 * features for videos), ids, the media source and user metadata live in a LanceDB table (exact search,
 * or an IVF-PQ index once built; SQL `where` filters on the metadata columns); the ITM tokens live in an
 * append-only token file (bf16 by default, fp32 or int8), read only for the items a search shortlists.
 * One writer at a time, any number of readers. An add acknowledged by its promise survives a kill: its
 * token records are on disk before its rows are committed, and LanceDB commits atomically.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import * as lancedb from '@lancedb/lancedb';
import { isUniAdapterError, UniAdapterError } from '../errors';
import { exactSearch, type ScoredRow, type VectorScorer } from './exact-scan';
import type { HostTensor } from '../tensor';
import { decodeRecord, encodeRecord, recordBytes, type TokenEncoding, type TokenStorage } from './token-codec';
import { TokenFile } from './token-file';
import { readManifest, STORE_FORMAT, writeManifest, type MetadataType, type StoreManifest } from './store-manifest';
import { WriterLock } from './writer-lock';
import { schemaOf, tableOf, type TableRow } from './store-table';

const TABLE = 'items';
const TOKENS_FILE = 'tokens.bin';
const LOCK_FILE = 'writer.lock';
/** Table versions older than this are pruned by default; a reader holding a version that old must reopen. */
const OLD_VERSIONS_KEPT_MS = 10 * 60_000;
const RESERVED = new Set(['id', 'row', 'vector', 'frames', 'source', 'text', 'input_ids', 'attention', '_distance', '_rowid']);

export type MetadataValue = string | number | boolean;

/**
 * One item as it is stored: its ITC vector, per-frame features, ITM tokens, source and metadata; in a
 * text store, the text with its token ids and attention mask (BLIP's retrieval tokenization) instead.
 */
export interface StoreItem {
  id: string;
  /** ITC feature [E] (L2-normalised). */
  features: Float32Array;
  /** A text store's text, and its padded token ids and attention mask [textLength]. */
  text?: string;
  inputIds?: Int32Array;
  attentionMask?: Int32Array;
  /** Per-frame ITC features [T·E] (videos; for frame-aware attention). */
  frameFeatures?: Float32Array;
  /** ViT outputs [T·N·W]; omitted with `tokens: 'recompute'`. */
  tokens?: Float32Array;
  /** Where the media came from (a path); needed to recompute tokens. */
  source?: string;
  metadata?: Record<string, MetadataValue>;
}

export interface CreateStoreOptions {
  kind: 'image' | 'video' | 'text';
  embedDim: number;
  /** Media shape (ignored for a text store). */
  frames?: number;
  tokensPerFrame?: number;
  width?: number;
  /** Media token storage (default bf16; a text store keeps none). */
  tokens?: TokenStorage;
  /** A text store's padded token length (BLIP: 35). */
  textLength?: number;
  fingerprint: string;
  metadata?: Record<string, MetadataType>;
}

export interface StoreHit {
  id: string;
  /** ITC similarity (the dot product of the L2-normalised features, as the in-memory gallery's). */
  itc: number;
  row: number;
  source: string;
  frameFeatures?: Float32Array;
  /** Text stores: the text; with `withTokenIds`, its ITC vector, token ids and attention mask. */
  text?: string;
  features?: Float32Array;
  inputIds?: Int32Array;
  attentionMask?: Int32Array;
  metadata: Record<string, MetadataValue>;
}

export interface VectorSearchOptions {
  k: number;
  /** A LanceDB SQL filter over the metadata columns, e.g. "category = 'shoes' AND price < 50". */
  where?: string;
  /** Bypass the ANN index (exact search). */
  exact?: boolean;
  /**
   * IVF partitions probed (default 32) and the refine factor: exact re-scoring of refineFactor·k
   * candidates (default 4 for an IVF-PQ index, whose distances are approximate; none for IVF-flat).
   */
  nprobes?: number;
  refineFactor?: number;
  /** Return the per-frame features too (video re-ranking with frame-aware attention). */
  withFrames?: boolean;
  /** Return a text store's token ids and attention masks (image → text re-ranking). */
  withTokenIds?: boolean;
}

export interface StoreInfo {
  path: string;
  manifest: StoreManifest;
  items: number;
  indexed: boolean;
  bytes: { table: number; tokens: number };
}

/** A Float32Array from any realm (arrays made by the addon or another context fail instanceof). */
function isFloat32(x: unknown): x is Float32Array {
  return Object.prototype.toString.call(x) === '[object Float32Array]';
}

function isInt32(x: unknown): x is Int32Array {
  return Object.prototype.toString.call(x) === '[object Int32Array]';
}

/** Unit length within float32 rounding of a normalised 256–768-d vector; the store ranks by dot product. */
const UNIT_TOLERANCE = 1e-3;

function checkUnit(id: string, what: string, v: Float32Array, dim: number): void {
  for (let o = 0; o < v.length; o += dim) {
    let n = 0;
    for (let i = o; i < o + dim; i++) n += v[i] * v[i];
    if (!(Math.abs(Math.sqrt(n) - 1) <= UNIT_TOLERANCE)) {
      throw new UniAdapterError('ERR_ARG', `item '${id}': ${what} must be L2-normalised (the model's ITC features are; norm ${Math.sqrt(n).toPrecision(4)}): the store ranks by dot product`);
    }
  }
}

/** IVF partitions for n vectors: about √n (about √n vectors each), at most 4096. */
export function defaultPartitions(n: number): number {
  return Math.max(1, Math.min(4096, Math.round(Math.sqrt(n))));
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

async function dirBytes(p: string): Promise<number> {
  let total = 0;
  for (const e of await fsp.readdir(p, { withFileTypes: true }).catch(() => [])) {
    const q = path.join(p, e.name);
    total += e.isDirectory() ? await dirBytes(q) : (await fsp.stat(q)).size;
  }
  return total;
}

function tableError(dir: string, e: unknown): UniAdapterError {
  return new UniAdapterError('ERR_FORMAT', `${path.join(dir, 'lance')}: the item table cannot be read (${(e as Error).message.split('\n')[0]}); the store is damaged`, { cause: e });
}

/** A LanceDB query failure as the caller's error (most often a bad `where`). */
function searchError(e: unknown, where: string | undefined): UniAdapterError {
  return new UniAdapterError('ERR_ARG', `search failed: ${(e as Error).message.split('\n')[0]}${where ? ` (where: ${where})` : ''}`, { cause: e });
}

export class GalleryStore {
  private constructor(
    readonly path: string,
    readonly manifest: StoreManifest,
    private readonly table: lancedb.Table,
    private readonly tokenFile: TokenFile | undefined,
    private readonly lock: WriterLock | undefined
  ) {}

  get writable(): boolean {
    return this.lock !== undefined;
  }

  /** Values per item's tokens (T·N·W) and tokens per item (T·N). */
  private get tokenValues(): number {
    return this.manifest.frames * this.manifest.tokensPerFrame * this.manifest.width;
  }

  /**
   * Creates an empty store in `dir` (a new or empty folder) and opens it for writing.
   *
   * @throws UniAdapterError ERR_ARG for bad shapes or metadata names, ERR_STATE when `dir` holds files
   */
  static async create(dir: string, o: CreateStoreOptions): Promise<GalleryStore> {
    if (o.kind !== 'image' && o.kind !== 'video' && o.kind !== 'text') throw new UniAdapterError('ERR_ARG', `kind must be 'image', 'video' or 'text', got '${String(o.kind)}'`);
    const text = o.kind === 'text';
    const shape = text ? { frames: 1, tokensPerFrame: 1, width: 1 } : { frames: o.frames, tokensPerFrame: o.tokensPerFrame, width: o.width };
    const sizes: Record<string, unknown> = { embedDim: o.embedDim, ...(text ? { textLength: o.textLength } : shape) };
    for (const [k, v] of Object.entries(sizes)) {
      if (!Number.isInteger(v) || (v as number) < 1) throw new UniAdapterError('ERR_ARG', `${k} must be a positive integer, got ${String(v)}`);
    }
    if (text && o.tokens !== undefined) throw new UniAdapterError('ERR_ARG', 'a text store keeps token ids, not media tokens: leave `tokens` out');
    for (const [name, type] of Object.entries(o.metadata ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || RESERVED.has(name)) {
        throw new UniAdapterError('ERR_ARG', `metadata field '${name}': use letters, digits and _ (not starting with a digit), and none of ${[...RESERVED].join(', ')}`);
      }
      if (type !== 'string' && type !== 'number' && type !== 'boolean') throw new UniAdapterError('ERR_ARG', `metadata field '${name}': type must be string, number or boolean`);
    }
    await fsp.mkdir(dir, { recursive: true });
    const present = await fsp.readdir(dir);
    if (present.length > 0) throw new UniAdapterError('ERR_STATE', `${dir} is not empty; a store is created in a new or empty folder (open it to add items)`);
    const lock = await WriterLock.acquire(path.join(dir, LOCK_FILE));
    try {
      const manifest: StoreManifest = {
        format: STORE_FORMAT,
        kind: o.kind,
        embedDim: o.embedDim,
        frames: shape.frames as number,
        tokensPerFrame: shape.tokensPerFrame as number,
        width: shape.width as number,
        tokens: text ? 'none' : o.tokens ?? 'bf16',
        ...(text ? { textLength: o.textLength } : {}),
        fingerprint: o.fingerprint,
        metadata: { ...(o.metadata ?? {}) },
        createdAt: new Date().toISOString(),
      };
      const db = await lancedb.connect(path.join(dir, 'lance'));
      const table = await db.createEmptyTable(TABLE, schemaOf(manifest));
      await writeManifest(dir, manifest);
      const tokens = await GalleryStore.openTokenFile(dir, manifest, true);
      return new GalleryStore(dir, manifest, table, tokens, lock);
    } catch (e) {
      await lock.release();
      throw e;
    }
  }

  /**
   * Opens a store for searching (any number of readers) or, with `write`, for adding and removing (one
   * writer). With `fingerprint`, the store must have been embedded by that model state.
   *
   * @throws UniAdapterError ERR_FORMAT (not a store, another version, damaged files), ERR_STATE (another
   *   writer, or a store embedded by another model state)
   */
  static async open(dir: string, options: { write?: boolean; fingerprint?: string } = {}): Promise<GalleryStore> {
    const manifest = await readManifest(dir);
    if (options.fingerprint !== undefined && options.fingerprint !== manifest.fingerprint) {
      throw new UniAdapterError(
        'ERR_STATE',
        `${dir} was embedded with another model state (store ${manifest.fingerprint}, this model ${options.fingerprint}): the backbone or the adapter differs; rebuild the store with this model`
      );
    }
    const lock = options.write ? await WriterLock.acquire(path.join(dir, LOCK_FILE)) : undefined;
    try {
      let table: lancedb.Table;
      try {
        const db = await lancedb.connect(path.join(dir, 'lance'));
        table = await db.openTable(TABLE);
        await table.countRows();
      } catch (e) {
        throw tableError(dir, e);
      }
      const tokens = await GalleryStore.openTokenFile(dir, manifest, !!options.write);
      return new GalleryStore(dir, manifest, table, tokens, lock);
    } catch (e) {
      await lock?.release();
      throw e;
    }
  }

  private static async openTokenFile(dir: string, m: StoreManifest, write: boolean): Promise<TokenFile | undefined> {
    if (m.tokens === 'recompute' || m.tokens === 'none') return undefined;
    return TokenFile.open(path.join(dir, TOKENS_FILE), recordBytes(m.tokens, m.frames * m.tokensPerFrame * m.width, m.frames * m.tokensPerFrame), write);
  }

  private checkItem(it: StoreItem): void {
    const m = this.manifest;
    if (typeof it.id !== 'string' || it.id === '') throw new UniAdapterError('ERR_ARG', 'every item needs a non-empty string id');
    if (!isFloat32(it.features) || it.features.length !== m.embedDim) {
      throw new UniAdapterError('ERR_SHAPE', `item '${it.id}': features must be a Float32Array of ${m.embedDim}`);
    }
    checkUnit(it.id, 'features', it.features, m.embedDim);
    if (it.frameFeatures !== undefined && it.frameFeatures.length !== m.frames * m.embedDim) {
      throw new UniAdapterError('ERR_SHAPE', `item '${it.id}': frameFeatures must hold ${m.frames} × ${m.embedDim} values`);
    }
    if (m.kind === 'text') {
      const L = m.textLength as number;
      if (typeof it.text !== 'string') throw new UniAdapterError('ERR_ARG', `item '${it.id}': a text store's items need their text`);
      if (!isInt32(it.inputIds) || it.inputIds.length !== L || !isInt32(it.attentionMask) || it.attentionMask.length !== L) {
        throw new UniAdapterError('ERR_SHAPE', `item '${it.id}': inputIds and attentionMask must be Int32Arrays of ${L} (the store's text length)`);
      }
    } else if (m.tokens === 'recompute') {
      if (!it.source) throw new UniAdapterError('ERR_ARG', `item '${it.id}': a 'recompute' store re-embeds items from their source path at query time, so every item needs one`);
    } else if (!isFloat32(it.tokens) || it.tokens.length !== this.tokenValues) {
      throw new UniAdapterError('ERR_SHAPE', `item '${it.id}': tokens must be a Float32Array of ${m.frames} × ${m.tokensPerFrame} × ${m.width}`);
    }
    for (const [k, v] of Object.entries(it.metadata ?? {})) {
      const type = m.metadata[k];
      if (!type) throw new UniAdapterError('ERR_ARG', `item '${it.id}': metadata field '${k}' is not one of the store's (${Object.keys(m.metadata).join(', ') || 'none'})`);
      if (typeof v !== type) throw new UniAdapterError('ERR_ARG', `item '${it.id}': metadata '${k}' must be a ${type}`);
    }
  }

  private requireWriter(): void {
    if (!this.lock) throw new UniAdapterError('ERR_STATE', `${this.path} was opened for reading; open it with { write: true } to change it`);
  }

  /** Appends the items' token records (flushed), then gives their rows as an Arrow table. */
  private async rowsFor(items: readonly StoreItem[]): Promise<ReturnType<typeof tableOf>> {
    const m = this.manifest;
    let first = -1;
    if (this.tokenFile) {
      const size = this.tokenFile.recordSize;
      const buf = new Uint8Array(size * items.length);
      items.forEach((it, i) => encodeRecord(m.tokens as TokenEncoding, it.tokens as Float32Array, m.width, buf, i * size));
      first = await this.tokenFile.append(buf);
    }
    const rows: TableRow[] = items.map((it, i) => ({
      id: it.id,
      row: first < 0 ? -1 : first + i,
      vector: it.features,
      frames: it.frameFeatures,
      source: it.source,
      text: it.text,
      inputIds: it.inputIds,
      attention: it.attentionMask,
      metadata: it.metadata,
    }));
    return tableOf(m, rows);
  }

  private checkBatch(items: readonly StoreItem[]): void {
    const seen = new Set<string>();
    for (const it of items) {
      this.checkItem(it);
      if (seen.has(it.id)) throw new UniAdapterError('ERR_ARG', `id '${it.id}' appears twice in one batch`);
      seen.add(it.id);
    }
  }

  /**
   * Adds new items. When the promise resolves they are on disk and survive a kill of the process.
   *
   * @throws UniAdapterError ERR_ARG for an id already in the store (use upsert) or a malformed item
   */
  async add(items: readonly StoreItem[]): Promise<void> {
    this.requireWriter();
    if (items.length === 0) return;
    this.checkBatch(items);
    const ids = await this.storedIds();
    const existing = items.filter((i) => ids.has(i.id)).map((i) => i.id);
    if (existing.length) throw new UniAdapterError('ERR_ARG', `ids already in the store: ${existing.slice(0, 5).join(', ')}; use upsert to replace items`);
    await this.table.add(await this.rowsFor(items));
    for (const it of items) ids.add(it.id);
  }

  /** Adds items, replacing those whose id is already stored (one atomic commit). */
  async upsert(items: readonly StoreItem[]): Promise<void> {
    this.requireWriter();
    if (items.length === 0) return;
    this.checkBatch(items);
    const ids = await this.storedIds();
    await this.table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(await this.rowsFor(items));
    for (const it of items) ids.add(it.id);
  }

  private idSet?: Promise<Set<string>>;

  /**
   * The writer's set of stored ids (about 60 bytes an item, in the writer only), read from the table
   * once: every add checks its ids against it, which a scan of the id column per batch would make
   * quadratic in the store's size.
   */
  private storedIds(): Promise<Set<string>> {
    this.idSet ??= this.table
      .query()
      .select(['id'])
      .toArrow()
      .then((t) => {
        const set = new Set<string>();
        const col = t.getChild('id');
        if (col) for (const v of col) set.add(String(v));
        return set;
      });
    return this.idSet;
  }

  /** Removes items by id; returns how many were stored. */
  async remove(ids: readonly string[]): Promise<number> {
    this.requireWriter();
    if (ids.length === 0) return 0;
    const before = await this.table.countRows();
    for (let i = 0; i < ids.length; i += 10_000) await this.table.delete(`id IN (${ids.slice(i, i + 10_000).map(sqlString).join(', ')})`);
    // Only a set already read needs updating; one read later sees the table without these ids.
    if (this.idSet) {
      const stored = await this.idSet;
      for (const id of ids) stored.delete(id);
    }
    return before - (await this.table.countRows());
  }

  /** The media path an item was embedded from ('' for bytes; undefined when the id is not stored). */
  async sourceOf(id: string): Promise<string | undefined> {
    if (this.manifest.kind === 'text') return '';
    const rows = await this.table.query().where(`id = ${sqlString(id)}`).select(['source']).limit(1).toArray();
    return rows.length ? String(rows[0].source) : undefined;
  }

  async size(): Promise<number> {
    return this.table.countRows();
  }

  /**
   * Builds (or rebuilds) the ANN index on the ITC vectors; searches then use it unless `exact`.
   * 'ivf-flat' (default) keeps the vectors whole in each partition (about √n partitions); 'ivf-pq'
   * compresses them (8 dims per sub-vector by default), for stores whose vectors do not fit the page
   * cache, and is far slower to build on 2 cores. IVF-flat on 1,000,000 256-d vectors: see
   * benchmarks/store/scale.ts and its results (build time, latency and recall per probe count, with the
   * machine they were measured on). The table is compacted first.
   */
  async createIndex(options: { type?: 'ivf-flat' | 'ivf-pq'; partitions?: number; subVectors?: number } = {}): Promise<void> {
    this.requireWriter();
    const n = await this.table.countRows();
    if (n < 256) throw new UniAdapterError('ERR_STATE', `an ANN index needs at least 256 items (the store has ${n}); exact search is fast at this size`);
    const partitions = options.partitions ?? defaultPartitions(n);
    const type = options.type ?? 'ivf-flat';
    if (type !== 'ivf-flat' && type !== 'ivf-pq') throw new UniAdapterError('ERR_ARG', `index type must be 'ivf-flat' or 'ivf-pq', got '${String(type)}'`);
    const config =
      type === 'ivf-flat'
        ? lancedb.Index.ivfFlat({ distanceType: 'dot', numPartitions: partitions })
        : lancedb.Index.ivfPq({ distanceType: 'dot', numPartitions: partitions, numSubVectors: options.subVectors ?? Math.max(1, this.manifest.embedDim / 8) });
    await this.table.optimize({ cleanupOlderThan: new Date(Date.now() - OLD_VERSIONS_KEPT_MS) });
    await this.table.createIndex('vector', { config, replace: true });
    this.indexTypeOf = undefined;
  }

  /**
   * Compacts the table's fragments, merges rows added since the index was built into it, and deletes
   * the files of table versions older than `olderThanMs` (default 10 minutes): the rows since removed
   * or rewritten. A reader that has had the store open for longer than that must reopen it.
   */
  async optimize(options: { olderThanMs?: number } = {}): Promise<void> {
    this.requireWriter();
    const ms = options.olderThanMs ?? OLD_VERSIONS_KEPT_MS;
    if (!Number.isFinite(ms) || ms < 0) throw new UniAdapterError('ERR_ARG', `olderThanMs must be a non-negative number, got ${String(options.olderThanMs)}`);
    await this.table.optimize({ cleanupOlderThan: new Date(Date.now() - ms) });
  }

  async indexed(): Promise<boolean> {
    return (await this.indexType()) !== undefined;
  }

  private indexTypeOf?: Promise<'ivf-flat' | 'ivf-pq' | 'other' | undefined>;

  /** The vector index's type (looked up once per open store; rebuilt by createIndex). */
  private indexType(): Promise<'ivf-flat' | 'ivf-pq' | 'other' | undefined> {
    this.indexTypeOf ??= this.table.listIndices().then((all) => {
      const i = all.find((x) => x.columns.includes('vector'));
      if (!i) return undefined;
      const t = i.indexType.toLowerCase().replace(/[^a-z]/g, '');
      return t === 'ivfflat' ? 'ivf-flat' : t === 'ivfpq' ? 'ivf-pq' : 'other';
    });
    return this.indexTypeOf;
  }

  /** Checks a search's options against this store; returns the columns its hits are built from. */
  private searchColumns(o: VectorSearchOptions): string[] {
    if (!Number.isInteger(o.k) || o.k < 1) throw new UniAdapterError('ERR_ARG', `k must be a positive integer, got ${o.k}`);
    const m = this.manifest;
    if (o.withFrames && m.kind !== 'video') throw new UniAdapterError('ERR_ARG', `withFrames: ${this.path} holds ${m.kind}s, which have no per-frame features`);
    if (o.withTokenIds && m.kind !== 'text') throw new UniAdapterError('ERR_ARG', `withTokenIds: ${this.path} holds ${m.kind}s, not texts`);
    const own = m.kind === 'text' ? ['id', 'text', ...(o.withTokenIds ? ['vector', 'input_ids', 'attention'] : [])] : ['id', 'row', 'source', ...(o.withFrames ? ['frames'] : [])];
    return [...own, ...Object.keys(m.metadata)];
  }

  private checkVector(vector: Float32Array): void {
    if (vector?.length !== this.manifest.embedDim) throw new UniAdapterError('ERR_SHAPE', `the query vector must have ${this.manifest.embedDim} values`);
  }

  private hitOf(r: Record<string, unknown>, itc: number, o: VectorSearchOptions): StoreHit {
    const m = this.manifest;
    const metadata: Record<string, MetadataValue> = {};
    for (const k of Object.keys(m.metadata)) if (r[k] !== null && r[k] !== undefined) metadata[k] = r[k] as MetadataValue;
    const hit: StoreHit = { id: String(r.id), itc, row: m.kind === 'text' ? -1 : Number(r.row), source: m.kind === 'text' ? '' : String(r.source), metadata };
    if (o.withFrames) hit.frameFeatures = Float32Array.from(r.frames as ArrayLike<number>);
    if (m.kind === 'text') hit.text = String(r.text);
    if (o.withTokenIds) {
      hit.features = Float32Array.from(r.vector as ArrayLike<number>);
      hit.inputIds = Int32Array.from(r.input_ids as ArrayLike<number>);
      hit.attentionMask = Int32Array.from(r.attention as ArrayLike<number>);
    }
    return hit;
  }

  /**
   * The `k` items most similar to one ITC vector.
   *
   * @throws UniAdapterError ERR_ARG for a bad `where` (LanceDB's message) or vector
   */
  async searchVector(vector: Float32Array, o: VectorSearchOptions): Promise<StoreHit[]> {
    const columns = [...this.searchColumns(o), '_distance'];
    this.checkVector(vector);
    let q = this.table.vectorSearch(Array.from(vector)).column('vector').distanceType('dot').limit(o.k).select(columns);
    if (o.where) q = q.where(o.where);
    if (o.exact) q = q.bypassVectorIndex();
    else {
      q = q.nprobes(o.nprobes ?? 32);
      const refine = o.refineFactor ?? ((await this.indexType()) === 'ivf-pq' ? 4 : undefined);
      if (refine !== undefined) q = q.refineFactor(refine);
    }
    let rows: Array<Record<string, unknown>>;
    try {
      rows = await q.toArray();
    } catch (e) {
      throw searchError(e, o.where);
    }
    return rows.map((r) => this.hitOf(r, 1 - Number(r._distance), o));
  }

  /**
   * The `k` items most similar to each of several ITC vectors (a batch of queries). Through the ANN
   * index (or for one vector), one look-up per vector; without an index, or with `exact`, one exact
   * pass over the items for all vectors together, scored by `scorer` (default: in JavaScript). Either
   * way each list is what `searchVector` gives for its vector, up to rounding of the scores and the
   * order of exact ties.
   *
   * @throws UniAdapterError ERR_ARG for a bad `where` (LanceDB's message) or options, ERR_SHAPE for a vector
   */
  async searchVectors(vectors: readonly Float32Array[], o: VectorSearchOptions & { scorer?: VectorScorer }): Promise<StoreHit[][]> {
    const columns = this.searchColumns(o);
    vectors.forEach((v) => this.checkVector(v));
    if (vectors.length === 0) return [];
    // A single vector gains nothing from the pass, and LanceDB's own search of one vector is cheaper.
    if (vectors.length === 1 || (!o.exact && (await this.indexType()) !== undefined)) return Promise.all(vectors.map((v) => this.searchVector(v, o)));
    let lists: ScoredRow[][];
    try {
      lists = await exactSearch(this.table, vectors, { k: o.k, columns, where: o.where, scorer: o.scorer });
    } catch (e) {
      if (isUniAdapterError(e)) throw e;
      throw searchError(e, o.where);
    }
    return lists.map((list) => list.map((s) => this.hitOf(s.row, s.score, o)));
  }

  /** The ITM tokens of the given records as fp32 [n, T, N, W], read from disk for these records only. */
  async tokens(rows: readonly number[]): Promise<HostTensor> {
    const m = this.manifest;
    if (!this.tokenFile) throw new UniAdapterError('ERR_STATE', m.kind === 'text' ? `${this.path} is a text store: its items have token ids, not media tokens` : `${this.path} stores no tokens ('recompute'); re-embed the items from their sources`);
    const values = this.tokenValues;
    const out = new Float32Array(rows.length * values);
    const rec = new Uint8Array(this.tokenFile.recordSize);
    for (let i = 0; i < rows.length; i++) {
      await this.tokenFile.read(rows[i], rec);
      decodeRecord(m.tokens as TokenEncoding, rec, values, m.width, out, i * values);
    }
    return { dtype: 'float32', shape: [rows.length, m.frames, m.tokensPerFrame, m.width], data: out };
  }

  async info(): Promise<StoreInfo> {
    return {
      path: this.path,
      manifest: this.manifest,
      items: await this.table.countRows(),
      indexed: await this.indexed(),
      bytes: { table: await dirBytes(path.join(this.path, 'lance')), tokens: (await fsp.stat(path.join(this.path, TOKENS_FILE)).catch(() => ({ size: 0 }))).size },
    };
  }

  async close(): Promise<void> {
    await this.tokenFile?.close();
    this.table.close();
    await this.lock?.release();
  }
}
