/**
 * `embeddingFormat: 'matrix'`: a list helper's vectors packed into one `Float32Array`, written as
 * each response arrives, so that a job of many inputs holds its numbers and little else.
 */
import { ClipBatchError, ClipError, ClipResponseError, ClipValidationError } from '../errors/errors.js';
import type { BatchFailure, BatchInputs, BatchMeta, ResolvedBatchOptions } from './batch.js';
import { streamBatches } from './stream.js';

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
  readonly count: number;
  /** Numbers per row (the model's embedding size); 0 when no request succeeded. */
  readonly dimension: number;
  /**
   * Every row, one after the other: exactly `count * dimension` numbers in an ArrayBuffer of their
   * own (`data.byteOffset` is 0 and `data.buffer` holds nothing else), so that it can be written to
   * a file or a store as it is. A failed input's row is NaN.
   */
  readonly data: Float32Array;
  /** Requests sent and the job's time, as a list result's `meta`. */
  readonly meta: BatchMeta;
  /** The inputs whose request failed (with `onError: 'skip'`), in input order, each with its error. */
  readonly failed: readonly BatchFailure[];

  /** @internal Made by the list helpers. */
  constructor(init: { count: number; dimension: number; data: Float32Array; meta: BatchMeta; failed: readonly BatchFailure[] }) {
    this.count = init.count;
    this.dimension = init.dimension;
    this.data = init.data;
    this.meta = init.meta;
    this.failed = init.failed;
  }

  /**
   * Row `i` as a `Float32Array` view of `data` (writing to it writes to `data`; `.slice()` it to keep
   * a copy on its own), or `undefined` when input `i`'s request failed. Throws `ClipValidationError`
   * for an `i` that is not a whole number from 0 to `count - 1`.
   */
  row(i: number): Float32Array | undefined {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      const range = this.count === 0 ? 'the matrix has no rows' : `must be a whole number from 0 to ${this.count - 1}`;
      throw new ClipValidationError([{ path: [], message: `${range}, got ${typeof i === 'number' ? i : typeof i}` }], 'Invalid row index');
    }
    return isFailed(this.failed, i) ? undefined : this.data.subarray(i * this.dimension, (i + 1) * this.dimension);
  }

  /** Every row in input order, as `row(i)` gives it: `[...matrix]` reads like the list format. */
  *[Symbol.iterator](): IterableIterator<Float32Array | undefined> {
    for (let i = 0; i < this.count; i++) yield this.row(i);
  }
}

/** Whether row `i` is in `failed`, which lists rows in ascending order. */
function isFailed(failed: readonly BatchFailure[], i: number): boolean {
  let low = 0;
  let high = failed.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const index = failed[middle]!.index;
    if (index === i) return true;
    if (index < i) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}

/** Rows first allocated for an input of unknown length; the buffer then doubles as it fills. */
const FIRST_ROWS = 64;

/**
 * Writes each response's vectors at their rows. With a known row count (a list input) the buffer
 * is allocated once, at its final size, when the first response gives the dimension; otherwise it
 * doubles as it fills and is copied once to its exact size at the end.
 */
class MatrixWriter {
  dimension: number | undefined;
  data: Float32Array = new Float32Array(0);
  /** Set when the buffer could not be allocated: the job cannot go on. */
  fatal: ClipError | undefined;
  readonly #known: number | undefined;

  constructor(known: number | undefined) {
    this.#known = known;
  }

  /** Fails the response's request, whose inputs start at row `start`, when its vectors have another length than the matrix's. */
  write(start: number, vectors: readonly ArrayLike<number>[]): void {
    if (this.fatal) throw this.fatal;
    const dimension = this.dimension ?? vectors[0]?.length ?? 0;
    const other = vectors.find((vector) => vector.length !== dimension);
    if (other) {
      throw new ClipResponseError(`server returned embeddings of ${other.length} numbers where this job's earlier ones have ${dimension}; a matrix needs one dimension`);
    }
    this.dimension = dimension;
    this.#reserve(start + vectors.length);
    for (let i = 0; i < vectors.length; i++) this.data.set(vectors[i]!, (start + i) * dimension);
  }

  /** A view of row `i`, for the results of a job that stopped. */
  row(i: number): Float32Array {
    const dimension = this.dimension ?? 0;
    return this.data.subarray(i * dimension, (i + 1) * dimension);
  }

  /** The exact buffer of `count` rows, failed rows set to NaN. */
  finish(count: number, failed: readonly BatchFailure[]): Float32Array {
    const dimension = this.dimension ?? 0;
    let data = this.data;
    if (data.length !== count * dimension) {
      data = this.#allocate(count * dimension);
      data.set(this.data.subarray(0, count * dimension));
      this.data = data;
    }
    for (const { index } of failed) data.fill(Number.NaN, index * dimension, (index + 1) * dimension);
    return data;
  }

  #reserve(rows: number): void {
    const dimension = this.dimension!;
    const capacity = dimension === 0 ? 0 : this.data.length / dimension;
    if (rows <= capacity && this.data.length > 0) return;
    const known = this.#known;
    const grown = known !== undefined && rows <= known ? known : Math.max(rows, capacity * 2, FIRST_ROWS);
    const data = this.#allocate(grown * dimension);
    data.set(this.data);
    this.data = data;
  }

  #allocate(numbers: number): Float32Array {
    try {
      return new Float32Array(numbers);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      this.fatal = new ClipError(`Could not allocate a matrix of ${numbers} float32 numbers (${why}): embedTextsStream or embedImagesStream hold a batch at a time`, { cause: error });
      throw this.fatal;
    }
  }
}

/**
 * Runs a list job through `streamBatches` into an `EmbeddingMatrix`, each response's vectors written
 * at their rows as it arrives. A job that stops rejects with `ClipBatchError`, whose `results` are
 * the rows that completed (views of the job's buffer) at their input's index.
 */
export async function runMatrixJob<T>(
  inputs: BatchInputs<T>,
  options: ResolvedBatchOptions,
  send: (items: T[], signal: AbortSignal) => Promise<readonly ArrayLike<number>[]>,
): Promise<EmbeddingMatrix> {
  const started = performance.now();
  let requests = 0;
  const writer = new MatrixWriter(Array.isArray(inputs) ? inputs.length : undefined);
  // The stream's values stand for rows already written: the inputs themselves, so that nothing is made per row.
  const written = async (items: T[], signal: AbortSignal, start: number) => {
    requests++;
    writer.write(start, await send(items, signal));
    return items;
  };
  const failed: BatchFailure[] = [];
  let count = 0;
  try {
    for await (const outcome of streamBatches(inputs, options, written)) {
      if (writer.fatal) break;
      count++;
      if ('error' in outcome) failed.push({ index: outcome.index, error: outcome.error });
    }
  } catch (error) {
    if (writer.fatal) throw writer.fatal;
    if (!(error instanceof ClipBatchError)) throw error;
    // Outcomes come in input order and a stopping job yields no failure: rows 0 to count - 1 completed, then those the error kept.
    const results: Float32Array[] = [];
    for (let i = 0; i < count; i++) results[i] = writer.row(i);
    error.results.forEach((_, index) => (results[index] = writer.row(index)));
    throw new ClipBatchError({ start: error.start, end: error.end, completed: error.completed, cause: error.cause, results });
  }
  if (writer.fatal) throw writer.fatal;
  const data = writer.finish(count, failed);
  const meta: BatchMeta = { requests, elapsedMs: performance.now() - started };
  return new EmbeddingMatrix({ count, dimension: writer.dimension ?? 0, data, meta, failed });
}
