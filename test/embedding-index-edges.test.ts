import { describe, expect, it } from 'vitest';
import { EmbeddingIndex } from '../src/vectors.js';
import { expectCode } from './helpers/index-errors.js';


function unit(dim: number, hot: number): number[] {
  const v = new Array<number>(dim).fill(0.01);
  v[hot % dim] = 1;
  return v;
}

describe('EmbeddingIndex: metadata filters', () => {
  function labelled(): EmbeddingIndex<Record<string, unknown>> {
    const index = new EmbeddingIndex<Record<string, unknown>>();
    index.add('cat-1', [1, 0, 0, 0], { kind: 'cat', tags: ['indoor', 'grey'], owner: { name: 'ana', age: 3 } });
    index.add('cat-2', [0.9, 0.1, 0, 0], { kind: 'cat', tags: ['outdoor'] });
    index.add('dog-1', [0.95, 0, 0.1, 0], { kind: 'dog', tags: ['indoor'] });
    index.add('bare', [1, 0.05, 0, 0]);
    return index;
  }

  it('a filter keeps only entries whose metadata holds its key/value pairs', () => {
    const hits = labelled().search([1, 0, 0, 0], 10, { filter: { kind: 'cat' } });
    expect(hits.map((h) => h.id)).toEqual(['cat-1', 'cat-2']);
  });

  it('filters match as jsonb @> does: nested objects by containment, arrays by element', () => {
    const index = labelled();
    const ids = (filter: Record<string, unknown>) => index.search([1, 0, 0, 0], 10, { filter }).map((h) => h.id);
    expect(ids({ tags: ['indoor'] })).toEqual(['cat-1', 'dog-1']);
    expect(ids({ tags: ['grey', 'indoor'] })).toEqual(['cat-1']);
    expect(ids({ owner: { name: 'ana' } })).toEqual(['cat-1']);
    expect(ids({ owner: { name: 'bo' } })).toEqual([]);
    expect(ids({ tags: 'indoor' })).toEqual([]);
    // As in PostgreSQL, an entry without metadata matches no filter, not even an empty one.
    expect(ids({})).toEqual(['cat-1', 'dog-1', 'cat-2']);
  });

  it('k counts matching entries only', () => {
    const hits = labelled().search([1, 0, 0, 0], 1, { filter: { kind: 'dog' } });
    expect(hits.map((h) => h.id)).toEqual(['dog-1']);
  });

  it('a filter that is not a plain object is refused', () => {
    const index = labelled();
    for (const filter of [['kind'], 'cat', new Map([['kind', 'cat']])]) {
      expectCode(() => index.search([1, 0, 0, 0], 3, { filter: filter as never }), 'invalid_argument', /plain object/);
    }
  });
});

describe('EmbeddingIndex: edge cases of what comes in', () => {
  it('a small JSON index cannot claim rows it does not hold: every entry is checked before storage is allocated', () => {
    // About 0.6 MB: one real row of 50,000 floats and 100,000 empty entries, which would size
    // storage at 100,001 x 50,000 floats (37 GiB) from the first row alone.
    const text = `{"format":"roboflow-clip/embedding-index","version":1,"clipVersion":null,"dimension":50000,"entries":[{"id":"a","vector":[${'1,'.repeat(49_999)}1]}${',null'.repeat(100_000)}]}`;
    expect(text.length).toBeLessThan(700_000);
    expectCode(() => EmbeddingIndex.fromJSON(JSON.parse(text)), 'invalid_file', /entry 1 has no id or vector/);
  });

  it('a JSON entry whose vector does not have the file\'s dimension is refused before storage is allocated', () => {
    const doc = {
      format: 'roboflow-clip/embedding-index',
      version: 1,
      clipVersion: null,
      dimension: 1_000_000,
      entries: Array.from({ length: 10_000 }, (_, i) => ({ id: `r${i}`, vector: [1, 2, 3] })),
    };
    expectCode(() => EmbeddingIndex.fromJSON(doc), 'dimension_mismatch', /entry 0 has dimension 3, index has dimension 1000000/);
  });

  it('binary metadata that is not [row, value] pairs is invalid_file, not a TypeError', () => {
    const header = new TextEncoder().encode(
      JSON.stringify({ clipVersion: null, dimension: 2, count: 1, ids: ['a'], metadata: [7] }),
    );
    const bytes = new Uint8Array(12 + header.length + 8);
    const view = new DataView(bytes.buffer);
    bytes.set([0x52, 0x46, 0x45, 0x49]);
    view.setUint32(4, 1, true);
    view.setUint32(8, header.length, true);
    bytes.set(header, 12);
    view.setFloat32(12 + header.length, 1, true);
    expectCode(() => EmbeddingIndex.fromBytes(bytes), 'invalid_file', /corrupt embedding index: bad metadata/);
  });

  it('add refuses metadata that cannot be saved as JSON, naming the id', () => {
    const index = new EmbeddingIndex<unknown>();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expectCode(() => index.add('loop', [1, 0], cyclic), 'invalid_metadata', /metadata of id "loop"/);
    expectCode(() => index.add('big', [1, 0], { n: 10n }), 'invalid_metadata', /BigInt/);
    expectCode(() => index.add('bare-big', [1, 0], 10n), 'invalid_metadata', /BigInt/);
    expect(index.size).toBe(0);
  });

  it('add refuses an id that is not a string, so every index it accepts can be saved and loaded', () => {
    const index = new EmbeddingIndex();
    expectCode(() => index.add(7 as unknown as string, [1, 0]), 'invalid_argument', /id must be a string, got a number/);
    expect(index.size).toBe(0);
  });

  it('removing most rows gives their memory back, and the rest stay searchable', () => {
    const dim = 16;
    const index = new EmbeddingIndex({ initialCapacity: 8 });
    for (let i = 0; i < 4_096; i++) index.add(`r${i}`, unit(dim, i));
    const grown = index.capacity;
    expect(grown).toBeGreaterThanOrEqual(4_096);
    for (let i = 100; i < 4_096; i++) index.remove(`r${i}`);
    expect(index.capacity).toBeLessThanOrEqual(grown / 8);
    expect(index.capacity).toBeGreaterThanOrEqual(100);
    expect(index.search(unit(dim, 5), 1)[0]!.id).toBe('r5');
    expect(index.ids()).toHaveLength(100);
  });

  it('a loaded index gives memory back after removals too', () => {
    const dim = 8;
    const source = new EmbeddingIndex();
    for (let i = 0; i < 5_000; i++) source.add(`r${i}`, unit(dim, i));
    const loaded = EmbeddingIndex.fromBytes(source.toBytes());
    for (let i = 10; i < 5_000; i++) loaded.remove(`r${i}`);
    expect(loaded.capacity).toBeLessThanOrEqual(1_024);
  });

  it('removals keep the room asked for up front', () => {
    const index = new EmbeddingIndex({ initialCapacity: 512 });
    for (let i = 0; i < 10; i++) index.add(`r${i}`, unit(4, i));
    for (let i = 0; i < 9; i++) index.remove(`r${i}`);
    expect(index.capacity).toBe(512);
  });
});
