import { describe, expect, it } from 'vitest';
import { ClipApiError, ClipBatchError, ClipClient, ClipResponseError, ClipValidationError, type EmbeddingMatrix } from '../src/index.js';
import { mockPng } from '../src/testing.js';
import { EmbeddingIndex } from '../src/vectors.js';
import { startStub } from './helpers/http.js';
import { useMockClient } from './helpers/mock-client.js';

const ctx = useMockClient();

const texts = (n: number) => Array.from({ length: n }, (_, i) => `a photo of thing number ${i}`);
const pictures = (n: number) => Array.from({ length: n }, (_, i) => mockPng(`a picture of thing number ${i}`));
/** Bytes that are no image: the mock refuses a request holding them with a 400. */
const notAnImage = new Uint8Array([1, 2, 3, 4]);
const asFloat32 = (vectors: readonly number[][]) => vectors.map((vector) => vector.map(Math.fround));
const rows = (matrix: EmbeddingMatrix) => [...matrix].map((row) => (row === undefined ? undefined : Array.from(row)));
const expectOwnBuffer = (data: Float32Array, numbers: number) => {
  expect(data).toHaveLength(numbers);
  expect(data.byteOffset).toBe(0);
  expect(data.buffer.byteLength).toBe(data.byteLength);
};

describe("embeddingFormat: 'matrix'", () => {
  it("rows are the 'number' format's vectors in float32, for texts and images", async () => {
    const textMatrix = await ctx.clip.embedTexts(texts(70), { embeddingFormat: 'matrix', batchSize: 8, concurrency: 3 });
    expect(rows(textMatrix)).toEqual(asFloat32(await ctx.clip.embedTexts(texts(70))));
    const imageMatrix = await ctx.clip.embedImages(pictures(11), { embeddingFormat: 'matrix' });
    expect(rows(imageMatrix)).toEqual(asFloat32(await ctx.clip.embedImages(pictures(11))));
  });

  it('data is one Float32Array of exactly count x dimension numbers, row-major, in an ArrayBuffer of its own', async () => {
    const matrix = await ctx.clip.embedTexts(texts(70), { embeddingFormat: 'matrix', batchSize: 8 });
    expect([matrix.count, matrix.dimension]).toEqual([70, 512]);
    expectOwnBuffer(matrix.data, 70 * 512);
    const single = await ctx.clip.embedText({ text: texts(70)[41]! });
    expect(Array.from(matrix.data.subarray(41 * 512, 42 * 512))).toEqual(asFloat32(single.embeddings)[0]);
    expect(matrix.row(41)!.buffer).toBe(matrix.data.buffer);
  });

  it("carries the job's meta and an empty failed list, as the list format does", async () => {
    const matrix = await ctx.clip.embedTexts(texts(70), { embeddingFormat: 'matrix' });
    expect(matrix.meta.requests).toBe(3);
    expect(matrix.meta.elapsedMs).toBeGreaterThan(0);
    expect(matrix.failed).toEqual([]);
  });

  it('reads an iterable of unknown length into a buffer copied to its exact size at the end', async () => {
    function* captions() {
      yield* texts(150);
    }
    const matrix = await ctx.clip.embedTexts(captions(), { embeddingFormat: 'matrix', batchSize: 8, concurrency: 2 });
    expect(matrix.count).toBe(150);
    expectOwnBuffer(matrix.data, 150 * 512);
    expect(rows(matrix)).toEqual(asFloat32(await ctx.clip.embedTexts(texts(150))));
  });

  it('0 inputs give count 0, dimension 0 and empty data', async () => {
    for (const inputs of [[], new Set<string>()]) {
      const matrix = await ctx.clip.embedTexts(inputs, { embeddingFormat: 'matrix' });
      expect([matrix.count, matrix.dimension, [...matrix]]).toEqual([0, 0, []]);
      expectOwnBuffer(matrix.data, 0);
    }
    expect(ctx.mock.requests).toEqual([]);
  });

  it("with onError 'skip', a failed input's row is NaN, row(i) is undefined, and failed lists it", async () => {
    const images = pictures(12);
    images[5] = notAnImage;
    const matrix = await ctx.clip.embedImages(images, { embeddingFormat: 'matrix', onError: 'skip' });
    expect(matrix.failed.map((failure) => failure.index)).toEqual([5]);
    expect(matrix.failed[0]!.error).toBeInstanceOf(ClipApiError);
    expect(matrix.row(5)).toBeUndefined();
    expect(Array.from(matrix.data.subarray(5 * 512, 6 * 512)).every(Number.isNaN)).toBe(true);
    expectOwnBuffer(matrix.data, 12 * 512);
    const good = asFloat32(await ctx.clip.embedImages(images.filter((_, i) => i !== 5)));
    expect(rows(matrix)).toEqual([...good.slice(0, 5), undefined, ...good.slice(5)]);
  });

  it("with onError 'stop', the ClipBatchError's results are the completed rows, as views of the matrix's buffer", async () => {
    const images = pictures(12);
    images[9] = notAnImage;
    const error = await ctx.clip.embedImages(images, { embeddingFormat: 'matrix', batchSize: 4, concurrency: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClipBatchError);
    const { results, start, end } = error as ClipBatchError<Float32Array>;
    expect([start, end]).toEqual([8, 12]);
    expect(Object.keys(results)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(results.every((row) => row instanceof Float32Array && row.buffer === results[0]!.buffer)).toBe(true);
    expect(results.map((row) => Array.from(row!))).toEqual(asFloat32(await ctx.clip.embedImages(images.slice(0, 8))));
  });

  it('a response whose vectors have another length than the matrix fails its request with ClipResponseError, through onError', async () => {
    // Requests of 2 texts, one at a time: the second answers vectors of 4 numbers where the first gave 3.
    let answered = 0;
    const stub = await startStub((req, res) => {
      const sent = (JSON.parse(req.rawBody) as { text: string[] }).text;
      const dimension = answered++ === 1 ? 4 : 3;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ embeddings: sent.map(() => Array(dimension).fill(0.5)) }));
    });
    const client = new ClipClient({ baseUrl: stub.url, apiKey: null, maxRetries: 0 });
    try {
      const skipped = await client.embedTexts(texts(6), { embeddingFormat: 'matrix', batchSize: 2, concurrency: 1, onError: 'skip' });
      expect([skipped.count, skipped.dimension]).toEqual([6, 3]);
      expect(skipped.failed.map((failure) => failure.index)).toEqual([2, 3]);
      expect(skipped.failed.every((failure) => failure.error instanceof ClipResponseError)).toBe(true);
      expect(rows(skipped)).toEqual([[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], undefined, undefined, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]);
      answered = 0;
      const stopped = await client.embedTexts(texts(6), { embeddingFormat: 'matrix', batchSize: 2, concurrency: 1 }).catch((e: unknown) => e);
      expect(stopped).toBeInstanceOf(ClipBatchError);
      expect((stopped as ClipBatchError).cause).toBeInstanceOf(ClipResponseError);
      expect((stopped as ClipBatchError).start).toBe(2);
    } finally {
      await client.close();
      await stub.close();
    }
  });

  it('a matrix too large to allocate ends the job with that error; only the request already on its way was sent after it', async () => {
    // 2^14 rows of 2^18 + 1 numbers are more than a Float32Array can hold (2^32).
    const stub = await startStub((req, res) => {
      const sent = (JSON.parse(req.rawBody) as { text: string[] }).text;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ embeddings: sent.map(() => Array(2 ** 18 + 1).fill(0.5)) }));
    });
    const client = new ClipClient({ baseUrl: stub.url, apiKey: null, maxRetries: 0 });
    try {
      const many = Array<string>(2 ** 14).fill('a cat');
      for (const onError of ['stop', 'skip'] as const) {
        stub.requests.length = 0;
        const error = await client.embedTexts(many, { embeddingFormat: 'matrix', batchSize: 1, concurrency: 1, onError }).catch((e: unknown) => e);
        expect(error, onError).not.toBeInstanceOf(ClipBatchError);
        expect(error, onError).toBeInstanceOf(RangeError);
        // With concurrency 1, the second request leaves when the first answer arrives, before it is parsed.
        expect(stub.requests.length, onError).toBeLessThanOrEqual(2);
      }
    } finally {
      await client.close();
      await stub.close();
    }
  });

  it("row(i) throws ClipValidationError for an i that is not a whole number from 0 to count - 1", async () => {
    const matrix = await ctx.clip.embedTexts(texts(3), { embeddingFormat: 'matrix' });
    for (const bad of [-1, 3, 1.5, Number.NaN, '0' as never]) expect(() => matrix.row(bad), String(bad)).toThrow(ClipValidationError);
    expect(() => matrix.row(3)).toThrow(/must be a whole number in \[0, 3\), got 3/);
    const empty = await ctx.clip.embedTexts([], { embeddingFormat: 'matrix' });
    expect(() => empty.row(0)).toThrow(ClipValidationError);
  });
});

