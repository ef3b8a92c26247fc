import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipApiError, ClipBatchError, ClipClient, ClipValidationError, type BatchProgress } from '../src/index.js';
import type { RecordedRequest } from '../src/testing.js';
import { startStub, type StubServer } from './helpers/http.js';
import { useMockClient } from './helpers/mock-client.js';

const ctx = useMockClient();

const image = (i: number) => `https://example.com/photos/item-${i}.jpg`;
const images = (n: number) => Array.from({ length: n }, (_, i) => image(i));
const texts = (n: number) => Array.from({ length: n }, (_, i) => `a photo of thing number ${i}`);
const sentCounts = (requests: RecordedRequest[], field: string) =>
  requests.map((r) => (r.body as Record<string, unknown[]>)[field]!.length).sort((a, b) => a - b);

describe('embedImages', () => {
  it('sends 8 images per request and resolves to one embedding per image, in input order', async () => {
    const result = await ctx.clip.embedImages(images(20), { concurrency: 3 });
    expect(sentCounts(ctx.mock.requests, 'image')).toEqual([4, 8, 8]);
    const one = await ctx.clip.embedImage({ image: [image(0), image(13), image(19)] });
    expect([result[0], result[13], result[19]]).toEqual(one.embeddings);
    expect(result).toHaveLength(20);
  });

  it('reads an async iterable of images, and sends clipVersion with every request', async () => {
    async function* paths() {
      for (let i = 0; i < 10; i++) yield image(i);
    }
    const result = await ctx.clip.embedImages(paths(), { batchSize: 4, clipVersion: 'RN50' });
    expect(result.map((v) => v.length)).toEqual(Array(10).fill(1024));
    expect(ctx.mock.requests.map((r) => (r.body as { clip_version_id?: string }).clip_version_id)).toEqual(['RN50', 'RN50', 'RN50']);
  });

  it('refuses a batchSize above 8 before anything is sent', async () => {
    await expect(ctx.clip.embedImages(images(20), { batchSize: 9 })).rejects.toBeInstanceOf(ClipValidationError);
    expect(ctx.mock.requests).toEqual([]);
  });

  it('refuses a single string or bytes in place of the list of images', async () => {
    await expect(ctx.clip.embedImages(image(0) as never)).rejects.toBeInstanceOf(ClipValidationError);
    await expect(ctx.clip.embedImages(new Uint8Array([1, 2, 3]) as never)).rejects.toBeInstanceOf(ClipValidationError);
    expect(ctx.mock.requests).toEqual([]);
  });

  it('checks a whole list before the first request: an invalid image late in it fails the job with nothing sent', async () => {
    const list: unknown[] = images(40);
    list[33] = 'not an image';
    const error = await ctx.clip.embedImages(list as string[], { concurrency: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClipValidationError);
    expect((error as ClipValidationError).issues).toEqual([{ path: [33], message: expect.stringMatching(/not marked as an image/) }]);
    expect(ctx.mock.requests).toEqual([]);
  });

  it('turns an invalid image read from an async iterable into ClipBatchError naming its request, with the validation error as cause', async () => {
    async function* read() {
      for (let i = 0; i < 12; i++) yield i === 9 ? 'not an image' : image(i);
    }
    const error = await ctx.clip.embedImages(read(), { concurrency: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClipBatchError);
    expect(error).toMatchObject({ start: 8, end: 12, completed: 8 });
    expect((error as ClipBatchError).cause).toBeInstanceOf(ClipValidationError);
    expect(sentCounts(ctx.mock.requests, 'image')).toEqual([8]);
  });
});

describe('embedTexts', () => {
  it('sends 32 texts per request by default and reports progress after each', async () => {
    const progress: BatchProgress[] = [];
    const result = await ctx.clip.embedTexts(texts(70), { concurrency: 1, onProgress: (p) => progress.push(p) });
    expect(sentCounts(ctx.mock.requests, 'text')).toEqual([6, 32, 32]);
    expect(progress).toEqual([
      { done: 32, total: 70 },
      { done: 64, total: 70 },
      { done: 70, total: 70 },
    ]);
    const single = await ctx.clip.embedText({ text: texts(70)[69]! });
    expect(result[69]).toEqual(single.embeddings[0]);
  });
});

describe('a failed request in a batch job', () => {
  let stub: StubServer;
  let failing: ClipClient;
  beforeAll(async () => {
    // Answers every request after 1 s, except the one carrying the bad image, at once with 400.
    stub = await startStub((req, res) => {
      const sent = (JSON.parse(req.rawBody) as { image: { value: string }[] }).image;
      if (sent.some((i) => i.value.endsWith('bad.jpg'))) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Could not load input image.' }));
        return;
      }
      const timer = setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ embeddings: sent.map(() => [1, 0]) })), 1_000);
      res.on('close', () => clearTimeout(timer));
    });
    failing = new ClipClient({ baseUrl: stub.url, apiKey: null, maxRetries: 0 });
  });
  afterAll(async () => {
    await failing.close();
    await stub.close();
  });

  it('rejects at once with ClipBatchError naming the inputs of the failed request, cancelling the others', async () => {
    const list = images(40);
    list[21] = 'https://example.com/bad.jpg';
    const started = performance.now();
    const error = await failing.embedImages(list, { concurrency: 4 }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(900);
    expect(error).toBeInstanceOf(ClipBatchError);
    expect(error).toMatchObject({ start: 16, end: 24, completed: 0 });
    expect((error as ClipBatchError).cause).toBeInstanceOf(ClipApiError);
    // Only the four batches started before the failure may have reached the server.
    const sentValues = stub.requests.flatMap((r) => (JSON.parse(r.rawBody) as { image: { value: string }[] }).image.map((i) => i.value));
    expect(sentValues.every((value) => list.indexOf(value) < 32)).toBe(true);
  });
});

