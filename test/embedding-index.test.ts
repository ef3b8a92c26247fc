import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EmbeddingIndex, EmbeddingIndexError, type EmbeddingIndexErrorCode } from '../src/vectors.js';
import { ClipError } from '../src/errors/errors.js';
import { cosineSimilarity } from '../src/vectors/math.js';
import { expectCode } from './helpers/index-errors.js';


async function expectRejectsCode(promise: Promise<unknown>, code: EmbeddingIndexErrorCode, message: RegExp) {
  await expect(promise).rejects.toSatisfy(
    (err: unknown) => err instanceof EmbeddingIndexError && err.code === code && message.test(err.message),
  );
}

function sample(): EmbeddingIndex<{ label: string } | null> {
  const index = new EmbeddingIndex<{ label: string } | null>({ clipVersion: 'ViT-B-16' });
  index.add('x', [1, 0, 0], { label: 'x axis' });
  index.add('y', [0, 2, 0]);
  index.add('xy', [1, 1, 0], null);
  index.add('z', new Float32Array([0, 0, -3]), { label: 'minus z' });
  return index;
}

describe('EmbeddingIndex: adding', () => {
  it('the first add fixes the dimension when the constructor gives none', () => {
    const index = new EmbeddingIndex({ clipVersion: 'ViT-L-14' });
    expect(index.dimension).toBeUndefined();
    index.add('a', [1, 2, 3]);
    expect(index.dimension).toBe(3);
    expect(index.clipVersion).toBe('ViT-L-14');
    expect(index.size).toBe(1);
    expect(index.has('a')).toBe(true);
  });

  it('hasMany answers for each id in its order', () => {
    const index = new EmbeddingIndex();
    index.addMany([
      { id: 'a', vector: [1, 0] },
      { id: 'c', vector: [0, 1] },
    ]);
    expect(index.hasMany(['c', 'b', 'a'])).toEqual([true, false, true]);
    expectCode(() => index.hasMany('a' as unknown as string[]), 'invalid_argument');
  });

  it('add refuses a vector of another dimension, naming both dimensions', () => {
    const index = new EmbeddingIndex({ dimension: 4 });
    expectCode(() => index.add('a', [1, 2, 3]), 'dimension_mismatch', /dimension 3, index has dimension 4/);
  });

  it('add refuses a duplicate id', () => {
    const index = sample();
    expectCode(() => index.add('x', [0, 1, 0]), 'duplicate_id', /"x" is already in the index/);
  });

  it('add refuses an empty vector', () => {
    expectCode(() => new EmbeddingIndex().add('a', []), 'invalid_vector', /empty/);
  });

  it('add refuses NaN and Infinity components', () => {
    const index = new EmbeddingIndex();
    expectCode(() => index.add('a', [1, Number.NaN]), 'invalid_vector', /component 1 is NaN/);
    expectCode(() => index.add('a', [-Infinity, 1]), 'invalid_vector', /component 0 is -Infinity/);
  });

  it('add refuses a zero vector', () => {
    expectCode(() => new EmbeddingIndex().add('a', [0, 0, 0]), 'invalid_vector', /all zeros/);
  });

  it('a refused add leaves the index unchanged, dimension included', () => {
    const index = new EmbeddingIndex();
    expectCode(() => index.add('a', [0, 0]), 'invalid_vector');
    expect(index.dimension).toBeUndefined();
    expect(index.size).toBe(0);
  });

  it('addMany adds every entry or, on the first error, none', () => {
    const index = new EmbeddingIndex();
    expectCode(
      () =>
        index.addMany([
          { id: 'a', vector: [1, 0] },
          { id: 'b', vector: [0, 1] },
          { id: 'a', vector: [1, 1] },
        ]),
      'duplicate_id',
    );
    expect(index.size).toBe(0);
    expect(index.dimension).toBeUndefined();
    index.addMany([
      { id: 'a', vector: [1, 0], metadata: 1 },
      { id: 'b', vector: [0, 1] },
    ]);
    expect(index.ids()).toEqual(['a', 'b']);
  });

  it('storage grows past initialCapacity without losing rows', () => {
    const index = new EmbeddingIndex<number>({ initialCapacity: 1 });
    for (let i = 0; i < 100; i++) index.add(`v${i}`, [Math.cos(i), Math.sin(i), 1], i);
    expect(index.size).toBe(100);
    const [best] = index.search([Math.cos(42), Math.sin(42), 1], 1);
    expect(best).toMatchObject({ id: 'v42', metadata: 42 });
    expect(best!.score).toBeCloseTo(1, 6);
  });

  it('the constructor refuses a non-positive or fractional dimension or initialCapacity', () => {
    expectCode(() => new EmbeddingIndex({ dimension: 0 }), 'invalid_argument');
    expectCode(() => new EmbeddingIndex({ dimension: 2.5 }), 'invalid_argument');
    expectCode(() => new EmbeddingIndex({ initialCapacity: 0 }), 'invalid_argument');
  });

  it('errors are EmbeddingIndexError, a ClipError with a code', () => {
    try {
      new EmbeddingIndex({ dimension: -1 });
    } catch (err) {
      expect(err).toBeInstanceOf(ClipError);
      expect(err).toMatchObject({ name: 'EmbeddingIndexError', code: 'invalid_argument' });
    }
    expect.assertions(2);
  });
});

