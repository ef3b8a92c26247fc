/**
 * Index rows in WebAssembly memory, scored by the SIMD kernel of dot.wat. Compiled once, on first use,
 * from bytes: runtimes that forbid that (Cloudflare Workers) or lack WebAssembly get `undefined` from
 * simdRows() and EmbeddingIndex keeps its rows in a plain Float32Array, scored in JS.
 */
import { DOT_WASM } from './dot-wasm.js';

type ScoreFn = (q: number, row: number, rows: number, dim: number, out: number) => void;

/** Rows per kernel call (a multiple of 4, see dot.wat): the scores of one call fit in 1 KiB. */
export const SIMD_BLOCK_ROWS = 256;
const PAGE_BYTES = 65_536;

// undefined: not tried yet; null: this runtime cannot compile it.
let compiled: WebAssembly.Module | null | undefined;
let enabled = true;

/** Internal, for tests: false makes indexes created afterwards use the JS path, as where WebAssembly cannot compile. */
export function setSimdEnabled(on: boolean): void {
  enabled = on;
}

/** One index's rows and the kernel over them; the rows view is replaced whenever the memory grows. */
export interface SimdRows {
  /**
   * A view of `floats` row floats at offset 0, keeping the current rows; past them is room for a query
   * and one block of scores, and for the up to 3 rows the kernel reads beyond the last one.
   * Growing detaches every earlier view. Throws RangeError beyond 4 GiB.
   */
  resize(floats: number, dim: number): Float32Array;
  /** Copies the query behind `rows` (the current view); returns the view the kernel's scores land in. */
  prepare(rows: Float32Array, query: Float32Array): Float32Array;
  /** Scores `count` rows (at most SIMD_BLOCK_ROWS) from `row` against the prepared query. */
  score(row: number, count: number, dim: number): void;
}

function bind(module: WebAssembly.Module): SimdRows {
  const memory = new WebAssembly.Memory({ initial: 0 });
  const kernel = new WebAssembly.Instance(module, { e: { m: memory } }).exports.s as ScoreFn;
  let query = 0;
  let out = 0;
  return {
    resize(floats, dim) {
      const pages = Math.ceil(((floats + 3 * dim + SIMD_BLOCK_ROWS) * 4) / PAGE_BYTES) - memory.buffer.byteLength / PAGE_BYTES;
      if (pages > 0) memory.grow(pages);
      return new Float32Array(memory.buffer, 0, floats);
    },
    prepare(rows, q) {
      query = rows.byteLength;
      out = query + q.byteLength;
      new Float32Array(rows.buffer, query, q.length).set(q);
      return new Float32Array(rows.buffer, out, SIMD_BLOCK_ROWS);
    },
    score(row, count, dim) {
      kernel(query, row * dim * 4, count, dim, out);
    },
  };
}

/** Kernel-backed rows for a new index, or undefined where WebAssembly cannot be compiled at run time. */
export function simdRows(): SimdRows | undefined {
  if (!enabled || compiled === null) return undefined;
  // Without WebAssembly at all the reference below throws too, and lands in the same catch.
  try {
    compiled ??= new WebAssembly.Module(Uint8Array.from(DOT_WASM.match(/../g)!, (byte) => parseInt(byte, 16)));
    return bind(compiled);
  } catch {
    compiled = null;
    return undefined;
  }
}
