/**
 * In-memory cosine-similarity index over CLIP embeddings. Rows live in one contiguous
 * Float32Array, unit-normalised on insert, so a search is one pass of dot products: in WebAssembly
 * SIMD where the runtime compiles it (the array is then a view of its memory), otherwise in JS.
 */
import { EmbeddingIndexError } from '../errors/errors.js';
import { writeFileAtomic } from '../platform/atomic-write.js';
import { loadNodeFs } from '../platform/node-fs.js';
import { checkId, metadataJson, vectorLength } from './check-entry.js';
import { checkFilter, jsonContains } from './filter.js';
import { decodeBinary, encodeBinary, hasMagic } from './format-binary.js';
import { decodeJson, encodeJson, type EmbeddingIndexJson } from './format-json.js';
import { isPositiveInteger, type DecodedIndex, type IndexContents, type LoadExpectations } from './formats.js';
import { TopKSelector } from './math.js';
import { BLOCK_ROWS, dotBlock, dotRow } from './scan.js';
import { RowStorage } from './row-storage.js';
import { SIMD_BLOCK_ROWS } from './simd/kernel.js';
import type { IndexEntry, SearchHit, StoreSearchOptions, VectorStore } from './store.js';

export type { EmbeddingIndexJson } from './format-json.js';
export type { LoadExpectations } from './formats.js';
export type { IndexEntry, SearchHit } from './store.js';

/** Options of `new EmbeddingIndex()`. */
export interface EmbeddingIndexOptions {
  /** Fixed vector length. Default: the length of the first vector added. */
  dimension?: number | undefined;
  /** Label of the CLIP model that produced the vectors, checked on load. Default: none (not checked). */
  clipVersion?: string | undefined;
  /** Rows to allocate up front; storage doubles when full. Default: 1024. */
  initialCapacity?: number | undefined;
}

export interface SaveOptions {
  /** 'binary' is compact and fast; 'json' is human-readable. Default: 'binary'. */
  format?: 'binary' | 'json' | undefined;
}

const DEFAULT_INITIAL_CAPACITY = 1024;

/** Embeddings searchable by cosine similarity, each under a unique id with optional metadata of type `M`. */
export class EmbeddingIndex<M = unknown> implements VectorStore<M> {
  /** The CLIP model the vectors came from, as given to the constructor or read from a file; checked on load. */
  readonly clipVersion: string | undefined;
  #dimension: number | undefined;
  readonly #initialCapacity: number;
  // Room that removing rows never gives back: what the caller asked for up front.
  #keptCapacity: number;
  #storage: RowStorage | undefined;
  #query = new Float32Array(0);
  readonly #scores = new Float64Array(BLOCK_ROWS);
  readonly #ids: string[] = [];
  readonly #metadata: (M | undefined)[] = [];
  readonly #rows = new Map<string, number>();

  constructor(options: EmbeddingIndexOptions = {}) {
    const { dimension, clipVersion, initialCapacity = DEFAULT_INITIAL_CAPACITY } = options;
    if (dimension !== undefined && !isPositiveInteger(dimension)) {
      throw new EmbeddingIndexError('invalid_argument', `dimension must be a positive integer, got ${dimension}`);
    }
    if (!isPositiveInteger(initialCapacity)) {
      throw new EmbeddingIndexError('invalid_argument', `initialCapacity must be a positive integer, got ${initialCapacity}`);
    }
    this.#dimension = dimension;
    this.clipVersion = clipVersion;
    this.#initialCapacity = initialCapacity;
    this.#keptCapacity = initialCapacity;
  }

  /** Vector length, or undefined until fixed by the constructor or the first add. */
  get dimension(): number | undefined {
    return this.#dimension;
  }

  /** Number of stored vectors. */
  get size(): number {
    return this.#ids.length;
  }

  /** Whether `id` is stored. */
  has(id: string): boolean {
    return this.#rows.has(id);
  }

