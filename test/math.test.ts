import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cosineSimilarity, dot, l2Norm, normalize, softmax, topK, TopKSelector } from '../src/vectors/math.js';

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

describe('dot', () => {
  it('dot multiplies componentwise and sums', () => {
    expect(dot([1, 2, 3], new Float32Array([4, 5, 6]))).toBe(32);
  });

  it('dot throws RangeError on length mismatch or empty vectors', () => {
    expect(() => dot([1, 2], [1])).toThrow(RangeError);
    expect(() => dot([], [])).toThrow(RangeError);
  });
});

describe('cosineSimilarity', () => {
  it('cosineSimilarity is 1 for parallel, -1 for opposite and 0 for orthogonal vectors', () => {
    expect(cosineSimilarity([1, 2], [2, 4])).toBeCloseTo(1, 12);
    expect(cosineSimilarity([1, 2], [-1, -2])).toBeCloseTo(-1, 12);
    expect(cosineSimilarity([1, 0], [0, 3])).toBe(0);
  });

  it('cosineSimilarity ignores magnitude and accepts typed or plain arrays', () => {
    const a = [0.3, -1.2, 4];
    const b = [2, 0.5, -0.1];
    const expected = cosineSimilarity(a, b);
    expect(cosineSimilarity(a.map((x) => x * 1000), new Float64Array(b))).toBeCloseTo(expected, 12);
  });

  it('cosineSimilarity throws RangeError on length mismatch or empty vectors', () => {
    expect(() => cosineSimilarity([1, 2, 3], [1, 2])).toThrow(/length mismatch \(3 vs 2\)/);
    expect(() => cosineSimilarity([], [])).toThrow(RangeError);
  });

  it('cosineSimilarity returns 0 when either vector is all zeros', () => {
    expect(cosineSimilarity([0, 0], [1, 2])).toBe(0);
    expect(cosineSimilarity([1, 2], [0, 0])).toBe(0);
  });
});

describe('l2Norm', () => {
  it('l2Norm is exact even when squaring the components would overflow or underflow', () => {
    expect(l2Norm([3, 4])).toBe(5);
    expect(l2Norm([3e200, 4e200]) / 5e200).toBeCloseTo(1, 12);
    expect(l2Norm([3e-200, 4e-200]) / 5e-200).toBeCloseTo(1, 12);
    expect(l2Norm([0, 0])).toBe(0);
  });

  it('l2Norm is NaN or Infinity when a component is', () => {
    expect(l2Norm([1, Number.NaN, Infinity])).toBeNaN();
    expect(l2Norm([1, -Infinity])).toBe(Infinity);
  });
});

describe('normalize', () => {
  it('normalize returns a unit-length number[] copy for any input type', () => {
    const input = new Float32Array([3, 4]);
    const out = normalize(input);
    expect(Array.isArray(out)).toBe(true);
    expect(out).toEqual([0.6, 0.8]);
    expect(Array.from(input)).toEqual([3, 4]);
    expect(norm(normalize([1e-200, 1e-200]))).toBeCloseTo(1, 12);
  });

  it('normalize throws RangeError for empty, zero or non-finite vectors', () => {
    expect(() => normalize([])).toThrow(RangeError);
    expect(() => normalize([0, 0])).toThrow(/zero vector/);
    expect(() => normalize([1, Number.NaN])).toThrow(/non-finite/);
    expect(() => normalize([1, Infinity])).toThrow(/non-finite/);
  });
});

describe('softmax', () => {
  it('softmax sums to 1 and is stable for large inputs', () => {
    const out = softmax([1000, 1001, 1002]);
    expect(out.every(Number.isFinite)).toBe(true);
    expect(out.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    const shifted = softmax([0, 1, 2]);
    out.forEach((p, i) => expect(p).toBeCloseTo(shifted[i]!, 12));
  });

  it('softmax scale multiplies the logits first (sharpening the distribution)', () => {
    const [low] = softmax([0.3, 0.2]);
    const [high] = softmax([0.3, 0.2], 100);
    expect(high).toBeCloseTo(softmax([30, 20])[0]!, 12);
    expect(high).toBeGreaterThan(low!);
  });

  it('softmax of an empty input is an empty array', () => {
    expect(softmax([])).toEqual([]);
  });

  it('softmax throws RangeError on non-finite values or scale', () => {
    expect(() => softmax([1, Number.NaN])).toThrow(RangeError);
    expect(() => softmax([1, Infinity])).toThrow(RangeError);
    expect(() => softmax([1, 2], Number.NaN)).toThrow(RangeError);
  });

  it('softmax is a probability distribution for any finite input', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1 }), (values) => {
        const out = softmax(values);
        expect(out.every((p) => p >= 0 && p <= 1)).toBe(true);
        expect(out.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 9);
      }),
    );
  });
});

describe('topK', () => {
  it('topK returns the k best, best first, ties by lower index', () => {
    expect(topK([3, 1, 3, 2, 5], 3)).toEqual([
      { index: 4, score: 5 },
      { index: 0, score: 3 },
      { index: 2, score: 3 },
    ]);
  });

  it('topK returns everything sorted when k exceeds the length, and [] for no scores', () => {
    expect(topK(new Float32Array([1, 3, 2]), 10).map((r) => r.index)).toEqual([1, 2, 0]);
    expect(topK([], 3)).toEqual([]);
  });

  it('topK skips NaN scores but keeps -Infinity', () => {
    expect(topK([Number.NaN, -Infinity, 1], 3)).toEqual([
      { index: 2, score: 1 },
      { index: 1, score: -Infinity },
    ]);
  });

  it('topK throws RangeError unless k is an integer >= 1', () => {
    for (const k of [0, -1, 1.5, Number.NaN]) expect(() => topK([1], k)).toThrow(RangeError);
  });

  it('topK equals a stable full sort sliced to k', () => {
    // Small integers force many ties, exercising the lower-index-first rule.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 5 })), fc.integer({ min: 1, max: 20 }), (scores, k) => {
        const expected = scores
          .map((score, index) => ({ index, score }))
          .sort((a, b) => b.score - a.score || a.index - b.index)
          .slice(0, k);
        expect(topK(scores, k)).toEqual(expected);
      }),
    );
  });

  it('TopKSelector.threshold is -Infinity until k items are held, then the k-th best', () => {
    const selector = new TopKSelector(2);
    selector.offer(0, 5);
    expect(selector.threshold).toBe(-Infinity);
    selector.offer(1, 1);
    expect(selector.threshold).toBe(1);
    selector.offer(2, 3);
    expect(selector.threshold).toBe(3);
    expect(selector.drain()).toEqual([
      { index: 0, score: 5 },
      { index: 2, score: 3 },
    ]);
  });
});
