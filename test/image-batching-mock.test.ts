// The image-batching fallback against the mock's imitation of server 1.5.0's default backend
// (`backend: 'inference-models'`): every call gives what the legacy backend, which batches correctly,
// gives for the same inputs, and the requests show the client re-sending images one by one.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClipClient, type ClipLogger } from '../src/index.js';
import { mockPng, startMockServer, type MockServer, type RecordedRequest } from '../src/testing.js';

type Body = Record<string, unknown>;

const png = (description: string, width = 8, height = 8) => mockPng(description, { width, height });
// Same-size images, which this backend runs as one picture (one embedding), and a wider one, which makes it fail (500).
const raccoon = png('a raccoon at night');
const dog = png('a dog on a beach');
const car = png('a red car');
const wideCat = png('a sleeping cat', 16, 8);

let legacy: MockServer;
let inferenceModels: MockServer;
beforeAll(async () => {
  [legacy, inferenceModels] = await Promise.all([startMockServer(), startMockServer({ backend: 'inference-models' })]);
});
afterAll(() => Promise.all([legacy.close(), inferenceModels.close()]));

const clients: ClipClient[] = [];
let warnings: string[];
beforeEach(async () => {
  legacy.requests.length = 0;
  inferenceModels.requests.length = 0;
  warnings = [];
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(() => Promise.all(clients.map((c) => c.close())));

const logger: ClipLogger = { debug() {}, info() {}, warn: (line) => warnings.push(line), error() {} };
/** A new client of each server (one that has learnt nothing of it yet). */
function clientsOf(): { legacy: ClipClient; inferenceModels: ClipClient } {
  const made = (server: MockServer) => new ClipClient({ baseUrl: server.url, apiKey: null, maxRetries: 0, logger });
  const pair = { legacy: made(legacy), inferenceModels: made(inferenceModels) };
  clients.push(pair.legacy, pair.inferenceModels);
  return pair;
}

/** Images (or image prompts) in each request, in the order the requests arrived; 0 for a request of texts only. */
function imagesPerRequest(requests: RecordedRequest[]): number[] {
  return requests.map(({ path, body }) => {
    const { image, prompt, prompt_type } = body as Body;
    const items = path === '/clip/embed_image' ? image : prompt_type === 'image' ? prompt : undefined;
    if (items === undefined) return 0;
    if (Array.isArray(items)) return items.length;
    return typeof items === 'object' && items !== null && !('type' in items) ? Object.keys(items).length : 1;
  });
}
const fellBackOnce = () => warnings.filter((line) => line.includes('one image per request from now on'));

describe("the client against startMockServer({ backend: 'inference-models' })", () => {
  it('embedImage with a list of same-size images: the embeddings of the legacy backend, in order', async () => {
    const c = clientsOf();
    const images = [raccoon, dog, car];
    const expected = await c.legacy.embedImage({ image: images });
    const result = await c.inferenceModels.embedImage({ image: images });
    expect(result.embeddings).toEqual(expected.embeddings);
    expect(result.embeddings).toHaveLength(3);
    expect(imagesPerRequest(inferenceModels.requests)).toEqual([3, 1, 1, 1]);
    expect(imagesPerRequest(legacy.requests)).toEqual([3]);
    expect(fellBackOnce()).toEqual([expect.stringContaining('answered fewer results than images to a request of 3 images')]);
  });

  it('embedImage with images of different sizes: the 500 makes it re-send them, with the same embeddings', async () => {
    const c = clientsOf();
    const images = [raccoon, wideCat, dog];
    const expected = await c.legacy.embedImage({ image: images });
    expect((await c.inferenceModels.embedImage({ image: images })).embeddings).toEqual(expected.embeddings);
    expect(imagesPerRequest(inferenceModels.requests)).toEqual([3, 1, 1, 1]);
    expect(fellBackOnce()).toEqual([expect.stringContaining('answered HTTP 500 to a request of 3 images')]);
  });

  it('embedImages: one embedding per image in input order, one image per request once the first batch came back short', async () => {
    const c = clientsOf();
    const images = [raccoon, dog, car, wideCat, raccoon, car, dog, wideCat, car, raccoon, dog];
    const expected = await c.legacy.embedImages(images, { concurrency: 1 });
    const vectors = await c.inferenceModels.embedImages(images, { concurrency: 1 });
    expect(vectors).toEqual(expected);
    expect(imagesPerRequest(legacy.requests)).toEqual([8, 3]);
    expect(imagesPerRequest(inferenceModels.requests)).toEqual([8, ...Array(11).fill(1)]);
    expect(fellBackOnce()).toHaveLength(1);
  });

  it('compare with several image prompts, as a list and as a name map: the same similarities, names in order', async () => {
    const c = clientsOf();
    const list = { subject: 'a raccoon', subject_type: 'text' as const, prompt: [dog, raccoon, car], prompt_type: 'image' as const };
    const named = { subject: 'a raccoon', subject_type: 'text' as const, prompt: { dog, raccoon, cat: wideCat }, prompt_type: 'image' as const };
    expect((await c.inferenceModels.compare(list)).similarity).toEqual((await c.legacy.compare(list)).similarity);
    const similarity = (await c.inferenceModels.compare(named)).similarity;
    expect(similarity).toEqual((await c.legacy.compare(named)).similarity);
    expect(Object.keys(similarity)).toEqual(['dog', 'raccoon', 'cat']);
    // The list came back with one similarity and was re-sent; the name map went one prompt per request at once.
    expect(imagesPerRequest(inferenceModels.requests)).toEqual([3, 1, 1, 1, 1, 1, 1]);
    expect(imagesPerRequest(legacy.requests)).toEqual([3, 3]);
  });

  it('compareMany: any number of image prompts, merged back in order', async () => {
    const c = clientsOf();
    const images = [raccoon, dog, car, wideCat, car, dog, raccoon, wideCat, dog, car];
    const request = { subject: 'a red car', subject_type: 'text', prompt: Object.fromEntries(images.map((image, i) => [`p${i}`, image])), prompt_type: 'image' } as const;
    const expected = await c.legacy.compareMany(request, { concurrency: 1 });
    const result = await c.inferenceModels.compareMany(request, { concurrency: 1 });
    expect(result.similarity).toEqual(expected.similarity);
    expect(Object.keys(result.similarity)).toEqual(images.map((_, i) => `p${i}`));
    expect(imagesPerRequest(legacy.requests)).toEqual([8, 2]);
    expect(imagesPerRequest(inferenceModels.requests)).toEqual([8, ...Array(10).fill(1)]);
  });

  it('classify: the scores of the legacy backend, from one image request and one request of all the labels', async () => {
    const c = clientsOf();
    const labels = ['a raccoon', 'a dog', 'a red car', 'a sleeping cat'];
    // A client that has already fallen back classifies as before: its one image was never a batch.
    await c.inferenceModels.embedImage({ image: [raccoon, dog] });
    inferenceModels.requests.length = 0;
    for (const image of [raccoon, wideCat]) {
      expect(await c.inferenceModels.classify(image, labels)).toEqual(await c.legacy.classify(image, labels));
    }
    // The labels and the first image go at once; the label embeddings are cached, so the second call costs its image alone.
    const texts = inferenceModels.requests.filter((r) => r.path === '/clip/embed_text').map((r) => (r.body as Body).text);
    expect(texts).toEqual([labels]);
    expect(imagesPerRequest(inferenceModels.requests).filter((n) => n > 0)).toEqual([1, 1]);
    expect(inferenceModels.requests).toHaveLength(3);
  });
});
