/** The checks every store makes of what comes in, so that each refuses the same input the same way. */
import { EmbeddingIndexError } from '../errors/errors.js';
import { l2Norm } from './math.js';

/**
 * Validates a vector against a store's dimension (none yet: any length) and returns its Euclidean
 * length. `what` names the vector and `holder` the store in messages.
 */
export function vectorLength(vector: ArrayLike<number>, dimension: number | undefined, what: string, holder = 'index'): number {
  if (vector.length === 0) throw new EmbeddingIndexError('invalid_vector', `${what} is empty`);
  if (dimension !== undefined && vector.length !== dimension) {
    throw new EmbeddingIndexError('dimension_mismatch', `${what} has dimension ${vector.length}, ${holder} has dimension ${dimension}`);
  }
  // A float array holds numbers only, so its length tells all: a NaN or infinite component makes it
  // NaN or infinite. Other arrays, and float arrays that fail, take the component checks.
  if (vector instanceof Float32Array || vector instanceof Float64Array) {
    const length = l2Norm(vector);
    if (length > 0 && length < Infinity) return length;
  }
  for (let j = 0; j < vector.length; j++) {
    if (!Number.isFinite(vector[j])) {
      throw new EmbeddingIndexError('invalid_vector', `${what} component ${j} is ${vector[j]}, not finite`);
    }
  }
  const norm = l2Norm(vector);
  if (norm === 0) throw new EmbeddingIndexError('invalid_vector', `${what} is all zeros`);
  if (norm === Infinity) throw new EmbeddingIndexError('invalid_vector', `${what} is too large to normalise`);
  return norm;
}

export function checkId(id: unknown): asserts id is string {
  if (typeof id !== 'string') {
    throw new EmbeddingIndexError('invalid_argument', `id must be a string, got a ${typeof id}`);
  }
}

/**
 * Metadata is kept as JSON: what JSON cannot hold (a BigInt, a cycle) is refused when it comes in,
 * not when a later save would fail on it. Returns the JSON text (undefined for no metadata).
 */
export function metadataJson(id: string, metadata: unknown): string | undefined {
  if (metadata === undefined) return undefined;
  try {
    return JSON.stringify(metadata);
  } catch (err) {
    throw new EmbeddingIndexError('invalid_metadata', `metadata of id "${id}" cannot be saved as JSON: ${(err as Error).message}`);
  }
}
