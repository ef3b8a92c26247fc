/**
 * EmbeddingIndex.search against a bare Float32Array dot loop (the floor) and a naive
 * number[][] cosine + full sort. Run: npx tsx bench/index-search.ts
 */
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { EmbeddingIndex } from '../src/vectors/embedding-index.js';
import { cosineSimilarity } from '../src/vectors/math.js';
import type { BenchRow } from './lib.js';


export interface IndexBenchOptions {
  count?: number;
  dimension?: number;
  repetitions?: number;
}

export interface IndexBenchResult {
  rows: BenchRow[];
  medians: { searchMs: number; bareLoopMs: number; naiveMs: number };
}

// Seeded (mulberry32) so every run measures the same data.
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function unitRows(count: number, dim: number, random: () => number): Float32Array {
  const data = new Float32Array(count * dim);
  for (let row = 0; row < count; row++) {
    const v = data.subarray(row * dim, (row + 1) * dim);
    let sq = 0;
    for (let j = 0; j < dim; j++) {
      v[j] = random() * 2 - 1;
      sq += v[j]! * v[j]!;
    }
    const inv = 1 / Math.sqrt(sq);
    for (let j = 0; j < dim; j++) v[j]! *= inv;
  }
  return data;
}

function bareLoop(data: Float32Array, q: Float32Array, out: Float64Array, dim: number): void {
  for (let row = 0; row < out.length; row++) {
    const base = row * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) s += data[base + j]! * q[j]!;
    out[row] = s;
  }
}

function naive(vectors: number[][], q: number[]): { index: number; score: number }[] {
  return vectors
    .map((v, index) => ({ index, score: cosineSimilarity(v, q) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, 10);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

// Interleaves the three methods per repetition so drift (thermal, GC) hits them equally.
export async function runIndexBench(options: IndexBenchOptions = {}): Promise<IndexBenchResult> {
  const { count = 100_000, dimension: dim = 512, repetitions = 7 } = options;
  const random = rng(42);
  const data = unitRows(count, dim, random);
  const queries = unitRows(repetitions + 2, dim, random);
  const index = new EmbeddingIndex({ dimension: dim, initialCapacity: count });
  for (let row = 0; row < count; row++) index.add(`id${row}`, data.subarray(row * dim, (row + 1) * dim));
  const vectors = Array.from({ length: count }, (_, row) => Array.from(data.subarray(row * dim, (row + 1) * dim)));
  const out = new Float64Array(count);

  const times = { search: [] as number[], bare: [] as number[], naive: [] as number[] };
  const time = (fn: () => unknown): number => {
    const start = performance.now();
    fn();
    return performance.now() - start;
  };
  // The first two queries are JIT warm-up and not recorded.
  for (let r = 0; r < repetitions + 2; r++) {
    const q = queries.subarray(r * dim, (r + 1) * dim);
    const qArray = Array.from(q);
    const search = time(() => index.search(q, 10));
    const bare = time(() => bareLoop(data, q, out, dim));
    const slow = time(() => naive(vectors, qArray));
    if (r < 2) continue;
    times.search.push(search);
    times.bare.push(bare);
    times.naive.push(slow);
  }

  const medians = { searchMs: median(times.search), bareLoopMs: median(times.bare), naiveMs: median(times.naive) };
  const overhead = medians.searchMs / medians.bareLoopMs;
  const speedup = medians.naiveMs / medians.searchMs;
  return {
    medians,
    rows: [
      { figure: 'index search / bare loop', value: overhead, target: '<= 1.3', pass: overhead <= 1.3 },
      { figure: 'naive / index search', value: speedup, target: '>= 5', pass: speedup >= 5 },
    ],
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { medians, rows } = await runIndexBench();
  console.log(
    `medians (ms): search ${medians.searchMs.toFixed(2)}, bare loop ${medians.bareLoopMs.toFixed(2)}, naive ${medians.naiveMs.toFixed(2)}`,
  );
  for (const row of rows) {
    console.log(`${row.pass ? 'PASS' : 'FAIL'}  ${row.figure}: ${row.value.toFixed(2)} (target ${row.target})`);
  }
  if (rows.some((row) => !row.pass)) process.exitCode = 1;
}
