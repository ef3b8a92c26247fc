/**
 * Seeded clustered vectors, shaped like CLIP embeddings (which gather around topics): uniform
 * random vectors in many dimensions are all nearly orthogonal, which no nearest-neighbour search
 * meets in practice and which makes any HNSW index look broken.
 */

/** A seeded generator of uniform numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export interface ClusteredOptions {
  count: number;
  dimension: number;
  clusters?: number;
  /** Spread around each centre, relative to the centre's length. Default 0.6 (cosine to the centre about 0.85 at 512-d). */
  spread?: number;
  seed?: number;
}

/** `count` unit vectors around `clusters` random centres, as Float32Arrays. */
export function clusteredVectors(options: ClusteredOptions): Float32Array[] {
  const { count, dimension, clusters = Math.max(1, Math.round(Math.sqrt(count) / 2)), spread = 0.6, seed = 1 } = options;
  const random = seededRandom(seed);
  const centres = Array.from({ length: clusters }, () => Float64Array.from({ length: dimension }, () => gaussian(random)));
  return Array.from({ length: count }, () => {
    const centre = centres[Math.floor(random() * clusters)]!;
    const v = new Float32Array(dimension);
    let sq = 0;
    for (let j = 0; j < dimension; j++) {
      const x = centre[j]! + spread * gaussian(random);
      v[j] = x;
      sq += x * x;
    }
    const length = Math.sqrt(sq);
    for (let j = 0; j < dimension; j++) v[j]! /= length;
    return v;
  });
}
