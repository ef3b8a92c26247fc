import { expect } from 'vitest';
import { EmbeddingIndexError, type EmbeddingIndexErrorCode } from '../../src/vectors.js';

/** Asserts that `fn` throws an `EmbeddingIndexError` with `code`, and a message matching `message` when given. */
export function expectCode(fn: () => unknown, code: EmbeddingIndexErrorCode, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(EmbeddingIndexError);
  expect((caught as EmbeddingIndexError).code).toBe(code);
  if (message) expect((caught as Error).message).toMatch(message);
}
