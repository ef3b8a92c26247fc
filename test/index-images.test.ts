import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ClipAbortError, ClipBatchError, ClipClient, ClipValidationError, EmbeddingIndexError } from '../src/index.js';
import { EmbeddingIndex, type IndexEntry, type SearchHit } from '../src/vectors.js';
import type { StoreSearchOptions, VectorStore } from '../src/vectors/store.js';
import { mockImageEmbedding, mockTextEmbedding } from '../src/testing.js';
import { startStub } from './helpers/http.js';
import { useMockClient } from './helpers/mock-client.js';

const ctx = useMockClient();
const url = (i: number) => `https://example.com/photos/item-${i}.jpg`;
const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `photo-${i}`, image: url(i), metadata: { n: i } }));

/** A store that answers with promises, as a database store does, over an EmbeddingIndex. */
class AsyncStore<M> implements VectorStore<M> {
  readonly index: EmbeddingIndex<M>;
  addManyCalls = 0;
  /** Rows of each addMany, in order. */
  readonly writes: number[] = [];

  constructor(options: { clipVersion?: string } = {}) {
    this.index = new EmbeddingIndex<M>(options);
  }
  get clipVersion() {
    return this.index.clipVersion;
  }
  get dimension() {
    return this.index.dimension;
  }
  get size(): Promise<number> {
    return Promise.resolve(this.index.size);
  }
  async has(id: string) {
    return this.index.has(id);
  }
  async add(id: string, vector: ArrayLike<number>, metadata?: M) {
    this.index.add(id, vector, metadata);
  }
  async addMany(rows: Iterable<IndexEntry<M>>) {
    this.addManyCalls++;
    const list = [...rows];
    this.writes.push(list.length);
    this.index.addMany(list);
  }
  async remove(id: string) {
    return this.index.remove(id);
  }
  async search(query: ArrayLike<number>, k: number, _options?: StoreSearchOptions<M>): Promise<SearchHit<M>[]> {
    return this.index.search(query, k);
  }
}

/** Makes the store's first addMany wait for `release()`; every write is counted in `store.writes` and done by `write`. */
function holdFirstWrite<M>(store: AsyncStore<M>, write: (rows: IndexEntry<M>[]) => Promise<void>) {
  let release!: () => void;
  let begin!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const started = new Promise<void>((resolve) => (begin = resolve));
  store.addMany = async (rows) => {
    const list = [...rows];
    store.writes.push(list.length);
    if (store.writes.length === 1) {
      begin();
      await held;
    }
    await write(list);
  };
  return { release, started };
}

/** The first `count` entries, then the rest once `started` has resolved. */
async function* afterFirstWrite<T>(all: T[], count: number, started: Promise<void>): AsyncGenerator<T> {
  yield* all.slice(0, count);
  await started;
  yield* all.slice(count);
}

