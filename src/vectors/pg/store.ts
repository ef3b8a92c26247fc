/**
 * A `VectorStore` in PostgreSQL with pgvector: one table of (id, embedding, metadata jsonb), its
 * CLIP version and dimension recorded in the table's comment, searched by cosine distance through
 * an HNSW index when there is one. The same code runs on a server (through `pg`) and on PGlite.
 */
import { EmbeddingIndexError } from '../../errors/errors.js';
import { EMBEDDING_DIMENSIONS, type ClipVersion } from '../../wire/clip-versions.js';
import { checkId, metadataJson, vectorLength } from '../check-entry.js';
import { checkFilter } from '../filter.js';
import { checkHeader, isPositiveInteger } from '../formats.js';
import type { IndexEntry, SearchHit, StoreSearchOptions, VectorStore } from '../store.js';
import { binaryCopyChunks, type CopyRow } from './copy.js';
import {
  connectionStringDriver,
  pgliteDriver,
  poolDriver,
  type PgPoolLike,
  type PGliteLike,
  type SqlDriver,
  type SqlSession,
} from './driver.js';
import {
  createIndexStatement,
  createTableStatements,
  parseRecord,
  quoteTable,
  upsertFrom,
  type HnswOptions,
} from './sql.js';

/** Options of `PgVectorStore.open`: one of `pool`, `connectionString` or `pglite`, and the table. */
export interface PgVectorStoreOptions {
  /** Your own `pg.Pool`; the store borrows connections and never ends it. Default: none (give one of the three). */
  pool?: PgPoolLike | undefined;
  /** A connection string; the store makes its own pool and `close()` ends it. Default: none. */
  connectionString?: string | undefined;
  /** A PGlite instance created with the `vector` extension (`@electric-sql/pglite/vector`). Default: none. */
  pglite?: PGliteLike | undefined;
  /** Table name, optionally `schema.table`. Default: none (required). */
  table: string;
  /** CLIP version the vectors come from: recorded when the table is created, checked when it exists. Default: none (not checked). */
  clipVersion?: string | undefined;
  /** Vector length: recorded when the table is created, checked when it exists. Default: that of `clipVersion` when creating, not checked otherwise. */
  dimension?: number | undefined;
  /** Create the table (and the `vector` extension) when missing. Default: false, a missing table is an error. */
  create?: boolean | undefined;
  /** Build the HNSW index (`vector_cosine_ops`) if it is missing; an object sets its parameters. Default: false. */
  createIndex?: boolean | HnswOptions | undefined;
  /** Candidates an HNSW search considers (pgvector's `hnsw.ef_search`): higher finds more of the true top k. Default: the server's setting (40 unless changed). */
  efSearch?: number | undefined;
}

/** Rows per multi-row INSERT where COPY is not available: three parameters a row, well under PostgreSQL's 65,535. */
const INSERT_ROWS = 1_000;
const UNIQUE_VIOLATION = '23505';

/** A vector store in a PostgreSQL table (server or PGlite). `add` and `addMany` replace entries with the same id. */
export class PgVectorStore<M = unknown> implements VectorStore<M> {
  readonly clipVersion: string | undefined;
  readonly dimension: number;
  /** The table, quoted for SQL. */
  readonly table: string;
  readonly #tableName: { sql: string; name: string };
  readonly #driver: SqlDriver;
  readonly #efSearch: number | undefined;

  private constructor(driver: SqlDriver, table: { sql: string; name: string }, record: { clipVersion: string | undefined; dimension: number }, efSearch: number | undefined) {
    this.#driver = driver;
    this.#tableName = table;
    this.table = table.sql;
    this.clipVersion = record.clipVersion;
    this.dimension = record.dimension;
    this.#efSearch = efSearch;
  }

