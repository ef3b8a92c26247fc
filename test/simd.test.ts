import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import initWabt from 'wabt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EmbeddingIndex } from '../src/vectors/embedding-index.js';
import { cosineSimilarity, l2Norm } from '../src/vectors/math.js';
import { DOT_WASM } from '../src/vectors/simd/dot-wasm.js';
import { setSimdEnabled, simdRows } from '../src/vectors/simd/kernel.js';

function buildIndex(simd: boolean, vectors: number[][], removals: number[] = [], initialCapacity = 1): EmbeddingIndex {
  setSimdEnabled(simd);
  try {
    const index = new EmbeddingIndex({ initialCapacity });
    vectors.forEach((v, i) => index.add(`v${i}`, v));
    for (const r of removals) index.remove(`v${r % vectors.length}`);
    return index;
  } finally {
    setSimdEnabled(true);
  }
}

function randomVectors(count: number, dim: number, seed: number): number[][] {
  let state = seed;
  const next = () => ((state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32) * 2 - 1;
  return Array.from({ length: count }, () => Array.from({ length: dim }, next));
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.resetModules();
});

describe('SIMD kernel', () => {
  it('the committed bytes are dot.wat assembled with SIMD enabled', async () => {
    const wabt = await initWabt();
    const source = await readFile(new URL('../src/vectors/simd/dot.wat', import.meta.url), 'utf8');
    const module = wabt.parseWat('dot.wat', source, { simd: true });
    module.validate();
    const assembled = Buffer.from(module.toBinary({ write_debug_names: false }).buffer);
    module.destroy();
    expect(Buffer.from(DOT_WASM, 'hex').equals(assembled)).toBe(true);
  });

  it('compiles where WebAssembly is available (Node)', () => {
    expect(simdRows()).toBeDefined();
  });

  it('scores come from the kernel: float32 sums, where the JS path sums in float64', () => {
    const vectors = randomVectors(50, 16, 1);
    const [query] = randomVectors(1, 16, 2);
    for (const hit of buildIndex(true, vectors).search(query!, 5)) expect(Math.fround(hit.score)).toBe(hit.score);
    expect(buildIndex(false, vectors).search(query!, 5).some((hit) => Math.fround(hit.score) !== hit.score)).toBe(true);
  });

  it('gives the JS path\'s top k, scores within 1e-6 (rows that close may swap), also after removals', () => {
    const component = fc.float({ min: -1, max: 1, noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }).chain((quads) =>
          fc.tuple(
            fc.array(fc.array(component, { minLength: quads * 4, maxLength: quads * 4 }), { minLength: 1, maxLength: 60 }),
            fc.array(component, { minLength: quads * 4, maxLength: quads * 4 }),
          ),
        ),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.integer({ min: 1, max: 12 }),
        ([vectors, query], removals, k) => {
          const usable = (v: number[]) => Math.hypot(...v) > 1e-3;
          fc.pre(vectors.every(usable) && usable(query));
          const simd = buildIndex(true, vectors, removals).search(query, k);
          const jsIndex = buildIndex(false, vectors, removals);
          const js = jsIndex.search(query, k);
          // Float32 sums may order rows whose scores differ by less than 1e-6 either way.
          const jsScore = new Map(jsIndex.search(query, Math.max(1, jsIndex.size)).map((h) => [h.id, h.score]));
          expect(simd).toHaveLength(js.length);
          simd.forEach((h, i) => {
            expect(Math.abs(h.score - js[i]!.score)).toBeLessThanOrEqual(1e-6);
            expect(Math.abs(jsScore.get(h.id)! - js[i]!.score)).toBeLessThanOrEqual(2e-6);
          });
        },
      ),
    );
  });

  it('growing the memory past its first pages keeps every row intact', () => {
    const dim = 32;
    const vectors = randomVectors(3000, dim, 3);
    const index = new EmbeddingIndex({ initialCapacity: 1 });
    // 3000 x 32 floats is 384 KiB: the memory grows several times, detaching the views each time.
    vectors.forEach((v, i) => {
      index.add(`v${i}`, v);
      if (i % 500 === 0) expect(index.search(v, 1)[0]!.id).toBe(`v${i}`);
    });
    const normalised = vectors.map((v) => v.map((x) => Math.fround(x / l2Norm(v))));
    expect(index.toJSON().entries.map((entry) => entry.vector)).toEqual(normalised);
    for (const i of [0, 1234, 2999]) {
      const [best] = index.search(vectors[i]!, 1);
      expect(best!.id).toBe(`v${i}`);
      expect(best!.score).toBeCloseTo(cosineSimilarity(vectors[i]!, vectors[i]!), 6);
    }
  });

  it('remove (last row moved into the gap) keeps the kernel\'s results equal to the JS path\'s', () => {
    const vectors = randomVectors(700, 8, 4);
    const removals = [0, 699, 350, 5, 5, 698, 123];
    const simd = buildIndex(true, vectors, removals);
    const js = buildIndex(false, vectors, removals);
    expect(simd.ids()).toEqual(js.ids());
    for (const query of randomVectors(5, 8, 5)) {
      expect(simd.search(query, 20).map((h) => h.id)).toEqual(js.search(query, 20).map((h) => h.id));
    }
  });

  it('falls back to the JS path, same results, when compiling WebAssembly throws', async () => {
    vi.resetModules();
    const compile = vi.spyOn(WebAssembly, 'Module').mockImplementation(function () {
      throw new WebAssembly.CompileError('Wasm code generation disallowed by embedder');
    });
    // A fresh module graph, so the compiled module cached by earlier tests is not reused.
    const kernel = await import('../src/vectors/simd/kernel.js');
    const fresh = await import('../src/vectors/embedding-index.js');
    expect(kernel.simdRows()).toBeUndefined();
    expect(compile).toHaveBeenCalled();
    const vectors = randomVectors(300, 16, 6);
    const index = new fresh.EmbeddingIndex();
    vectors.forEach((v, i) => index.add(`v${i}`, v));
    const [query] = randomVectors(1, 16, 7);
    const expected = buildIndex(false, vectors).search(query!, 10);
    expect(index.search(query!, 10)).toEqual(expected);
  });
});
