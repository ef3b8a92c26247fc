/**
 * `roboflow-clip/pgvector`: a `VectorStore` in PostgreSQL with the pgvector extension, on a server
 * (through your `pg` pool or a connection string) or in-process on PGlite, with the same code.
 * `pg` and `pg-copy-streams` are optional peer dependencies, loaded only for a server.
 */
export { PgVectorStore } from './vectors/pg/store.js';
export type { PgVectorStoreOptions } from './vectors/pg/store.js';
export type { HnswOptions } from './vectors/pg/sql.js';
export type { PgClientLike, PgPoolLike, PGliteLike } from './vectors/pg/driver.js';
export { EmbeddingIndexError } from './errors/errors.js';
export type { EmbeddingIndexErrorCode } from './errors/errors.js';
export type { IndexEntry, SearchHit, StoreSearchOptions, VectorStore } from './vectors/store.js';