  /** Opens (and when asked, creates) the store's table, checking its record against `clipVersion` and `dimension`. */
  static async open<M = unknown>(options: PgVectorStoreOptions): Promise<PgVectorStore<M>> {
    const { pool, connectionString, pglite, clipVersion, dimension, create = false, createIndex = false, efSearch } = options;
    const table = quoteTable(options.table);
    if ([pool, connectionString, pglite].filter((given) => given !== undefined).length !== 1) {
      throw new EmbeddingIndexError('invalid_argument', 'give exactly one of pool, connectionString or pglite');
    }
    if (dimension !== undefined && !isPositiveInteger(dimension)) {
      throw new EmbeddingIndexError('invalid_argument', `dimension must be a positive integer, got ${dimension}`);
    }
    if (efSearch !== undefined && (!Number.isInteger(efSearch) || efSearch < 1 || efSearch > 1000)) {
      throw new EmbeddingIndexError('invalid_argument', `efSearch must be an integer from 1 to 1000, got ${efSearch}`);
    }
    const driver = pglite ? pgliteDriver(pglite) : pool ? await poolDriver(pool, false) : await connectionStringDriver(connectionString!);
    try {
      let record = await readRecord(driver, table.sql);
      if (record === 'missing') {
        if (!create) {
          throw new EmbeddingIndexError('invalid_argument', `table ${table.sql} does not exist; open it with create: true to make it`);
        }
        const fixed = dimension ?? EMBEDDING_DIMENSIONS[clipVersion as ClipVersion];
        if (fixed === undefined) {
          throw new EmbeddingIndexError('invalid_argument', 'creating a table needs its dimension, or a clipVersion whose dimension is known');
        }
        await driver.query('CREATE EXTENSION IF NOT EXISTS vector');
        await driver.transaction(async (session) => {
          for (const sql of createTableStatements(table.sql, { clipVersion: clipVersion ?? null, dimension: fixed })) await session.query(sql);
        });
        record = await readRecord(driver, table.sql);
      }
      if (record === 'missing' || record === undefined) {
        throw new EmbeddingIndexError('invalid_file', `table ${table.sql} is not a roboflow-clip vector store (its comment holds no store record)`);
      }
      const checked = checkHeader(record.clipVersion, record.dimension, 1, {
        ...(clipVersion !== undefined && { clipVersion }),
        ...(dimension !== undefined && { dimension }),
      });
      const store = new PgVectorStore<M>(driver, table, { clipVersion: checked.clipVersion, dimension: checked.dimension! }, efSearch);
      if (createIndex) await store.createIndex(createIndex === true ? {} : createIndex);
      return store;
    } catch (err) {
      await driver.close();
      throw err;
    }
  }

  /** Builds the HNSW index if it is missing. On a full table this takes a while: build it after a bulk load. */
  async createIndex(options: HnswOptions = {}): Promise<void> {
    await this.#run('building the HNSW index', (session) => session.query(createIndexStatement(this.#tableName, options)));
  }

  /** Number of stored vectors. */
  get size(): Promise<number> {
    return this.#run('counting', async (session) => {
      const { rows } = await session.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${this.table}`);
      return Number(rows[0]!.n);
    });
  }

  async has(id: string): Promise<boolean> {
    checkId(id);
    return this.#run('reading', async (session) => {
      const { rows } = await session.query(`SELECT 1 FROM ${this.table} WHERE id = $1`, [id]);
      return rows.length > 0;
    });
  }

  /** Whether each of `ids` is stored, in their order, found in one query. */
  async hasMany(ids: readonly string[]): Promise<boolean[]> {
    if (!Array.isArray(ids)) throw new EmbeddingIndexError('invalid_argument', 'ids must be an array of strings');
    ids.forEach(checkId);
    if (ids.length === 0) return [];
    return this.#run('reading', async (session) => {
      const { rows } = await session.query<{ id: string }>(`SELECT id FROM ${this.table} WHERE id = ANY($1::text[])`, [ids]);
      const stored = new Set(rows.map((row) => row.id));
      return ids.map((id) => stored.has(id));
    });
  }

  /** Stores `vector` under `id`, replacing what `id` held. */
  async add(id: string, vector: ArrayLike<number>, metadata?: M): Promise<void> {
    await this.addMany([{ id, vector, ...(metadata !== undefined && { metadata }) }]);
  }

  /**
   * Stores every entry or none, in one transaction: each replaces what its id held. Every entry is
   * checked before anything is sent; an id twice in one batch is refused.
   */
  async addMany(entries: Iterable<IndexEntry<M>>): Promise<void> {
    const rows = this.#checkedRows(entries);
    if (rows.length === 0) return;
    await this.#run(`writing ${rows.length} entries`, async (session) => {
      if (session.copyFrom) {
        await this.#copyRows(session as Required<SqlSession>, rows);
      } else {
        for (let at = 0; at < rows.length; at += INSERT_ROWS) await this.#insertRows(session, rows.slice(at, at + INSERT_ROWS));
      }
    }, true);
  }

  /** Removes `id`; false when it was not stored. */
  async remove(id: string): Promise<boolean> {
    checkId(id);
    return this.#run('removing', async (session) => (await session.query(`DELETE FROM ${this.table} WHERE id = $1`, [id])).rowCount > 0);
  }

  /** The `k` entries most cosine-similar to `query`, best first, through the HNSW index when there is one. */
  async search(query: ArrayLike<number>, k = 10, options: StoreSearchOptions<M> = {}): Promise<SearchHit<M>[]> {
    if (!isPositiveInteger(k)) throw new EmbeddingIndexError('invalid_argument', `k must be an integer >= 1, got ${k}`);
    vectorLength(query, this.dimension, 'query', 'store');
    const filter = checkFilter(options.filter);
    const params: unknown[] = [vectorLiteral(query), k];
    if (filter) params.push(JSON.stringify(filter));
    const sql =
      `SELECT id, embedding <=> $1::vector AS distance, metadata::text AS metadata FROM ${this.table} ` +
      `${filter ? 'WHERE metadata @> $3::jsonb ' : ''}ORDER BY embedding <=> $1::vector LIMIT $2`;
    type Row = { id: string; distance: number | string; metadata: string | null };
    const rows = await this.#run('searching', async (session) => {
      if (this.#efSearch !== undefined) await session.query(`SET LOCAL hnsw.ef_search = ${this.#efSearch}`);
      // With a filter, the index goes on past its first candidates until k of them match.
      if (filter) await session.query("SET LOCAL hnsw.iterative_scan = 'strict_order'");
      return (await session.query<Row>(sql, params)).rows;
    }, this.#efSearch !== undefined || filter !== undefined);
    return rows.map((row) => ({
      id: row.id,
      score: 1 - Number(row.distance),
      metadata: row.metadata === null ? undefined : (JSON.parse(row.metadata) as M),
    }));
  }

