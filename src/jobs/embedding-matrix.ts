/**
 * `embeddingFormat: 'matrix'`: a list helper's vectors packed into one `Float32Array`, written as
 * each response arrives, so that a job of many inputs holds its numbers and little else.
 */
import { ClipResponseError, invalidOption } from '../errors/errors.js';
import { collectBatches, type BatchFailure, type BatchInputs, type BatchMeta, type ResolvedBatchOptions } from './batch.js';

/**
 * The vectors of a list job (`embedTexts` or `embedImages` with `embeddingFormat: 'matrix'`) as one
 * row-major `Float32Array`: row `i` is the embedding of input `i`. Rows are read as views of `data`
 * (`row(i)`, or iterating the matrix), so a list of 100,000 vectors costs its numbers and not an
 * object per vector. Failed inputs (with `onError: 'skip'`) are rows of NaN, listed in `failed`, and
 * `row(i)` gives `undefined` for them.
 *
 * Rows are written into the buffer as each response arrives. A list input has the smaller peak: its
 * length is known, so the buffer is allocated once, at its final size; any other iterable's buffer
 * doubles as it fills and is copied once to its exact size at the end (up to about three times the
 * numbers at that moment).
 */
export class EmbeddingMatrix implements Iterable<Float32Array | undefined> {
  /** Rows: one per input. */
  declare readonly count: number;
  /** Numbers per row (the model's embedding size); 0 when no request succeeded. */
  declare readonly dimension: number;
  /**
   * Every row, one after the other: exactly `count * dimension` numbers in an ArrayBuffer of their
   * own (`data.byteOffset` is 0 and `data.buffer` holds nothing else), so that it can be written to
   * a file or a store as it is. A failed input's row is NaN.
   */
  declare readonly data: Float32Array;
  /** Requests sent and the job's time, as a list result's `meta`. */
  declare readonly meta: BatchMeta;
  /** The inputs whose request failed (with `onError: 'skip'`), in input order, each with its error. */
  declare readonly failed: readonly BatchFailure[];
  readonly #failed: Set<number>;

  /** @internal Made by the list helpers. */
  constructor(init: { count: number; dimension: number; data: Float32Array; meta: BatchMeta; failed: readonly BatchFailure[] }) {
    Object.assign(this, init);
    this.#failed = new Set(init.failed.map((failure) => failure.index));
  }

  /**
   * Row `i` as a `Float32Array` view of `data` (writing to it writes to `data`; `.slice()` it to keep
   * a copy on its own), or `undefined` when input `i`'s request failed. Throws `ClipValidationError`
   * for an `i` that is not a whole number from 0 to `count - 1`.
   */
  row(i: number): Float32Array | undefined {
    const { count, dimension } = this;
    if (!Number.isInteger(i) || i < 0 || i >= count) throw invalidOption([], `must be a whole number in [0, ${count}), got ${String(i)}`, 'Invalid row index');
    return this.#failed.has(i) ? undefined : this.data.subarray(i * dimension, (i + 1) * dimension);
  }

  /** Every row in input order, as `row(i)` gives it: `[...matrix]` reads like the list format. */
  *[Symbol.iterator](): IterableIterator<Float32Array | undefined> {
    for (let i = 0; i < this.count; i++) yield this.row(i);
  }
}

/**
 * Runs a list job into an `EmbeddingMatrix`, each response's vectors written at their rows as it
 * arrives. With a known row count (a list input) the buffer is allocated once, at its final size,
 * when the first response gives the dimension; otherwise it doubles as it fills (from 64 rows) and
 * is copied once to its exact size at the end. A response whose vectors have another length than
 * the matrix's fails its request. A job that stops rejects with `ClipBatchError`, whose `results`
 * are the rows that completed (views of the job's buffer) at their input's index. A buffer that
 * cannot be allocated ends the job with that error, and nothing more is sent.
 */
export async function runMatrixJob<T>(
  inputs: BatchInputs<T>,
  options: ResolvedBatchOptions,
  send: (items: T[], signal: AbortSignal, released: () => void) => Promise<readonly ArrayLike<number>[]>,
): Promise<EmbeddingMatrix> {
  const known = Array.isArray(inputs) ? inputs.length : undefined;
  let dimension = 0;
  let data = new Float32Array(0);
  let fatal: unknown;
  const allocate = (numbers: number, kept: Float32Array) => {
    try {
      const made = new Float32Array(numbers);
      made.set(kept.subarray(0, numbers));
      return made;
    } catch (error) {
      throw (fatal = error);
    }
  };
  // The stream's values stand for rows already written: the inputs themselves, so that nothing is made per row.
  const written = async (items: T[], signal: AbortSignal, released: () => void, start: number) => {
    if (fatal) throw fatal;
    const vectors = await send(items, signal, released);
    if (fatal) throw fatal;
    dimension ||= vectors[0]?.length ?? 0;
    const other = vectors.find((vector) => vector.length !== dimension);
    if (other) throw new ClipResponseError(`server returned embeddings of ${other.length} numbers, this job's first had ${dimension}`);
    const rows = start + vectors.length;
    if (rows * dimension > data.length) {
      data = allocate(dimension * (known !== undefined && rows <= known ? known : Math.max(rows, (2 * data.length) / dimension, 64)), data);
    }
    vectors.forEach((vector, i) => data.set(vector, (start + i) * dimension));
    return items;
  };
  const row = (i: number) => data.subarray(i * dimension, (i + 1) * dimension);
  // Outcomes come in input order and a stopping job yields no failure: rows 0 to count - 1 completed, then those the error kept.
  const stopped = (kept: readonly unknown[], count: number) => {
    if (fatal) throw fatal;
    const results = Array.from({ length: count }, (_, i) => row(i));
    kept.forEach((_, index) => (results[index] = row(index)));
    return results;
  };
  const { meta, failed, count } = await collectBatches(inputs, options, written, () => {}, stopped);
  if (fatal) throw fatal;
  if (data.length !== count * dimension) data = allocate(count * dimension, data);
  for (const { index } of failed) data.fill(NaN, index * dimension, (index + 1) * dimension);
  return new EmbeddingMatrix({ count, dimension, data, meta, failed });
}
