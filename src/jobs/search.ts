/**
 * Checks that a query embedded by a client can be searched in an index: the same CLIP model, or at
 * least vectors of the same length. Comparing embeddings of two models gives meaningless scores.
 */
import type { EmbeddingIndex } from '../vectors/embedding-index.js';
import { EmbeddingIndexError } from '../errors/errors.js';
import { EMBEDDING_DIMENSIONS, type ClipVersion } from '../wire/clip-versions.js';

/** Throws before any request when the client's CLIP version is known and the index was built with another one. */
export function checkIndexMatchesClient(index: EmbeddingIndex<unknown>, clipVersion: ClipVersion | undefined): void {
  if (clipVersion === undefined) return;
  const { clipVersion: built, dimension } = index;
  if (built !== undefined && built !== clipVersion) {
    throw new EmbeddingIndexError(
      'clip_version_mismatch',
      `index was built with clipVersion ${built} but this client embeds with ${clipVersion}; create the client with clipVersion: '${built}'`,
    );
  }
  const expected = EMBEDDING_DIMENSIONS[clipVersion];
  if (dimension !== undefined && dimension !== expected) {
    throw new EmbeddingIndexError(
      'dimension_mismatch',
      `index holds vectors of dimension ${dimension} but ${clipVersion} embeddings have dimension ${expected}`,
    );
  }
}

/** Throws before any request when `k` is not a usable result count. */
export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) {
    throw new EmbeddingIndexError('invalid_argument', `k must be an integer >= 1, got ${k}`);
  }
}

/** Throws when the embedded query cannot be compared with the index's vectors, naming the likely cause. */
export function checkQueryDimension(index: EmbeddingIndex<unknown>, query: ArrayLike<number>): void {
  const { clipVersion: built, dimension } = index;
  if (dimension === undefined || dimension === query.length) return;
  throw new EmbeddingIndexError(
    'dimension_mismatch',
    `the query embedding has dimension ${query.length} but the index${built ? ` (built with clipVersion ${built})` : ''} has dimension ${dimension}; ` +
      'embed the query with the CLIP version the index was built with',
  );
}