describe("'matrix' where vectors come one at a time", () => {
  it("embedTextsStream and embedImagesStream refuse it before any request, saying to use 'float32'", () => {
    const refusals = [
      () => ctx.clip.embedTextsStream(texts(3), { embeddingFormat: 'matrix' as never }),
      () => ctx.clip.embedImagesStream(pictures(3), { embeddingFormat: 'matrix' as never }),
    ];
    for (const refused of refusals) {
      expect(refused).toThrow(ClipValidationError);
      expect(refused).toThrow(/a stream yields one vector at a time: use "float32"/);
    }
    expect(ctx.mock.requests).toEqual([]);
  });

  it("indexImages refuses it before any request, saying to use 'float32'", async () => {
    const store = new EmbeddingIndex();
    const error = await ctx.refusal(ctx.clip.indexImages(store, [{ id: 'a', image: mockPng('a cat') }], { embeddingFormat: 'matrix' } as never));
    expect(error.message).toMatch(/indexImages, built on a stream, yields one vector at a time: use "float32"/);
    expect(store.size).toBe(0);
  });

  it('an unknown embeddingFormat is refused with a message naming the three formats', async () => {
    const error = await ctx.refusal(ctx.clip.embedTexts(texts(3), { embeddingFormat: 'float64' as never }));
    expect(error.issues).toEqual([{ path: ['embeddingFormat'], message: 'must be "number", "float32" or "matrix", got float64' }]);
  });
});