describe('EmbeddingIndex: removing', () => {
  it('remove deletes an entry and returns false for an unknown id', () => {
    const index = sample();
    expect(index.remove('y')).toBe(true);
    expect(index.remove('y')).toBe(false);
    expect(index.has('y')).toBe(false);
    expect(index.size).toBe(3);
  });

  it('remove moves the last row into the hole and keeps every other entry findable', () => {
    const index = sample();
    index.remove('x');
    expect(index.ids()).toEqual(['z', 'y', 'xy']);
    for (const [id, vector] of [
      ['y', [0, 1, 0]],
      ['xy', [1, 1, 0]],
      ['z', [0, 0, -1]],
    ] as const) {
      const [hit] = index.search(vector, 1);
      expect(hit!.id).toBe(id);
      expect(hit!.score).toBeCloseTo(1, 6);
    }
    expect(index.search([0, 0, -1], 1)[0]!.metadata).toEqual({ label: 'minus z' });
  });

  it('a removed id can be added again', () => {
    const index = sample();
    index.remove('x');
    index.add('x', [-1, 0, 0]);
    expect(index.search([-1, 0, 0], 1)[0]!.id).toBe('x');
  });
});

describe('EmbeddingIndex: searching', () => {
  it('search returns the k most cosine-similar entries, best first, with metadata', () => {
    const hits = sample().search([2, 0.2, 0], 2);
    expect(hits.map((h) => h.id)).toEqual(['x', 'xy']);
    expect(hits[0]!.metadata).toEqual({ label: 'x axis' });
    expect(hits[1]!.metadata).toBeNull();
    expect(hits[0]!.score).toBeCloseTo(cosineSimilarity([2, 0.2, 0], [1, 0, 0]), 6);
  });

  it('search defaults to k = 10 and returns fewer hits when the index is smaller', () => {
    expect(sample().search([1, 1, 1])).toHaveLength(4);
  });

  it('search on an empty index returns no hits', () => {
    expect(new EmbeddingIndex().search([1, 2])).toEqual([]);
  });

  it('search refuses k < 1 or a fractional k', () => {
    const index = sample();
    for (const k of [0, -3, 1.5]) expectCode(() => index.search([1, 0, 0], k), 'invalid_argument', /k must be/);
  });

  it('search refuses a query of the wrong dimension, all zeros or with non-finite components', () => {
    const index = sample();
    expectCode(() => index.search([1, 0]), 'dimension_mismatch', /query has dimension 2, index has dimension 3/);
    expectCode(() => index.search([0, 0, 0]), 'invalid_vector', /all zeros/);
    expectCode(() => index.search([0, Number.NaN, 1]), 'invalid_vector', /component 1 is NaN/);
  });

  it('search equals a brute-force cosine ranking, also after removals', () => {
    const dim = 5;
    const vector = fc
      .array(fc.integer({ min: -4, max: 4 }), { minLength: dim, maxLength: dim })
      .filter((v) => v.some((x) => x !== 0));
    fc.assert(
      fc.property(
        fc.array(vector, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        vector,
        fc.integer({ min: 1, max: 12 }),
        (vectors, removals, query, k) => {
          const index = new EmbeddingIndex({ initialCapacity: 2 });
          vectors.forEach((v, i) => index.add(`v${i}`, v));
          for (const r of removals) index.remove(`v${r % vectors.length}`);
          const live = index.ids().map((id) => ({ id, score: cosineSimilarity(vectors[Number(id.slice(1))]!, query) }));
          const expected = live.sort((a, b) => b.score - a.score).slice(0, k);
          const hits = index.search(query, k);
          // Rows are float32, so compare scores with a tolerance (ties may then pick different ids).
          expect(hits.map((h) => h.score)).toEqual(expected.map((e) => expect.closeTo(e.score, 5)));
          for (const hit of hits) {
            expect(hit.score).toBeCloseTo(cosineSimilarity(vectors[Number(hit.id.slice(1))]!, query), 5);
          }
        },
      ),
    );
  });
});

describe('EmbeddingIndex: persistence', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'embedding-index-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function expectSameIndex(actual: EmbeddingIndex<unknown>, expected: EmbeddingIndex<unknown>): void {
    expect(actual.clipVersion).toBe(expected.clipVersion);
    expect(actual.dimension).toBe(expected.dimension);
    expect(actual.ids()).toEqual(expected.ids());
    for (const q of [
      [1, 0.5, 0],
      [0, -1, 1],
    ]) {
      const want = expected.search(q);
      const got = actual.search(q);
      expect(got.map((h) => [h.id, h.metadata])).toEqual(want.map((h) => [h.id, h.metadata]));
      got.forEach((h, i) => expect(h.score).toBeCloseTo(want[i]!.score, 6));
    }
  }

  it('toBytes/fromBytes round-trips ids, vectors, metadata (null kept distinct from none), clipVersion and dimension', () => {
    const index = sample();
    const copy = EmbeddingIndex.fromBytes(index.toBytes());
    expectSameIndex(copy, index);
    const metadata = (id: string) => copy.search(id === 'xy' ? [1, 1, 0] : [0, 1, 0], 1)[0]!.metadata;
    expect(metadata('xy')).toBeNull();
    expect(metadata('y')).toBeUndefined();
  });

  it('the binary format is magic "RFEI", u32 version, u32 header length, header JSON, float32 LE rows', () => {
    const index = new EmbeddingIndex({ clipVersion: 'ViT-B-32' });
    index.add('a', [0, 2]);
    const bytes = index.toBytes();
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('RFEI');
    expect(view.getUint32(4, true)).toBe(1);
    const headerEnd = 12 + view.getUint32(8, true);
    expect(JSON.parse(new TextDecoder().decode(bytes.subarray(12, headerEnd)))).toEqual({
      clipVersion: 'ViT-B-32',
      dimension: 2,
      count: 1,
      ids: ['a'],
      metadata: [],
    });
    expect([view.getFloat32(headerEnd, true), view.getFloat32(headerEnd + 4, true)]).toEqual([0, 1]);
    expect(bytes.length).toBe(headerEnd + 8);
  });

  it('save/load round-trips the binary format', async () => {
    const index = sample();
    const path = join(dir, 'index.bin');
    await index.save(path);
    expectSameIndex(await EmbeddingIndex.load(path), index);
  });

  it('save/load round-trips the JSON format', async () => {
    const index = sample();
    const path = join(dir, 'index.json');
    await index.save(path, { format: 'json' });
    const doc = JSON.parse(await readFile(path, 'utf8'));
    expect(doc).toMatchObject({ format: 'roboflow-clip/embedding-index', version: 1, clipVersion: 'ViT-B-16', dimension: 3 });
    expectSameIndex(await EmbeddingIndex.load(path), index);
  });

  it('an empty index without a dimension round-trips in both formats', () => {
    const empty = new EmbeddingIndex();
    expectSameIndex(EmbeddingIndex.fromBytes(empty.toBytes()), empty);
    expectSameIndex(EmbeddingIndex.fromJSON(JSON.parse(JSON.stringify(empty))), empty);
  });

  it('load throws clip_version_mismatch when the expected clipVersion differs from the file', async () => {
    const path = join(dir, 'version.bin');
    await sample().save(path);
    await expectRejectsCode(
      EmbeddingIndex.load(path, { clipVersion: 'ViT-L-14' }),
      'clip_version_mismatch',
      /built with clipVersion ViT-B-16, expected ViT-L-14/,
    );
    await expect(EmbeddingIndex.load(path, { clipVersion: 'ViT-B-16', dimension: 3 })).resolves.toBeInstanceOf(EmbeddingIndex);
  });

  it('load throws dimension_mismatch when the expected dimension differs from the file', async () => {
    const path = join(dir, 'dimension.json');
    await sample().save(path, { format: 'json' });
    await expectRejectsCode(EmbeddingIndex.load(path, { dimension: 512 }), 'dimension_mismatch', /dimension 3, expected 512/);
  });

  it('load refuses a file that is neither format, and fromBytes refuses truncated data', async () => {
    const path = join(dir, 'garbage.txt');
    await writeFile(path, 'hello');
    await expectRejectsCode(EmbeddingIndex.load(path), 'invalid_file', /neither a binary nor a JSON/);
    const bytes = sample().toBytes();
    expectCode(() => EmbeddingIndex.fromBytes(bytes.subarray(0, bytes.length - 1)), 'invalid_file', /wrong length/);
    expectCode(() => EmbeddingIndex.fromBytes(bytes.subarray(0, 20)), 'invalid_file', /truncated header/);
    expectCode(() => EmbeddingIndex.fromJSON({ format: 'other' }), 'invalid_file');
  });
});