  /** Ends the pool the store made from a connection string; a pool or PGlite you passed in stays open. */
  async close(): Promise<void> {
    await this.#driver.close();
  }

  #checkedRows(entries: Iterable<IndexEntry<M>>): CopyRow[] {
    const seen = new Set<string>();
    const rows: CopyRow[] = [];
    for (const { id, vector, metadata } of entries) {
      checkId(id);
      if (seen.has(id)) throw new EmbeddingIndexError('duplicate_id', `id "${id}" is twice in one batch`);
      seen.add(id);
      vectorLength(vector, this.dimension, `vector of id "${id}"`, 'store');
      rows.push({ id, vector, metadataJson: metadataJson(id, metadata) });
    }
    return rows;
  }

  /**
   * New ids, the usual case when indexing, are copied straight into the table. When some id is
   * there already the copy fails on the primary key and is undone to its savepoint; the rows then
   * go through a temporary table into one INSERT ... ON CONFLICT.
   */
  async #copyRows(session: Required<SqlSession>, rows: CopyRow[]): Promise<void> {
    const copy = (table: string) => session.copyFrom(`COPY ${table} (id, embedding, metadata) FROM STDIN (FORMAT binary)`, binaryCopyChunks(rows, this.dimension));
    await session.query('SAVEPOINT roboflow_clip_copy');
    try {
      await copy(this.table);
      await session.query('RELEASE SAVEPOINT roboflow_clip_copy');
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
      await session.query('ROLLBACK TO SAVEPOINT roboflow_clip_copy');
    }
    await session.query(`CREATE TEMP TABLE roboflow_clip_batch (id text, embedding vector(${this.dimension}), metadata jsonb) ON COMMIT DROP`);
    await copy('roboflow_clip_batch');
    await session.query(upsertFrom(this.table, 'SELECT id, embedding, metadata FROM roboflow_clip_batch'));
  }

  async #insertRows(session: SqlSession, rows: CopyRow[]): Promise<void> {
    const params: unknown[] = [];
    const values = rows.map((row) => {
      params.push(row.id, vectorLiteral(row.vector), row.metadataJson ?? null);
      const n = params.length;
      return `($${n - 2}, $${n - 1}::vector, $${n}::jsonb)`;
    });
    await session.query(upsertFrom(this.table, `VALUES ${values.join(', ')}`), params);
  }

  /** Runs `work` (in a transaction when asked), turning a driver's failure into a `database_error`. */
  async #run<T>(doing: string, work: (session: SqlSession) => Promise<T>, inTransaction = false): Promise<T> {
    try {
      return inTransaction ? await this.#driver.transaction(work) : await work(this.#driver);
    } catch (err) {
      if (err instanceof EmbeddingIndexError) throw err;
      const unchanged = inTransaction ? '; the table is as it was' : '';
      throw new EmbeddingIndexError('database_error', `${doing} in ${this.table} failed${unchanged}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}

type ReadRecord = ReturnType<typeof parseRecord> | 'missing';

async function readRecord(driver: SqlDriver, table: string): Promise<ReadRecord> {
  const { rows } = await driver.query<{ oid: unknown; comment: unknown }>(
    "SELECT to_regclass($1)::oid AS oid, obj_description(to_regclass($1), 'pg_class') AS comment",
    [table],
  );
  return rows[0]?.oid === null || rows[0]?.oid === undefined ? 'missing' : parseRecord(rows[0].comment);
}

function vectorLiteral(vector: ArrayLike<number>): string {
  return `[${Array.prototype.join.call(vector, ',')}]`;
}
