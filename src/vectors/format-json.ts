/** The JSON file format of `EmbeddingIndex` (also what `JSON.stringify(index)` produces). */
import { EmbeddingIndexError } from '../errors/errors.js';
import type { IndexEntry } from './store.js';
import { vectorLength } from './check-entry.js';
import { checkHeader, type DecodedIndex, type IndexContents, type LoadExpectations } from './formats.js';

export const JSON_FORMAT = 'roboflow-clip/embedding-index';

/** Shape of the JSON persistence format (also what JSON.stringify(index) produces). */
export interface EmbeddingIndexJson<M = unknown> {
  format: typeof JSON_FORMAT;
  version: 1;
  clipVersion: string | null;
  dimension: number | null;
  entries: { id: string; vector: number[]; metadata?: M }[];
}

export function encodeJson<M>(contents: IndexContents<M>): EmbeddingIndexJson<M> {
  const { clipVersion, dimension, ids, metadata, rows } = contents;
  const dim = dimension ?? 0;
  return {
    format: JSON_FORMAT,
    version: 1,
    clipVersion: clipVersion ?? null,
    dimension: dimension ?? null,
    entries: ids.map((id, row) => {
      const vector = Array.from(rows.subarray(row * dim, (row + 1) * dim));
      const value = metadata[row];
      return value === undefined ? { id, vector } : { id, vector, metadata: value };
    }),
  };
}

export function decodeJson<M>(json: unknown, expect: LoadExpectations): DecodedIndex<M> {
  const doc = json as Partial<EmbeddingIndexJson<M>> | null;
  if (doc?.format !== JSON_FORMAT || doc.version !== 1 || !Array.isArray(doc.entries)) {
    throw new EmbeddingIndexError('invalid_file', `not a ${JSON_FORMAT} v1 document`);
  }
  const header = checkHeader(doc.clipVersion, doc.dimension, doc.entries.length, expect);
  // Rows are allocated for count * dimension floats: every entry is checked first, so that a small
  // file cannot claim a huge count or dimension.
  const entries = (doc.entries as unknown[]).map((entry, n): IndexEntry<M> => {
    const { id, vector, metadata } = (entry ?? {}) as Partial<IndexEntry<M>>;
    if (typeof id !== 'string' || !Array.isArray(vector)) {
      throw new EmbeddingIndexError('invalid_file', `corrupt embedding index: entry ${n} has no id or vector`);
    }
    vectorLength(vector, header.dimension, `entry ${n}`);
    return { id, vector, metadata };
  });
  return { ...header, entries };
}
