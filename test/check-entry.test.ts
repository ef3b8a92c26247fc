import { describe, expect, it } from 'vitest';
import { EmbeddingIndexError } from '../src/errors/errors.js';
import { vectorLength } from '../src/vectors/check-entry.js';
import { l2Norm } from '../src/vectors/math.js';

function refusal(vector: ArrayLike<number>): string {
  try {
    vectorLength(vector, undefined, 'vector');
  } catch (error) {
    expect(error).toBeInstanceOf(EmbeddingIndexError);
    return `${(error as EmbeddingIndexError).code}: ${(error as Error).message}`;
  }
  throw new Error('vector was accepted');
}

describe('vectorLength', () => {
  it.each([Float32Array, Float64Array])('refuses a %s with a NaN or infinite component, naming it, as for a plain array', (FloatArray) => {
    expect(refusal(FloatArray.from([1, Number.NaN, 2]))).toBe('invalid_vector: vector component 1 is NaN, not finite');
    expect(refusal(FloatArray.from([1, 2, -Infinity]))).toBe('invalid_vector: vector component 2 is -Infinity, not finite');
    expect(refusal(FloatArray.from([0, 0, 0]))).toBe('invalid_vector: vector is all zeros');
    expect(refusal(FloatArray.from([1, Number.NaN, 2]))).toBe(refusal([1, Number.NaN, 2]));
  });

  it('gives a float array the length l2Norm gives, tiny and huge components included', () => {
    const cases = [[3, 4], [0.1, -0.2, 0.3], [1e-160, 1e-160], [1e200, 1e200], [1e30, 0, -1e30]];
    for (const numbers of cases) {
      for (const vector of [Float64Array.from(numbers), Float32Array.from(numbers), numbers]) {
        if (vector.every((x) => x === 0 || !Number.isFinite(x))) continue;
        expect(vectorLength(vector, undefined, 'vector')).toBe(l2Norm(vector));
      }
    }
  });

  it('refuses what is not a number in a plain array, which arithmetic would turn into one', () => {
    expect(refusal([1, null as unknown as number, 2])).toBe('invalid_vector: vector component 1 is null, not finite');
    expect(refusal([1, '2' as unknown as number])).toBe('invalid_vector: vector component 1 is 2, not finite');
  });
});