describe('the key in a batch job', () => {
  it('never appears in ClipBatchError, even when the failed answer echoes the request body', async () => {
    const key = 'rf_batch_canary_key_123';
    // Like FastAPI's 422: the request body, api_key included, comes back as `input`.
    const echo = await startStub((req, res) =>
      res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: [{ msg: 'bad', input: JSON.parse(req.rawBody) }] })),
    );
    const keyed = new ClipClient({ baseUrl: echo.url, apiKey: key, apiKeyTransport: 'body', maxRetries: 0 });
    try {
      const error = (await keyed.embedTexts(texts(5)).catch((e: unknown) => e)) as ClipBatchError;
      expect(error).toBeInstanceOf(ClipBatchError);
      expect(echo.requests[0]!.rawBody).toContain(key);
      for (const shown of [error.message, error.stack ?? '', String(error), JSON.stringify(error), inspect(error, { depth: 10 })]) {
        expect(shown).not.toContain(key);
      }
    } finally {
      await keyed.close();
      await echo.close();
    }
  });
});

describe('compareMany', () => {
  const subject = 'https://example.com/photos/raccoon.jpg';

  it('splits 20 prompts into requests of 8 and merges the similarities in prompt order', async () => {
    const prompts = texts(20);
    const { similarity } = await ctx.clip.compareMany({ subject, prompt: prompts });
    expect(sentCounts(ctx.mock.requests, 'prompt')).toEqual([4, 8, 8]);
    const parts = await Promise.all([0, 8, 16].map((at) => ctx.clip.compare({ subject, prompt: prompts.slice(at, at + 8) })));
    expect(similarity).toEqual(parts.flatMap((p) => p.similarity));
  });

  it('keeps the key order of a name map of any size', async () => {
    const names = Object.fromEntries(texts(11).map((t, i) => [`label-${String.fromCharCode(107 - i)}`, t]));
    const { similarity } = await ctx.clip.compareMany({ subject, prompt: names }, { batchSize: 4 });
    expect(Object.keys(similarity)).toEqual(Object.keys(names));
    const first = await ctx.clip.compare({ subject, prompt: { 'label-k': names['label-k']! } });
    expect(similarity['label-k']).toBe(first.similarity['label-k']);
    expect(ctx.mock.requests).toHaveLength(4);
  });

  it('sends a single prompt as one compare request', async () => {
    const { similarity } = await ctx.clip.compareMany({ subject, prompt: 'a raccoon' });
    expect(similarity).toHaveLength(1);
    expect(ctx.mock.requests).toHaveLength(1);
  });

  it('refuses an empty prompt list or an invalid subject before anything is sent', async () => {
    await expect(ctx.clip.compareMany({ subject, prompt: [] })).rejects.toBeInstanceOf(ClipValidationError);
    await expect(ctx.clip.compareMany({ subject, prompt: {} })).rejects.toBeInstanceOf(ClipValidationError);
    await expect(ctx.clip.compareMany({ subject: 'not an image', prompt: texts(20) })).rejects.toBeInstanceOf(ClipValidationError);
    expect(ctx.mock.requests).toEqual([]);
  });

  it('refuses a batchSize above 8 before anything is sent', async () => {
    await expect(ctx.clip.compareMany({ subject, prompt: texts(20) }, { batchSize: 12 })).rejects.toBeInstanceOf(ClipValidationError);
    expect(ctx.mock.requests).toEqual([]);
  });
});
