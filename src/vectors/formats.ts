/**
 * What the two file formats of `EmbeddingIndex` share: the contents they are written from, what
 * reading one yields, and the header checks that hold for both.
 */
import { EmbeddingIndexError } from '../errors/errors.js';
import type { IndexEntry } from './store.js';

/** Expectations checked against a loaded file; a mismatch throws. */
export interface LoadExpectations {
  clipVersion?: string | undefined;
  dimension?: number | undefined;
}

/** An index's contents as a format writes them: `rows` holds `ids.length * dimension` floats. */
export interface IndexContents<M> {
  clipVersion: string | undefined;
  dimension: number | undefined;
  ids: readonly string[];
  metadata: readonly (M | undefined)[];
  rows: Float32Array;
}

/** A file's checked header and its entries, every one already checked against the header. */
export interface DecodedIndex<M> {
  clipVersion: string | undefined;
  dimension: number | undefined;
  entries: IndexEntry<M>[];
}

export function isPositiveInteger(n: unknown): n is number {
  return Number.isInteger(n) && (n as number) > 0;
}

/** Validates a file's clipVersion and dimension, then the caller's expectations of them. */
export function checkHeader(
  clipVersion: unknown,
  dimension: unknown,
  count: number,
  expect: LoadExpectations,
): { clipVersion: string | undefined; dimension: number | undefined } {
  if (
    (clipVersion !== null && typeof clipVersion !== 'string') ||
    (dimension !== null && !isPositiveInteger(dimension)) ||
    (dimension === null && count > 0)
  ) {
    throw new EmbeddingIndexError('invalid_file', 'corrupt embedding index: bad clipVersion or dimension');
  }
  if (expect.clipVersion !== undefined && expect.clipVersion !== clipVersion) {
    throw new EmbeddingIndexError(
      'clip_version_mismatch',
      `index was built with clipVersion ${clipVersion ?? '(none)'}, expected ${expect.clipVersion}`,
    );
  }
  if (expect.dimension !== undefined && expect.dimension !== dimension) {
    throw new EmbeddingIndexError('dimension_mismatch', `index has dimension ${dimension ?? '(none)'}, expected ${expect.dimension}`);
  }
  return { clipVersion: clipVersion ?? undefined, dimension: dimension ?? undefined };
}
