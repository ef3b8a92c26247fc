/** Pure vector helpers for CLIP embeddings. No I/O, safe in any runtime. */

function assertSameLength(a: ArrayLike<number>, b: ArrayLike<number>, fn: string): void {
  if (a.length !== b.length) {
    throw new RangeError(`${fn}: length mismatch (${a.length} vs ${b.length})`);
  }
  if (a.length === 0) throw new RangeError(`${fn}: vectors are empty`);
}

/** Dot product; throws RangeError on a length mismatch or empty vectors. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertSameLength(a, b, 'dot');
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** Cosine similarity in [-1, 1] in one pass; throws RangeError on a length mismatch or empty vectors, returns 0 if either vector is all zeros, NaN if any component is NaN. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertSameLength(a, b, 'cosineSimilarity');
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  if (aa === 0 || bb === 0) return 0;
  return ab / (Math.sqrt(aa) * Math.sqrt(bb));
}

/** Euclidean length, accurate even when squaring the components would overflow or underflow; NaN or Infinity if a component is. */
export function l2Norm(v: ArrayLike<number>): number {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += v[i]! * v[i]!;
  // A sum in this range means no significant square under- or overflowed; otherwise rescale by the largest magnitude.
  if (sq >= 1e-290 && sq <= 1e290) return Math.sqrt(sq);
  let max = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]!);
    if (Number.isNaN(a)) return a;
    if (a > max) max = a;
  }
  if (max === 0 || max === Infinity) return max;
  sq = 0;
  for (let i = 0; i < v.length; i++) sq += (v[i]! / max) ** 2;
  return max * Math.sqrt(sq);
}

/** Unit-length copy as a plain number[] (double precision) whatever the input type; throws RangeError for empty, all-zero or non-finite vectors. */
export function normalize(v: ArrayLike<number>): number[] {
  if (v.length === 0) throw new RangeError('normalize: vector is empty');
  const length = l2Norm(v);
  if (!Number.isFinite(length)) throw new RangeError('normalize: vector has non-finite components');
  if (length === 0) throw new RangeError('normalize: cannot normalise a zero vector');
  return Array.from(v, (x) => x / length);
}

/** Softmax of `values * scale` (scale is CLIP's logit scale / inverse temperature); subtracts the max so large inputs cannot overflow; [] for []; throws RangeError on non-finite inputs. */
export function softmax(values: ArrayLike<number>, scale = 1): number[] {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]! * scale;
    if (!Number.isFinite(x)) throw new RangeError('softmax: values and scale must be finite');
    if (x > max) max = x;
  }
  const out = Array.from(values, (x) => Math.exp(x * scale - max));
  const total = out.reduce((s, x) => s + x, 0);
  return out.map((x) => x / total);
}

/** A score with the position it came from. */
export interface Ranked {
  index: number;
  score: number;
}

function assertK(k: number, fn: string): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`${fn}: k must be an integer >= 1, got ${k}`);
}

/**
 * Bounded top-k collector: a size-k min-heap whose root is the current k-th best,
 * so each offer costs O(1) when rejected and O(log k) when kept. NaN scores are never kept;
 * equal scores prefer the lower index.
 */
export class TopKSelector {
  readonly #k: number;
  readonly #scores: Float64Array;
  readonly #indices: Float64Array;
  #size = 0;

  constructor(k: number) {
    assertK(k, 'TopKSelector');
    this.#k = k;
    this.#scores = new Float64Array(k);
    this.#indices = new Float64Array(k);
  }

  /** Score to beat while scanning indices in ascending order: the k-th best once full, else -Infinity. */
  get threshold(): number {
    return this.#size < this.#k ? -Infinity : this.#scores[0]!;
  }

  /** Offers a candidate; kept if the heap is not full or it beats the current k-th best. */
  offer(index: number, score: number): void {
    if (this.#size < this.#k) {
      if (Number.isNaN(score)) return;
      this.#siftUp(this.#size++, index, score);
    } else if (this.#worse(this.#scores[0]!, this.#indices[0]!, score, index)) {
      this.#siftDown(0, index, score);
    }
  }

  /** Empties the collector, returning the kept items best first. */
  drain(): Ranked[] {
    const out = new Array<Ranked>(this.#size);
    while (this.#size > 0) {
      out[this.#size - 1] = { index: this.#indices[0]!, score: this.#scores[0]! };
      const last = --this.#size;
      if (last > 0) this.#siftDown(0, this.#indices[last]!, this.#scores[last]!);
    }
    return out;
  }

  #worse(sa: number, ia: number, sb: number, ib: number): boolean {
    return sa < sb || (sa === sb && ia > ib);
  }

  // Both sifts move a "hole" instead of swapping, writing the item once at the end.
  #siftUp(pos: number, index: number, score: number): void {
    const s = this.#scores;
    const ix = this.#indices;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!this.#worse(score, index, s[parent]!, ix[parent]!)) break;
      s[pos] = s[parent]!;
      ix[pos] = ix[parent]!;
      pos = parent;
    }
    s[pos] = score;
    ix[pos] = index;
  }

  #siftDown(pos: number, index: number, score: number): void {
    const s = this.#scores;
    const ix = this.#indices;
    const n = this.#size;
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= n) break;
      if (child + 1 < n && this.#worse(s[child + 1]!, ix[child + 1]!, s[child]!, ix[child]!)) child++;
      if (!this.#worse(s[child]!, ix[child]!, score, index)) break;
      s[pos] = s[child]!;
      ix[pos] = ix[child]!;
      pos = child;
    }
    s[pos] = score;
    ix[pos] = index;
  }
}

/** The k highest scores with their indices, best first, ties by lower index; O(n log k), NaN skipped; throws RangeError unless k is an integer >= 1. */
export function topK(scores: ArrayLike<number>, k: number): Ranked[] {
  assertK(k, 'topK');
  if (scores.length === 0) return [];
  const selector = new TopKSelector(Math.min(k, scores.length));
  for (let i = 0; i < scores.length; i++) selector.offer(i, scores[i]!);
  return selector.drain();
}
