/**
 * Metadata filters of `search`, decided as PostgreSQL decides jsonb containment, so that a filter selects
 * the same entries in `EmbeddingIndex` as in the PostgreSQL store.
 */
import { EmbeddingIndexError } from '../errors/errors.js';

export type MetadataFilter = Record<string, unknown>;

/** The filter when it is a plain object; throws invalid_argument otherwise. */
export function checkFilter(filter: unknown): MetadataFilter | undefined {
  if (filter !== undefined && !isPlainObject(filter)) {
    throw new EmbeddingIndexError('invalid_argument', 'filter must be a plain object');
  }
  return filter;
}

/** Whether `value` contains `pattern`: objects by key, arrays by element (any order), scalars by equality. */
export function jsonContains(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) {
    return Array.isArray(value) && pattern.every((wanted) => value.some((held) => jsonContains(held, wanted)));
  }
  if (isPlainObject(pattern)) {
    if (!isObject(value)) return false;
    return Object.entries(pattern).every(([key, wanted]) => Object.hasOwn(value, key) && jsonContains(value[key], wanted));
  }
  return value === pattern;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  const proto = isObject(value) && Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
