/**
 * Checks that a query embedded by a client can be searched in a store: the same CLIP model, or at
 * least vectors of the same length. Comparing embeddings of two models gives meaningless scores.
 */
import { ClipValidationError, EmbeddingIndexError } from '../errors/errors.js';
import type { SearchHit } from '../vectors/embedding-index.js';
import type { VectorStore } from '../vectors/store.js';
import { withMeta, type EmbeddingResult, type WithMeta } from '../wire/responses.js';
import { clipVersionField } from '../wire/schemas.js';
import { DEFAULT_CLIP_VERSION, EMBEDDING_DIMENSIONS, type ClipVersion } from '../wire/clip-versions.js';

/** What the checks read of a store: its recorded model and vector length. */
type StoreShape = Pick<VectorStore, 'clipVersion' | 'dimension'>;

/**
 * The CLIP version a query or a job embeds with: the client's; else the store's; else none (the
 * server's default). Throws before any request when the store was built with another model, or
 * holds vectors of a length the model cannot produce.
 */
export function checkStoreMatchesClient(store: StoreShape, clipVersion: ClipVersion | undefined): ClipVersion | undefined {
  const { clipVersion: built, dimension } = store;
  if (clipVersion !== undefined && built !== undefined && built !== clipVersion) {
    throw new EmbeddingIndexError(
      'clip_version_mismatch',
      `index was built with clipVersion ${built} but this client embeds with ${clipVersion}; create the client with clipVersion: '${built}'`,
    );
  }
  const used = clipVersion ?? (built as ClipVersion | undefined);
  // With no version named anywhere the server embeds with its default, whose length is known too.
  const expected = EMBEDDING_DIMENSIONS[used ?? DEFAULT_CLIP_VERSION];
  if (dimension !== undefined && expected !== undefined && dimension !== expected) {
    throw new EmbeddingIndexError(
      'dimension_mismatch',
      `${used ?? `${DEFAULT_CLIP_VERSION} (the server's default)`} embeddings have dimension ${expected} but the index holds vectors of dimension ${dimension}; ` +
        'embed with the CLIP version the index was built with',
    );
  }
  return used;
}

/** Throws before any request when `k` is not a usable result count: a bad argument, like any other. */
export function checkK(k: unknown): void {
  if (!Number.isInteger(k) || (k as number) < 1) {
    throw new ClipValidationError([{ path: ['k'], message: `must be a whole number of at least 1, got ${String(k)}` }], 'Invalid search arguments');
  }
}

/** Throws when the embedded query cannot be compared with the store's vectors, naming the likely cause. */
export function checkQueryDimension(store: StoreShape, query: ArrayLike<number>): void {
  const { clipVersion: built, dimension } = store;
  if (dimension === undefined || dimension === query.length) return;
  throw new EmbeddingIndexError(
    'dimension_mismatch',
    `the query embedding has dimension ${query.length} but the index${built ? ` (built with clipVersion ${built})` : ''} has dimension ${dimension}; ` +
      'embed the query with the CLIP version the index was built with',
  );
}

/**
 * Checks `k` and the store before any request, then embeds the query with the client's CLIP model,
 * or the store's when the client names none, so that the two always match. An empty store is
 * answered without a request, so such a result has no `meta`; otherwise `meta` is the query's request's.
 */
export async function searchStore<M>(
  store: VectorStore<M>,
  k: number,
  clientVersion: ClipVersion | undefined,
  embed: (version: { clip_version_id?: ClipVersion }) => Promise<EmbeddingResult>,
): Promise<SearchHit<M>[] & Partial<WithMeta>> {
  checkK(k);
  const used = checkStoreMatchesClient(store, clientVersion);
  if ((await store.size) === 0) return [];
  const { embeddings, meta } = await embed(clipVersionField(clientVersion === undefined ? used : undefined));
  const query = embeddings[0]!;
  checkQueryDimension(store, query);
  return withMeta(await store.search(query, k), meta);
}
