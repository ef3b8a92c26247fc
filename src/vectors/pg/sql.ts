/** The store's SQL: its table, the record of what the table holds, and its HNSW index. */
import { EmbeddingIndexError } from '../../errors/errors.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const RECORD_FORMAT = 'roboflow-clip/pgvector';

/** A table name, optionally schema-qualified, quoted for SQL; refuses anything else. */
export function quoteTable(table: string): { sql: string; name: string } {
  const parts = typeof table === 'string' ? table.split('.') : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new EmbeddingIndexError(
      'invalid_argument',
      `table must be a name of letters, digits and underscores (optionally schema.name), got ${JSON.stringify(table)}`,
    );
  }
  return { sql: parts.map((part) => `"${part}"`).join('.'), name: parts[parts.length - 1]! };
}

/** What the table's comment records, so that every process opening it checks the same facts. */
export interface TableRecord {
  clipVersion: string | null;
  dimension: number;
}

export function recordComment(record: TableRecord): string {
  return JSON.stringify({ format: RECORD_FORMAT, version: 1, ...record });
}

/** The record in a table comment, or undefined when the comment is not one. */
export function parseRecord(comment: unknown): { clipVersion: unknown; dimension: unknown } | undefined {
  if (typeof comment !== 'string') return undefined;
  try {
    const record = JSON.parse(comment) as Record<string, unknown> | null;
    if (record?.format !== RECORD_FORMAT || record.version !== 1) return undefined;
    return { clipVersion: record.clipVersion, dimension: record.dimension };
  } catch {
    return undefined;
  }
}

export function createTableStatements(table: string, record: TableRecord): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (id text PRIMARY KEY, embedding vector(${record.dimension}) NOT NULL, metadata jsonb)`,
    // A 512-float vector is over the 2 kB TOAST threshold: kept inline, an exact scan reads it
    // without a detour per row (about five times faster).
    `ALTER TABLE ${table} ALTER COLUMN embedding SET STORAGE PLAIN`,
    `COMMENT ON TABLE ${table} IS ${quoteLiteral(recordComment(record))}`,
  ];
}

/** HNSW build parameters (pgvector's defaults: m 16, ef_construction 64). */
export interface HnswOptions {
  /** Links per node. Default: 16. */
  m?: number;
  /** Candidates considered while building. Default: 64. */
  efConstruction?: number;
}

export function createIndexStatement(table: { sql: string; name: string }, options: HnswOptions): string {
  const { m = 16, efConstruction = 64 } = options;
  for (const [name, value] of Object.entries({ m, efConstruction })) {
    if (!Number.isInteger(value) || value < 2 || value > 1000) {
      throw new EmbeddingIndexError('invalid_argument', `${name} must be an integer from 2 to 1000, got ${value}`);
    }
  }
  const index = quoteTable(`${table.name.slice(0, 50)}_embedding_hnsw`).sql;
  return (
    `CREATE INDEX IF NOT EXISTS ${index} ON ${table.sql} USING hnsw (embedding vector_cosine_ops) ` +
    `WITH (m = ${m}, ef_construction = ${efConstruction})`
  );
}

export function upsertFrom(table: string, source: string): string {
  return (
    `INSERT INTO ${table} (id, embedding, metadata) ${source} ` +
    'ON CONFLICT (id) DO UPDATE SET embedding = EXCLUDED.embedding, metadata = EXCLUDED.metadata'
  );
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