describe('indexImages', () => {
  it('embeds and writes in batches, with metadata, and reports what it added', async () => {
    const store = new AsyncStore<{ n: number }>();
    const report = await ctx.clip.indexImages(store, entries(20));
    expect(report).toEqual({ added: 20, skipped: 0, failed: [] });
    expect(store.writes.reduce((a, b) => a + b, 0)).toBe(20);
    expect(store.index.search(mockImageEmbedding({ type: 'url', value: url(7) }), 1)).toEqual([
      { id: 'photo-7', score: expect.closeTo(1, 5), metadata: { n: 7 } },
    ]);
  });

  it("hands the store each vector as a Float32Array of the server's numbers", async () => {
    const store = new AsyncStore<{ n: number }>();
    const written: IndexEntry<{ n: number }>[] = [];
    store.addMany = async (rows) => void written.push(...rows);
    await ctx.clip.indexImages(store, entries(10));
    expect(written.map((entry) => entry.id)).toEqual(entries(10).map((entry) => entry.id));
    for (const [i, entry] of written.entries()) {
      expect(entry.vector).toBeInstanceOf(Float32Array);
      expect(entry.vector).toEqual(Float32Array.from(mockImageEmbedding({ type: 'url', value: url(i) })));
    }
  });

  it('skips ids the store already has, so a rerun sends only the rest, and ids the source repeats', async () => {
    const store = new EmbeddingIndex();
    await ctx.clip.indexImages(store, entries(5));
    ctx.mock.requests.length = 0;
    async function* more() {
      yield* entries(12);
      yield { id: 'photo-11', image: url(11) };
    }
    const report = await ctx.clip.indexImages(store, more());
    expect(report).toEqual({ added: 7, skipped: 6, failed: [] });
    expect(ctx.mock.requests).toHaveLength(1);
    expect(store.size).toBe(12);
  });

  it('looks ids up with the store\'s hasMany a job\'s worth of entries at a time, and with has where a store has no hasMany', async () => {
    const lookups: number[] = [];
    const batched = new AsyncStore();
    Object.assign(batched, { hasMany: async (ids: string[]) => (lookups.push(ids.length), ids.map((id) => batched.index.has(id))) });
    let singles = 0;
    batched.has = async () => (singles++, false);
    await ctx.clip.indexImages(batched, entries(70), { batchSize: 8, concurrency: 4 });
    expect(lookups).toEqual([32, 32, 6]);
    expect(singles).toBe(0);

    const plain = new AsyncStore();
    const has = plain.has.bind(plain);
    plain.has = async (id: string) => (singles++, has(id));
    await ctx.clip.indexImages(plain, entries(10));
    expect(singles).toBe(10);
  });

  it('writes one addMany at a time: the rows that arrive while one is written go in the next', async () => {
    const store = new AsyncStore();
    const first = holdFirstWrite(store, async (rows) => store.index.addMany(rows));
    // Once every answer is in and handed over, the first write ends.
    const onProgress = ({ done }: { done: number }) => void (done === 40 && setImmediate(first.release));
    await ctx.clip.indexImages(store, afterFirstWrite(entries(40), 8, first.started), { concurrency: 1, onProgress });
    expect(store.writes).toEqual([8, 32]);
  });

  it("with onError 'skip', a write refused for one entry's sake is written entry by entry, and the refused entry reported", async () => {
    const store = new AsyncStore();
    const addMany = store.addMany.bind(store);
    store.addMany = async (rows) => {
      const list = [...rows];
      if (list.some((row) => row.id === 'photo-5')) throw new EmbeddingIndexError('invalid_vector', 'vector of id "photo-5" is all zeros');
      return addMany(list);
    };
    const report = await ctx.clip.indexImages(store, entries(16), { onError: 'skip' });
    expect(report.added).toBe(15);
    expect(report.failed.map((f) => f.id)).toEqual(['photo-5']);
    expect(report.failed[0]!.error).toBeInstanceOf(EmbeddingIndexError);
  });

  it("with the default 'stop', a store's failure to write rejects with ClipBatchError naming those entries, and what was written stays", async () => {
    const store = new AsyncStore();
    const first = holdFirstWrite(store, async (rows) => {
      if (store.writes.length === 2) throw new EmbeddingIndexError('database_error', 'connection lost');
      store.index.addMany(rows);
    });
    const onProgress = ({ done }: { done: number }) => void (done === 24 && setImmediate(first.release));
    const job = ctx.clip.indexImages(store, afterFirstWrite(entries(24), 8, first.started), { concurrency: 1, onProgress });
    const error = (await job.catch((e: unknown) => e)) as ClipBatchError;
    expect(error).toBeInstanceOf(ClipBatchError);
    expect(error.cause).toBeInstanceOf(EmbeddingIndexError);
    expect([error.start, error.end]).toEqual([8, 24]);
    expect(store.index.size).toBe(8);
  });

  it("with onError 'skip' goes on past failed requests, keeps the good images of a refused batch and reports the failed ids", async () => {
    const stub = await startStub((req, res) => {
      // A batch is a list; after a 500 the client tries the batch's images one by one, each on its own.
      const image = (JSON.parse(req.rawBody) as { image: { value: string } | { value: string }[] }).image;
      const sent = Array.isArray(image) ? image : [image];
      if (sent.some((i) => i.value.endsWith('item-3.jpg'))) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Could not load input image.' }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ embeddings: sent.map((_, i) => [1, i, 0]) }));
      }
    });
    const client = new ClipClient({ baseUrl: stub.url, apiKey: null, maxRetries: 0 });
    try {
      const store = new EmbeddingIndex();
      const report = await client.indexImages(store, entries(12), { onError: 'skip' });
      expect(report.added).toBe(11);
      expect(report.failed.map((f) => f.id)).toEqual(['photo-3']);
      expect(store.has('photo-3')).toBe(false);
    } finally {
      await client.close();
      await stub.close();
    }
  });

  it("with the default 'stop' rejects with ClipBatchError and keeps what it wrote, so a rerun resumes", async () => {
    const stub = await startStub((req, res) => {
      // A batch is a list; after a 500 the client tries the batch's images one by one, each on its own.
      const image = (JSON.parse(req.rawBody) as { image: { value: string } | { value: string }[] }).image;
      const sent = Array.isArray(image) ? image : [image];
      if (sent.some((i) => i.value.endsWith('item-10.jpg'))) res.writeHead(500).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ embeddings: sent.map(() => [1, 0, 0]) }));
    });
    const client = new ClipClient({ baseUrl: stub.url, apiKey: null, maxRetries: 0 });
    try {
      const store = new EmbeddingIndex();
      await expect(client.indexImages(store, entries(20), { concurrency: 1 })).rejects.toBeInstanceOf(ClipBatchError);
      expect(store.size).toBe(8);
    } finally {
      await client.close();
      await stub.close();
    }
  });

  it('checks a list of entries whole, and the store against the client, before anything is sent', async () => {
    const bad = [...entries(20), { id: '', image: url(0) }];
    await expect(ctx.clip.indexImages(new EmbeddingIndex(), bad)).rejects.toBeInstanceOf(ClipValidationError);
    const badImage = [...entries(20), { id: 'x', image: 'not an image' }];
    await expect(ctx.clip.indexImages(new EmbeddingIndex(), badImage)).rejects.toBeInstanceOf(ClipValidationError);
    const other = new EmbeddingIndex({ clipVersion: 'ViT-L-14' });
    const error = await ctx.client({ clipVersion: 'RN50' }).indexImages(other, entries(3)).catch((e: unknown) => e);
    expect((error as EmbeddingIndexError).code).toBe('clip_version_mismatch');
    expect(ctx.mock.requests).toEqual([]);
  });

  it('embeds with the store\'s CLIP version when the client names none', async () => {
    await ctx.clip.indexImages(new EmbeddingIndex({ clipVersion: 'ViT-L-14' }), entries(2));
    expect(ctx.mock.requests.map((r) => (r.body as { clip_version_id?: string }).clip_version_id)).toEqual(['ViT-L-14']);
  });

  it('stops with ClipAbortError when its signal fires', async () => {
    const error = await ctx.clip.indexImages(new EmbeddingIndex(), entries(3), { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClipAbortError);
  });

  it('looks the next entries up while the entries before them are sent', async () => {
    const events: string[] = [];
    const store = new AsyncStore();
    Object.assign(store, { hasMany: async (ids: string[]) => (events.push(`lookup ${ids[0]}`), ids.map(() => false)) });
    const onProgress = ({ done }: { done: number }) => void events.push(`progress ${done}`);
    await ctx.clip.indexImages(store, entries(24), { batchSize: 8, concurrency: 1, onProgress });
    expect(events.indexOf('lookup photo-8')).toBeLessThan(events.indexOf('progress 8'));
    expect(events.filter((e) => e.startsWith('lookup'))).toEqual(['lookup photo-0', 'lookup photo-8', 'lookup photo-16']);
  });

  it('an abort ends the job while its source waits for an entry that never comes', async () => {
    let closed = false;
    async function* stalls() {
      try {
        yield* entries(8);
        await new Promise(() => {});
      } finally {
        closed = true;
      }
    }
    const controller = new AbortController();
    const onProgress = ({ done }: { done: number }) => void (done === 8 && controller.abort());
    const job = ctx.clip.indexImages(new EmbeddingIndex(), stalls(), { batchSize: 8, concurrency: 1, signal: controller.signal, onProgress });
    await expect(job).rejects.toBeInstanceOf(ClipAbortError);
    expect(closed).toBe(false);
  });

  it('closes a source it leaves early once no read of it is pending', async () => {
    let closed = false;
    function* source() {
      try {
        yield* entries(40);
      } finally {
        closed = true;
      }
    }
    const controller = new AbortController();
    const onProgress = ({ done }: { done: number }) => void (done === 8 && controller.abort());
    await expect(ctx.clip.indexImages(new EmbeddingIndex(), source(), { batchSize: 8, concurrency: 1, signal: controller.signal, onProgress })).rejects.toBeInstanceOf(ClipAbortError);
    expect(closed).toBe(true);
  });
});

describe('searchText and searchImage on any VectorStore', () => {
  it('await the store: a store answering with promises is searched like an EmbeddingIndex', async () => {
    const store = new AsyncStore<{ n: number }>();
    await ctx.clip.indexImages(store, entries(10));
    ctx.mock.requests.length = 0;
    const hits = await ctx.clip.searchText(store, 'item 4', 3);
    expect(hits).toEqual(store.index.search(mockTextEmbedding('item 4'), 3));
    expect(ctx.mock.requests).toHaveLength(1);
  });

  it('answer an empty store with no hits and no request', async () => {
    expect(await ctx.clip.searchText(new AsyncStore(), 'a raccoon')).toEqual([]);
    expect(await ctx.clip.searchImage(new EmbeddingIndex(), url(1))).toEqual([]);
    expect(ctx.mock.requests).toEqual([]);
  });
});
