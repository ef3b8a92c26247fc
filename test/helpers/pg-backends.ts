/**
 * The databases the PostgreSQL store tests run on: PGlite in-process always, and a real server when
 * ROBOFLOW_CLIP_TEST_PG names one (CI starts one with scripts/ci/postgres.sh).
 */
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import pg from 'pg';
import { PgVectorStore, type PgVectorStoreOptions } from '../../src/pgvector.js';

export type StoreOpenOptions = Omit<PgVectorStoreOptions, 'pool' | 'connectionString' | 'pglite'>;

export interface PgBackend {
  name: string;
  /** Whether a connection can be dropped from outside (a server's, not PGlite's). */
  server: boolean;
  open<M = unknown>(options: StoreOpenOptions): Promise<PgVectorStore<M>>;
  /** Runs SQL beside the store, as another client would. */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export const serverUrl = process.env.ROBOFLOW_CLIP_TEST_PG;

export async function pgliteBackend(): Promise<PgBackend> {
  const db = await PGlite.create({ extensions: { vector } });
  return {
    name: 'PGlite',
    server: false,
    open: (options) => PgVectorStore.open({ ...options, pglite: db }),
    sql: async (text, params) => (await db.query(text, params)).rows as never,
    close: () => db.close(),
  };
}

export async function serverBackend(url: string): Promise<PgBackend> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  return {
    name: 'PostgreSQL server',
    server: true,
    open: (options) => PgVectorStore.open({ ...options, pool }),
    sql: async (text, params) => (await pool.query(text, params)).rows,
    close: () => pool.end(),
  };
}

let tables = 0;
/** A table name no earlier run or parallel file uses. */
export function freshTable(): string {
  return `t_${process.pid}_${Date.now().toString(36)}_${tables++}`;
}
