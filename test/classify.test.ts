import { describe, expect, it } from 'vitest';
import { ClipAbortError, ClipApiError, ClipClient, ClipValidationError } from '../src/index.js';
import { LabelEmbeddingCache } from '../src/jobs/classify.js';
import { mockImageEmbedding, mockTextEmbedding, startMockServer } from '../src/testing.js';
import { startStub } from './helpers/http.js';
import { useMockClient } from './helpers/mock-client.js';

const IMAGE = 'https://images.example.com/pets/tabby-cat.jpg';
const ANIMALS = ['cat', 'dog', 'raccoon', 'horse', 'bird', 'fish', 'cow', 'sheep', 'goat', 'pig'];
const TWENTY = [...ANIMALS, ...ANIMALS.map((a) => `${a} toy`)];

const ctx = useMockClient();
const client = ctx.client;


/** Texts sent to embed_text, request by request. */
function textRequests(): string[][] {
  return ctx.mock.requests.filter((r) => r.path === '/clip/embed_text').map((r) => [(r.body as { text: string | string[] }).text].flat());
}

// Written out here rather than taken from src/vectors/math.ts, so the test cannot agree with the code it checks.
function expectedScores(image: number[], texts: string[]): { similarity: number; score: number }[] {
  const length = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const similarities = texts.map((text) => {
    const t = mockTextEmbedding(text);
    return t.reduce((s, x, i) => s + x * image[i]!, 0) / (length(t) * length(image));
  });
  const exps = similarities.map((s) => Math.exp(100 * s));
  const total = exps.reduce((a, b) => a + b, 0);
  return similarities.map((similarity, i) => ({ similarity, score: exps[i]! / total }));
}

