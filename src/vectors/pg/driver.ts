/**
 * The two ways `PgVectorStore` reaches PostgreSQL, behind one small interface: a `pg` pool (a
 * server; batches go in with binary COPY) and PGlite (PostgreSQL in-process, which takes no COPY
 * from a client, so batches go in as multi-row INSERTs). The drivers are the caller's packages,
 * loaded only when used, so that an application on PGlite need not install `pg`.
 */

/** A query's rows and, for a write, how many rows it touched. */
export interface SqlResult<R> {
  rows: R[];
  rowCount: number;
}

/** What the store runs its statements through: one connection inside a transaction, or the pool. */
export interface SqlSession {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<SqlResult<R>>;
  /** Streams binary COPY data into `sql` (a `COPY ... FROM STDIN (FORMAT binary)`); absent on PGlite. */
  copyFrom?: ((sql: string, chunks: Iterable<Uint8Array>) => Promise<void>) | undefined;
}

export interface SqlDriver extends SqlSession {
  /** Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Closes what the store opened itself (a pool made from a connection string); a caller's own pool stays open. */
  close(): Promise<void>;
}

/**
 * The part of a `pg.Pool` the store uses (named structurally, so that the store's types need no
 * `@types/pg`).
 */
export interface PgPoolLike {
  connect(): Promise<PgClientLike>;
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  end(): Promise<void>;
}

/** The part of a `pg.PoolClient` the store uses. */
export interface PgClientLike {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  release(err?: Error | boolean): void;
  on(event: 'error', listener: (err: Error) => void): unknown;
  off(event: 'error', listener: (err: Error) => void): unknown;
}

/** The part of a PGlite instance (`@electric-sql/pglite`, with its `vector` extension) the store uses. */
export interface PGliteLike {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[]; affectedRows?: number }>;
  transaction<T>(work: (tx: { query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[]; affectedRows?: number }> }) => Promise<T>): Promise<T>;
}

// Not literals, so bundlers for other targets leave the optional packages alone.
const PG = 'pg';
const PG_COPY_STREAMS = 'pg-copy-streams';
const NODE_STREAM = 'node:stream/promises';
const NODE_STREAM_READABLE = 'node:stream';

async function importOptional<T>(name: string, why: string): Promise<T> {
  try {
    const module = (await import(/* webpackIgnore: true */ /* @vite-ignore */ name)) as T & { default?: T };
    return module.default ?? module;
  } catch (cause) {
    throw new Error(`roboflow-clip/pgvector needs the "${name}" package ${why}: npm install ${name}`, { cause });
  }
}

export async function poolDriver(pool: PgPoolLike, ownsPool: boolean): Promise<SqlDriver> {
  const { from: copyFrom } = await importOptional<typeof import('pg-copy-streams')>(PG_COPY_STREAMS, 'to write batches with COPY');
  const { pipeline } = (await import(/* webpackIgnore: true */ /* @vite-ignore */ NODE_STREAM)) as typeof import('node:stream/promises');
  const { Readable } = (await import(/* webpackIgnore: true */ /* @vite-ignore */ NODE_STREAM_READABLE)) as typeof import('node:stream');
  const session = (client: PgPoolLike | PgClientLike): SqlSession => ({
    async query<R>(sql: string, params?: unknown[]) {
      const result = await client.query(sql, params);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
    },
  });
  return {
    ...session(pool),
    async transaction(work) {
      const client = await pool.connect();
      let broken: Error | undefined;
      // A connection that drops while checked out reports it here as well as to the running query.
      const onError = (err: Error) => (broken = err);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const inTransaction: SqlSession = {
          ...session(client),
          // pg runs a query object it is given (pg-copy-streams' COPY stream) in place of SQL text.
          copyFrom: (sql, chunks) => pipeline(Readable.from(chunks), (client as unknown as import('pg').PoolClient).query(copyFrom(sql))),
        };
        const result = await work(inTransaction);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        // A connection that died cannot roll back; the server does, and the pool must drop it.
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw err;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    async close() {
      if (ownsPool) await pool.end();
    },
  };
}

export async function connectionStringDriver(connectionString: string): Promise<SqlDriver> {
  const pg = await importOptional<typeof import('pg')>(PG, 'to connect with a connection string');
  return poolDriver(new pg.Pool({ connectionString }) as unknown as PgPoolLike, true);
}

export function pgliteDriver(db: PGliteLike): SqlDriver {
  const session = (target: Pick<PGliteLike, 'query'>): SqlSession => ({
    async query<R>(sql: string, params?: unknown[]) {
      const result = await target.query<R>(sql, params);
      return { rows: result.rows, rowCount: result.affectedRows ?? 0 };
    },
  });
  return {
    ...session(db),
    transaction: (work) => db.transaction((tx) => work(session(tx))),
    // The caller made the PGlite instance and closes it.
    async close() {},
  };
}
