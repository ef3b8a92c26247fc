import { describe, expect, it } from 'vitest';
import { ClipApiError, ClipBatchError, ClipClient, ClipValidationError } from '../src/index.js';
import { startMockServer } from '../src/testing.js';
import { startStub } from './helpers/http.js';
import { useMockClient } from './helpers/mock-client.js';

const ctx = useMockClient();

const image = (i: number) => `https://example.com/photos/item-${i}.jpg`;
const images = (n: number) => Array.from({ length: n }, (_, i) => image(i));
const texts = (n: number) => Array.from({ length: n }, (_, i) => `a photo of thing number ${i}`);

describe('embedTextsStream and embedImagesStream', () => {
  it('yield { index, embedding } in input order, the same vectors as the list helper', async () => {
    const list = await ctx.clip.embedTexts(texts(70), { batchSize: 8 });
    const streamed: { index: number; embedding: number[] }[] = [];
    for await (const item of ctx.clip.embedTextsStream(texts(70), { batchSize: 8, concurrency: 3 })) streamed.push(item);
    expect(streamed.map((item) => item.index)).toEqual([...list.keys()]);
    expect(streamed.map((item) => item.embedding)).toEqual(list);
  });

  it("embeddingFormat 'float32' gives Float32Arrays of the same values", async () => {
    const numbers = await ctx.clip.embedImages(images(10));
    const floats = await ctx.clip.embedImages(images(10), { embeddingFormat: 'float32' });
    expect(floats.every((vector) => vector instanceof Float32Array)).toBe(true);
    expect(floats.map((vector) => Array.from(vector))).toEqual(numbers.map((vector) => Array.from(Float32Array.from(vector))));
    for await (const { embedding } of ctx.clip.embedImagesStream(images(3), { embeddingFormat: 'float32' })) expect(embedding).toBeInstanceOf(Float32Array);
  });

  it('refuses a bad list before anything is sent, when the stream is made', () => {
    expect(() => ctx.clip.embedTextsStream(['a', '', 'c'])).toThrow(ClipValidationError);
    expect(() => ctx.clip.embedTextsStream(['a'], { embeddingFormat: 'float64' as never })).toThrow(ClipValidationError);
    expect(ctx.mock.requests).toEqual([]);
  });

  it('list results carry a non-enumerable meta: requests sent and the time taken', async () => {
    const result = await ctx.clip.embedTexts(texts(70));
    expect(result.meta.requests).toBe(3);
    expect(result.meta.elapsedMs).toBeGreaterThan(0);
    expect(Object.keys(result)).toHaveLength(70);
  });
});

describe("onError: 'skip'", () => {
  it('keeps every good image of a batch the server refused for one bad image, and lists the bad one', async () => {
    const stub = await startStub((req, res) => {
      const sent = (JSON.parse(req.rawBody) as { image: { value: string }[] }).image;
      if (sent.some((i) => i.value.endsWith('item-5.jpg'))) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Could not load input image.' }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ embeddings: sent.map(() => [1, 0, 0]) }));
      }
    });
    const client = new ClipClient({ baseUrl: stub.url, apiKey: null, maxRetries: 0 });
    try {
      const result = await client.embedImages(images(12), { onError: 'skip' });
      expect(result.failed.map((f) => f.index)).toEqual([5]);
      expect(result.failed[0]!.error).toBeInstanceOf(ClipApiError);
      expect(result[5]).toBeUndefined();
      expect(result.filter(Boolean)).toHaveLength(11);
    } finally {
      await client.close();
      await stub.close();
    }
  });

  it('a 500-image job against a mock failing 10% of requests never loses a result: each input has its embedding or is listed as failed', async () => {
    const mock = await startMockServer({ recordRequests: false, faults: { rate: 0.1, retryAfter: 0, seed: 7 } });
    const client = new ClipClient({ baseUrl: mock.url, apiKey: null, maxRetries: 1, backoff: { baseMs: 1, capMs: 5 } });
    try {
      const started = performance.now();
      const result = await client.embedImages(images(500), { onError: 'skip', concurrency: 8 });
      expect(performance.now() - started).toBeLessThan(20_000);
      const failed = new Set(result.failed.map((f) => f.index));
      for (let i = 0; i < 500; i++) expect(result[i] !== undefined || failed.has(i), `input ${i}`).toBe(true);
      for (let i = 0; i < 500; i++) expect(result[i] !== undefined && failed.has(i), `input ${i} both`).toBe(false);
      expect(mock.stats.faults['503'] + mock.stats.faults.reset).toBeGreaterThan(0);
    } finally {
      await client.close();
      await mock.close();
    }
  }, 30_000);

  it("with the default 'stop', the ClipBatchError keeps every result that completed, so a rerun sends only the rest", async () => {
    const mock = await startMockServer({ recordRequests: false, faults: { rate: 0.3, kinds: ['503'], retryAfter: 0, seed: 3 } });
    const client = new ClipClient({ baseUrl: mock.url, apiKey: null, maxRetries: 0 });
    try {
      const error = await client.embedImages(images(200), { concurrency: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClipBatchError);
      const { results, start } = error as ClipBatchError<number[]>;
      expect(results.filter(Boolean)).toHaveLength(start);
      const reference = await ctx.clip.embedImages(images(start));
      expect(results.slice(0, start)).toEqual(reference);
    } finally {
      await client.close();
      await mock.close();
    }
  });
});
