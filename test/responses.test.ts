import { describe, expect, it } from 'vitest';
import { checkEmbeddings, checkSimilarity } from '../src/wire/responses.js';

describe('response checks', () => {
  it('a name-map similarity must carry each prompt name as its own key, not one inherited from Object', () => {
    expect(checkSimilarity({ similarity: { x: 0.1, b: 0.2 } }, ['constructor', 'b'])).toMatch(/do not match/);
    expect(checkSimilarity({ similarity: { constructor: 0.1, b: 0.2 } }, ['constructor', 'b'])).toBeUndefined();
  });

  it('embeddings must be one finite vector per input, all of the same length', () => {
    expect(checkEmbeddings({ embeddings: [[1, 2]] }, 1)).toBeUndefined();
    expect(checkEmbeddings({ embeddings: [[1, 2]] }, 2)).toMatch(/1 embedding\(s\) for 2 input/);
    expect(checkEmbeddings({ embeddings: [[1, 2], [1]] }, 2)).toMatch(/length 1/);
    expect(checkEmbeddings({ embeddings: [[1, Number.NaN]] }, 1)).toBe('embedding 0[1] is not a finite number');
  });
});