describe('classify', () => {
  it('score is the softmax of 100 x cosine similarity over the labels, and similarity the cosine', async () => {
    const results = await client().classify(IMAGE, ['cat', 'dog', 'raccoon']);
    const expected = expectedScores(mockImageEmbedding({ type: 'url', value: IMAGE }), ['cat', 'dog', 'raccoon']);
    for (const [i, label] of ['cat', 'dog', 'raccoon'].entries()) {
      const result = results.find((r) => r.label === label)!;
      expect(result.similarity).toBeCloseTo(expected[i]!.similarity, 6);
      expect(result.score).toBeCloseTo(expected[i]!.score, 6);
    }
  });

  it('scores sum to 1 and results are sorted by score, best first', async () => {
    const results = await client().classify(IMAGE, TWENTY);
    expect(results).toHaveLength(20);
    expect(results.reduce((s, r) => s + r.score, 0)).toBeCloseTo(1, 12);
    for (let i = 1; i < results.length; i++) expect(results[i - 1]!.score).toBeGreaterThanOrEqual(results[i]!.score);
    expect(results[0]!.label).toBe('cat');
  });

  it('the image is embedded with one embed_image request', async () => {
    await client().classify(IMAGE, ['cat', 'dog']);
    const images = ctx.mock.requests.filter((r) => r.path === '/clip/embed_image');
    expect(images).toHaveLength(1);
    expect((images[0]!.body as { image: unknown }).image).toEqual({ type: 'url', value: IMAGE });
  });

  it('a first call embeds the image and the labels at the same time', async () => {
    const slow = await startMockServer({ latencyMs: 200 });
    const clip = new ClipClient({ baseUrl: slow.url, apiKey: null, maxRetries: 0 });
    try {
      const started = performance.now();
      await clip.classify(IMAGE, ANIMALS);
      // One round trip of 200 ms; image and labels one after the other would take at least 400 ms.
      expect(performance.now() - started).toBeLessThan(380);
      expect(slow.requests.map((r) => r.path).sort()).toEqual(['/clip/embed_image', '/clip/embed_text']);
    } finally {
      await clip.close();
      await slow.close();
    }
  });

  it('template wraps each label before it is embedded, and results keep the bare label', async () => {
    const results = await client().classify(IMAGE, ['cat', 'dog'], { template: 'a photo of a {}' });
    expect(textRequests()).toEqual([['a photo of a cat', 'a photo of a dog']]);
    expect(results.map((r) => r.label).sort()).toEqual(['cat', 'dog']);
  });

  it('a name map embeds its texts and keeps the caller\'s keys as labels', async () => {
    const results = await client().classify(IMAGE, { feline: 'a photo of a cat', canine: 'a photo of a dog' });
    expect(textRequests()).toEqual([['a photo of a cat', 'a photo of a dog']]);
    expect(results.map((r) => r.label)).toEqual(['feline', 'canine']);
  });

  it('topK returns only the k best labels, with the scores computed over all labels', async () => {
    const clip = client();
    const all = await clip.classify(IMAGE, TWENTY);
    const top = await clip.classify(IMAGE, TWENTY, { topK: 3 });
    expect(top).toEqual(all.slice(0, 3));
  });

  it('any number of labels: 100 labels go out 32 per embed_text request', async () => {
    const labels = Array.from({ length: 100 }, (_, i) => `label number ${i}`);
    const results = await client().classify(IMAGE, labels);
    expect(results).toHaveLength(100);
    expect(textRequests().map((texts) => texts.length).sort((a, b) => b - a)).toEqual([32, 32, 32, 4]);
    expect(textRequests().flat().sort()).toEqual([...labels].sort());
  });

  it('the second call with the same 20 labels sends exactly one request', async () => {
    const clip = client();
    await clip.classify(IMAGE, TWENTY, { template: 'a photo of a {}' });
    const before = ctx.mock.requests.length;
    await clip.classify('https://images.example.com/farm/cow.jpg', TWENTY, { template: 'a photo of a {}' });
    expect(ctx.mock.requests.slice(before).map((r) => r.path)).toEqual(['/clip/embed_image']);
  });

  it('concurrent first calls with the same labels request them once', async () => {
    const clip = client();
    const results = await Promise.all([1, 2, 3].map((i) => clip.classify(`https://images.example.com/pets/cat-${i}.jpg`, ANIMALS)));
    expect(results.every((r) => r.length === ANIMALS.length)).toBe(true);
    expect(ctx.mock.requests.filter((r) => r.path === '/clip/embed_text')).toHaveLength(1);
  });

  it('a failed label request fails every call waiting on it, and caches nothing', async () => {
    const cache = new LabelEmbeddingCache(16);
    const boom = new Error('server down');
    let calls = 0;
    const embedTexts = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw boom;
    };
    const outcomes = await Promise.allSettled([cache.embed('v', ['a', 'b'], embedTexts), cache.embed('v', ['b'], embedTexts)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
    expect(cache.size).toBe(0);
  });

  it("a failed label request rejects the call with that request's own error", async () => {
    const stub = await startStub((req, res) => {
      const [status, body] = req.url.startsWith('/clip/embed_text') ? [401, { message: 'bad key' }] : [200, { embeddings: [[1, 0]] }];
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    const clip = new ClipClient({ baseUrl: stub.url, apiKey: null, maxRetries: 0 });
    try {
      const error = await clip.classify(IMAGE, ['cat']).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClipApiError);
      expect(error).toMatchObject({ status: 401 });
    } finally {
      await clip.close();
      await stub.close();
    }
  });

  it('only labels not yet cached are requested', async () => {
    const clip = client();
    await clip.classify(IMAGE, ['cat', 'dog']);
    ctx.mock.requests.length = 0;
    await clip.classify(IMAGE, ['dog', 'cat', 'raccoon']);
    expect(textRequests()).toEqual([['raccoon']]);
  });

  it('the cache is bounded by labelCacheSize, dropping the least recently used labels', async () => {
    const clip = client({ labelCacheSize: 2 });
    await clip.classify(IMAGE, ['cat', 'dog', 'raccoon']);
    ctx.mock.requests.length = 0;
    await clip.classify(IMAGE, ['dog', 'raccoon']);
    expect(textRequests()).toEqual([]);
    await clip.classify(IMAGE, ['cat']);
    expect(textRequests()).toEqual([['cat']]);
  });

  it('labelCacheSize 0 embeds the labels on every call', async () => {
    const clip = client({ labelCacheSize: 0 });
    await clip.classify(IMAGE, ['cat', 'dog']);
    await clip.classify(IMAGE, ['cat', 'dog']);
    expect(textRequests()).toHaveLength(2);
  });

  it('the cache is keyed by CLIP version as well as text', async () => {
    const cache = new LabelEmbeddingCache(10);
    const requested: string[][] = [];
    const embed = async (texts: string[]) => {
      requested.push(texts);
      return texts.map(() => [1, 0]);
    };
    await cache.embed('ViT-B-16', ['cat'], embed);
    await cache.embed('ViT-L-14', ['cat'], embed);
    await cache.embed('ViT-B-16', ['cat'], embed);
    expect(requested).toEqual([['cat'], ['cat']]);
  });

  it('a failed label request caches nothing and fails the call', async () => {
    const cache = new LabelEmbeddingCache(10);
    await expect(cache.embed('', ['cat'], () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(cache.size).toBe(0);
  });

  it('the client sends classify requests with its clipVersion', async () => {
    await client({ clipVersion: 'ViT-L-14' }).classify(IMAGE, ['cat']);
    expect(ctx.mock.requests.map((r) => (r.body as { clip_version_id?: string }).clip_version_id)).toEqual(['ViT-L-14', 'ViT-L-14']);
  });

  it('an aborted signal rejects with ClipAbortError', async () => {
    const error = await client()
      .classify(IMAGE, ['cat'], { signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClipAbortError);
  });
});

describe('classify: bad input is a ClipValidationError before any request', () => {
  const cases: [string, unknown, unknown, object][] = [
    ['no labels', IMAGE, [], {}],
    ['an empty name map', IMAGE, {}, {}],
    ['an empty label', IMAGE, ['cat', ''], {}],
    ['a label that is not a string', IMAGE, ['cat', 3], {}],
    ['a duplicate label', IMAGE, ['cat', 'dog', 'cat'], {}],
    ['a name map value that is not a string', IMAGE, { cat: 'a cat', dog: null }, {}],
    ['labels that are neither a list nor a name map', IMAGE, 'cat,dog', {}],
    ['a template without {}', IMAGE, ['cat'], { template: 'a photo' }],
    ['a topK of 0', IMAGE, ['cat'], { topK: 0 }],
    ['a fractional topK', IMAGE, ['cat'], { topK: 1.5 }],
    ['a list of images', [IMAGE, IMAGE], ['cat'], {}],
    ['an image that is not one', 'tabby-cat.jpg', ['cat'], {}],
  ];

  it.each(cases)('%s', async (_, image, labels, options) => {
    const clip = client();
    const error = await (clip.classify as (...args: unknown[]) => Promise<unknown>)(image, labels, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClipValidationError);
    expect(ctx.mock.requests).toHaveLength(0);
  });

  it('a bad labelCacheSize is refused when the client is created', () => {
    expect(() => client({ labelCacheSize: -1 })).toThrow(ClipValidationError);
  });
});
