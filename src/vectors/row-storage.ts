/**
 * The rows of an `EmbeddingIndex`: one contiguous Float32Array of `dimension` floats a row, in
 * WebAssembly memory where the SIMD kernel compiles (so it scores them in place), otherwise in JS.
 * Room doubles when full and is given back when most of it lies unused.
 */
import { simdRows, type SimdRows } from './simd/kernel.js';

export class RowStorage {
  readonly #dimension: number;
  readonly #initialRows: number;
  readonly #keptRows: number;
  #data: Float32Array = new Float32Array(0);
  #simd: SimdRows | undefined;

  /** `initialRows` are allocated on first use; giving memory back keeps room for `keptRows`. */
  constructor(dimension: number, initialRows: number, keptRows: number) {
    this.#dimension = dimension;
    this.#initialRows = initialRows;
    this.#keptRows = keptRows;
    // The kernel reads four floats at a time; rows of other lengths are scored in JS.
    this.#simd = dimension % 4 === 0 ? simdRows() : undefined;
  }

  /** The rows (a view that a later grow or shrink replaces: do not keep it across them). */
  get data(): Float32Array {
    return this.#data;
  }

  /** The SIMD kernel over `data`, or undefined when rows are scored in JS. */
  get simd(): SimdRows | undefined {
    return this.#simd;
  }

  /** Rows there is room for. */
  get capacity(): number {
    return this.#data.length / this.#dimension;
  }

  /** Makes room for `rows` rows. */
  reserve(rows: number): void {
    if (this.capacity >= rows) return;
    this.#reallocate(Math.max(rows, this.capacity * 2, this.#initialRows), rows);
  }

  /** Gives memory back once `rows` rows use under a quarter of it, keeping room to double. */
  release(rows: number): void {
    const target = Math.max(rows * 2, this.#keptRows);
    if (rows * 4 < this.capacity && target < this.capacity) this.#reallocate(target, rows);
  }

  #reallocate(capacityRows: number, usedRows: number): void {
    const dim = this.#dimension;
    const floats = capacityRows * dim;
    const kept = this.#data.subarray(0, Math.min(usedRows * dim, this.#data.length));
    const shrinking = floats < this.#data.length;
    try {
      // WebAssembly memory never shrinks: giving memory back takes a new one.
      const simd = shrinking && this.#simd ? simdRows() : this.#simd;
      if (simd) {
        const data = simd.resize(floats, dim);
        if (simd !== this.#simd) data.set(kept);
        this.#simd = simd;
        this.#data = data;
        return;
      }
    } catch {
      // Past WebAssembly's 4 GiB: move the rows to JS memory and score them there from now on.
    }
    this.#simd = undefined;
    const data = new Float32Array(floats);
    data.set(kept);
    this.#data = data;
  }
}
