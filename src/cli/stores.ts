/**
 * Where `index` writes and `search` reads: an index file (`--out FILE`, `FILE`) or a PostgreSQL
 * table (`--db postgres://...`). The PostgreSQL store is loaded only when asked for, so that the
 * CLI runs without its optional packages.
 */
import { existsSync } from 'node:fs';
import { EmbeddingIndex } from '../vectors/embedding-index.js';
import type { VectorStore } from '../vectors/store.js';

/** The package's own PostgreSQL entry; not a literal in `import()`, so that bundlers leave it to run time. */
const PGVECTOR_ENTRY = 'roboflow-clip/pgvector';

/** What the CLI uses of `roboflow-clip/pgvector`. */
export interface PgvectorModule {
  PgVectorStore: {
    open(options: { connectionString: string; table: string; clipVersion?: string | undefined; create?: boolean | undefined }): Promise<VectorStore & { close(): Promise<void> }>;
  };
}

/** Loads `roboflow-clip/pgvector`; the CLI's io may give another loader (tests do). */
export type PgvectorLoader = () => Promise<unknown>;

export const importPgvector: PgvectorLoader = () => import(PGVECTOR_ENTRY);

/** A store opened by a command: `save` writes what was added (a no-op for a database, which keeps each write), `close` releases it. */
export interface OpenStore {
  store: VectorStore;
  /** Where the store is, for messages. */
  where: string;
  save(): Promise<void>;
  close(): Promise<void>;
}

export function isDatabaseUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/** The table `--db` uses when `--table` names none. */
export const DEFAULT_TABLE = 'clip_embeddings';

/**
 * Opens the PostgreSQL store at `url` (creating its table when `create`, as `index` does), saying what
 * to install when its packages are missing.
 */
export async function openDatabaseStore(
  url: string,
  options: { table?: string | undefined; clipVersion?: string | undefined; create?: boolean | undefined },
  load: PgvectorLoader = importPgvector,
): Promise<OpenStore> {
  let module: PgvectorModule;
  try {
    module = (await load()) as PgvectorModule;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
      throw new Error(`--db needs the optional packages pg and pg-copy-streams: npm install pg pg-copy-streams (${(error as Error).message.split('\n')[0]})`);
    }
    throw error;
  }
  const store = await module.PgVectorStore.open({ connectionString: url, table: options.table ?? DEFAULT_TABLE, clipVersion: options.clipVersion, create: options.create });
  return { store, where: 'the database', save: async () => {}, close: () => store.close() };
}

/**
 * The index file `path`, loaded when it exists (checked against `clipVersion` when given), else a
 * new index recording `clipVersion`. Saves go through `EmbeddingIndex.save()`, which replaces the
 * file only once the new one is complete; they are queued, so that a later save always lands last.
 */
export async function openIndexFile(path: string, clipVersion: string | undefined, createWith: string): Promise<OpenStore & { store: EmbeddingIndex }> {
  const exists = existsSync(path);
  const index = exists ? await EmbeddingIndex.load(path, clipVersion ? { clipVersion } : {}) : new EmbeddingIndex({ clipVersion: clipVersion ?? createWith });
  const format = path.toLowerCase().endsWith('.json') ? 'json' : 'binary';
  // -1 when there is no file yet, so that even a run that finds no images leaves an (empty) index.
  let savedSize = exists ? index.size : -1;
  let queue = Promise.resolve();
  const save = () =>
    (queue = queue.then(async () => {
      if (index.size === savedSize) return;
      const size = index.size;
      await index.save(path, { format });
      savedSize = size;
    }));
  return { store: index, where: path, save, close: async () => {} };
}