  /** Whether each of `ids` is stored, in their order. */
  hasMany(ids: readonly string[]): boolean[] {
    if (!Array.isArray(ids)) throw new EmbeddingIndexError('invalid_argument', 'ids must be an array of strings');
    return ids.map((id) => this.#rows.has(id));
  }

  /** @internal Rows the storage has room for before it grows; for tests of growth and compaction. */
  get capacity(): number {
    return this.#storage?.capacity ?? 0;
  }

  /** Ids in storage order (which changes on remove). */
  ids(): string[] {
    return this.#ids.slice();
  }

  /**
   * Stores a unit-normalised copy of `vector`; refuses an existing id (remove it first to replace),
   * an id that is not a string, and metadata that cannot be saved as JSON.
   */
  add(id: string, vector: ArrayLike<number>, metadata?: M): void {
    checkId(id);
    if (this.#rows.has(id)) {
      throw new EmbeddingIndexError('duplicate_id', `id "${id}" is already in the index; remove it to replace it`);
    }
    const length = vectorLength(vector, this.#dimension, 'vector');
    metadataJson(id, metadata);
    this.#dimension ??= vector.length;
    const dim = this.#dimension;
    const row = this.#ids.length;
    const storage = (this.#storage ??= new RowStorage(dim, this.#initialCapacity, this.#keptCapacity));
    storage.reserve(row + 1);
    const data = storage.data;
    const base = row * dim;
    for (let j = 0; j < dim; j++) data[base + j] = vector[j]! / length;
    this.#ids.push(id);
    this.#metadata.push(metadata);
    this.#rows.set(id, row);
  }

  /** Adds all entries or none: on the first error, entries added by this call are removed again. */
  addMany(entries: Iterable<IndexEntry<M>>): void {
    const dimensionBefore = this.#dimension;
    const added: string[] = [];
    try {
      for (const { id, vector, metadata } of entries) {
        this.add(id, vector, metadata);
        added.push(id);
      }
    } catch (err) {
      // Reverse order means each removed id is the last row, restoring the exact layout.
      for (let i = added.length - 1; i >= 0; i--) this.remove(added[i]!);
      this.#dimension = dimensionBefore;
      throw err;
    }
  }

  /**
   * Removes `id` in O(dimension) by moving the last row into its slot; false if absent. Memory is
   * given back once under a quarter of it holds rows.
   */
  remove(id: string): boolean {
    const row = this.#rows.get(id);
    if (row === undefined) return false;
    const last = this.#ids.length - 1;
    if (row !== last) {
      const dim = this.#dimension!;
      this.#storage!.data.copyWithin(row * dim, last * dim, (last + 1) * dim);
      const movedId = this.#ids[last]!;
      this.#ids[row] = movedId;
      this.#metadata[row] = this.#metadata[last];
      this.#rows.set(movedId, row);
    }
    this.#ids.pop();
    this.#metadata.pop();
    this.#rows.delete(id);
    this.#storage!.release(this.#ids.length);
    return true;
  }

  /**
   * The k most cosine-similar entries, best first; equal scores keep storage order. With a
   * `filter`, only entries whose metadata contains it (as PostgreSQL's jsonb containment decides) are candidates.
   */
  search(vector: ArrayLike<number>, k = 10, options: StoreSearchOptions<M> = {}): SearchHit<M>[] {
    if (!isPositiveInteger(k)) {
      throw new EmbeddingIndexError('invalid_argument', `k must be an integer >= 1, got ${k}`);
    }
    const length = vectorLength(vector, this.#dimension, 'query');
    const filter = checkFilter(options.filter);
    const n = this.#ids.length;
    if (n === 0) return [];
    const dim = this.#dimension!;
    if (this.#query.length !== dim) this.#query = new Float32Array(dim);
    const q = this.#query;
    for (let j = 0; j < dim; j++) q[j] = vector[j]! / length;

    const { data, simd } = this.#storage!;
    const metadata = this.#metadata;
    const block = simd ? SIMD_BLOCK_ROWS : BLOCK_ROWS;
    const scores = simd ? simd.prepare(data, q) : this.#scores;
    const selector = new TopKSelector(Math.min(k, n));
    let threshold = -Infinity;
    for (let row = 0; row < n; row += block) {
      const rows = Math.min(block, n - row);
      if (simd) simd.score(row, rows, dim);
      else if (rows === BLOCK_ROWS) dotBlock(data, row * dim, q, dim, scores as Float64Array);
      else for (let r = 0; r < rows; r++) scores[r] = dotRow(data, (row + r) * dim, q, dim);
      for (let r = 0; r < rows; r++) {
        // Rows arrive in ascending order, so an equal score can never displace a kept one.
        if (scores[r]! > threshold && (!filter || jsonContains(metadata[row + r], filter))) {
          selector.offer(row + r, scores[r]!);
          threshold = selector.threshold;
        }
      }
    }
    return selector.drain().map(({ index, score }) => ({
      id: this.#ids[index]!,
      score,
      metadata: this.#metadata[index],
    }));
  }

  /** JSON persistence form; metadata must be JSON-serialisable. */
  toJSON(): EmbeddingIndexJson<M> {
    return encodeJson(this.#contents());
  }

  /** Rebuilds an index from toJSON() output, validating every vector as add does. */
  static fromJSON<M = unknown>(json: unknown, expect: LoadExpectations = {}): EmbeddingIndex<M> {
    return EmbeddingIndex.#fromDecoded(decodeJson<M>(json, expect));
  }

  /** Compact binary persistence form (layout in format-binary.ts). */
  toBytes(): Uint8Array {
    return encodeBinary(this.#contents());
  }

  /** Rebuilds an index from toBytes() output, validating every vector as add does. */
  static fromBytes<M = unknown>(bytes: Uint8Array, expect: LoadExpectations = {}): EmbeddingIndex<M> {
    return EmbeddingIndex.#fromDecoded(decodeBinary<M>(bytes, expect));
  }

  /**
   * Writes the index to `path` through a temporary file renamed over it, so that a crash or a full
   * disk leaves the previous file whole (Node only; fs is imported lazily so edge runtimes can still
   * load this module).
   */
  async save(path: string, options: SaveOptions = {}): Promise<void> {
    const data = options.format === 'json' ? JSON.stringify(this) : this.toBytes();
    await writeFileAtomic(path, data);
  }

  /** Reads a file written by save() in either format (detected from its first bytes); throws on unmet expectations. */
  static async load<M = unknown>(path: string, expect: LoadExpectations = {}): Promise<EmbeddingIndex<M>> {
    const { readFile } = await loadNodeFs();
    const bytes = await readFile(path);
    if (hasMagic(bytes)) return EmbeddingIndex.fromBytes<M>(bytes, expect);
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new EmbeddingIndexError('invalid_file', `${path} is neither a binary nor a JSON embedding index`);
    }
    return EmbeddingIndex.fromJSON<M>(json, expect);
  }

  static #fromDecoded<M>(decoded: DecodedIndex<M>): EmbeddingIndex<M> {
    const { clipVersion, dimension, entries } = decoded;
    const index = new EmbeddingIndex<M>({
      ...(dimension !== undefined && { dimension }),
      ...(clipVersion !== undefined && { clipVersion }),
      initialCapacity: Math.max(entries.length, 1),
    });
    // Room for the file's rows, not a promise to keep it all after they are removed.
    index.#keptCapacity = Math.min(index.#initialCapacity, DEFAULT_INITIAL_CAPACITY);
    for (const { id, vector, metadata } of entries) index.add(id, vector, metadata);
    return index;
  }

  #contents(): IndexContents<M> {
    const rows = this.#storage?.data ?? new Float32Array(0);
    return { clipVersion: this.clipVersion, dimension: this.#dimension, ids: this.#ids, metadata: this.#metadata, rows };
  }
}

