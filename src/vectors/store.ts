/**
 * What a place that keeps embeddings by id offers: the in-memory `EmbeddingIndex` and the
 * PostgreSQL store both implement it, so search and indexing code works with either. A method may
 * answer at once or with a promise; callers always `await` it.
 */

/** One entry for `addMany`. */
export interface IndexEntry<M> {
  id: string;
  /** Any array of numbers; `indexImages` hands a store `Float32Array`s. */
  vector: ArrayLike<number>;
  metadata?: M | undefined;
}

/** A search result: the entry's id, its cosine similarity to the query, and its metadata. */
export interface SearchHit<M> {
  id: string;
  score: number;
  metadata: M | undefined;
}

/** Options of `VectorStore.search`. */
export interface StoreSearchOptions<M = unknown> {
  /**
   * Only entries whose metadata contains these key/value pairs, as PostgreSQL's jsonb containment decides:
   * nested objects match by containment, an array contains every element of the filter's array.
   * Default: no filter.
   */
  filter?: Partial<M> | Record<string, unknown> | undefined;
}

/** A store of embeddings by id, searched by cosine similarity. */
export interface VectorStore<M = unknown> {
  /** Label of the CLIP model the stored vectors come from, or undefined when not recorded. */
  readonly clipVersion: string | undefined;
  /** Vector length, or undefined until the first vector fixes it. */
  readonly dimension: number | undefined;
  /** Number of stored vectors: a number, or a promise of one for a database store. */
  readonly size: number | Promise<number>;
  /** Whether `id` is stored. */
  has(id: string): boolean | Promise<boolean>;
  /**
   * Whether each of `ids` is stored, in their order: optional, for a store that answers many at once
   * (one query instead of one per id). `indexImages` uses it when a store has it, else `has`.
   */
  hasMany?(ids: readonly string[]): boolean[] | Promise<boolean[]>;
  /**
   * Stores one vector under `id`. For an id already stored, `EmbeddingIndex` refuses (`duplicate_id`)
   * and `PgVectorStore` replaces the entry: call `has` first where it matters.
   */
  add(id: string, vector: ArrayLike<number>, metadata?: M): void | Promise<void>;
  /** Stores all entries or none. */
  addMany(entries: Iterable<IndexEntry<M>>): void | Promise<void>;
  /** Removes `id`; false when it was not stored. */
  remove(id: string): boolean | Promise<boolean>;
  /** The `k` entries most cosine-similar to `query`, best first. */
  search(query: ArrayLike<number>, k: number, options?: StoreSearchOptions<M>): SearchHit<M>[] | Promise<SearchHit<M>[]>;
}
