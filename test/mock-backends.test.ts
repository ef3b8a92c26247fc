import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipHandlers } from '../src/msw.js';
import {
  mockImageBatchEmbedding,
  mockImageEmbedding,
  mockPng,
  mockTextEmbedding,
  startMockServer,
  type MockImage,
  type MockServer,
} from '../src/testing.js';

const png = (description: string, width = 8, height = 8): MockImage => ({
  type: 'base64',
  value: Buffer.from(mockPng(description, { width, height })).toString('base64'),
});
const INTERNAL_ERROR = { message: 'Internal error.' };
// fetch labels a string body text/plain, which the server does not parse as JSON.
const JSON_TYPE = { 'content-type': 'application/json' };

type Post = (path: string, body: unknown) => Promise<{ status: number; json: any }>;

/** The rules of the inference-models backend, the same through the loopback server and the msw handlers. */
function inferenceModelsRules(post: Post) {
  it('a list of same-size images gets ONE embedding, of the batch as a whole', async () => {
    const images = [png('a raccoon'), png('a dog')];
    const answer = await post('/clip/embed_image', { image: images });
    expect(answer.status).toBe(200);
    expect(answer.json.embeddings).toEqual([mockImageBatchEmbedding(images)]);
  });

  it('a list of images of different sizes is 500', async () => {
    expect(await post('/clip/embed_image', { image: [png('a raccoon', 8, 8), png('a dog', 16, 8)] })).toMatchObject({
      status: 500,
      json: INTERNAL_ERROR,
    });
  });

  it('one image, alone or in a list of one, gets its own embedding', async () => {
    const image = png('a raccoon');
    expect((await post('/clip/embed_image', { image })).json.embeddings).toEqual([mockImageEmbedding(image)]);
    expect((await post('/clip/embed_image', { image: [image] })).json.embeddings).toEqual([mockImageEmbedding(image)]);
  });

  it('several image prompts get one similarity, under the first name of a name map', async () => {
    const list = await post('/clip/compare', { subject: 'a raccoon', subject_type: 'text', prompt: [png('a'), png('b')], prompt_type: 'image' });
    expect(list.json.similarity).toHaveLength(1);
    const map = await post('/clip/compare', { subject: 'a raccoon', subject_type: 'text', prompt: { r: png('a'), b: png('b') }, prompt_type: 'image' });
    expect(Object.keys(map.json.similarity)).toEqual(['r']);
  });

  it('text: [] is 200 with no embeddings; texts are otherwise embedded one by one', async () => {
    expect(await post('/clip/embed_text', { text: [] })).toMatchObject({ status: 200, json: { embeddings: [] } });
    expect((await post('/clip/embed_text', { text: ['a', 'b'] })).json.embeddings).toEqual([mockTextEmbedding('a'), mockTextEmbedding('b')]);
  });
}

describe("startMockServer({ backend: 'inference-models' })", () => {
  let server: MockServer;
  beforeAll(async () => {
    server = await startMockServer({ backend: 'inference-models' });
  });
  afterAll(() => server.close());
  const post: Post = async (path, body) => {
    const response = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, json: await response.json() };
  };
  inferenceModelsRules(post);
});

describe("clipHandlers({ backend: 'inference-models' })", () => {
  const msw = setupServer(...clipHandlers({ baseUrl: 'https://clip.backend.example.com', backend: 'inference-models' }));
  beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => msw.close());
  const post: Post = async (path, body) => {
    const response = await fetch(`https://clip.backend.example.com${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  };
  inferenceModelsRules(post);

  it('the msw handlers load each model once, like a server', async () => {
    const request = () => fetch('https://clip.backend.example.com/clip/embed_text', { method: 'POST', headers: JSON_TYPE, body: '{"text":"a","clip_version_id":"RN101"}' });
    expect((await request()).headers.get('x-model-cold-start')).toBe('true');
    expect((await request()).headers.get('x-model-cold-start')).toBe('false');
  });
});

describe('the legacy backend (the default)', () => {
  let server: MockServer;
  beforeAll(async () => {
    server = await startMockServer({ preloadModels: ['clip/ViT-B-16'] });
  });
  afterAll(() => server.close());

  it('embeds each image of a list, whatever their sizes, and fails text: [] with 500', async () => {
    const post = async (path: string, body: unknown) => {
      const response = await fetch(server.url + path, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify(body) });
      return { status: response.status, json: await response.json(), cold: response.headers.get('x-model-cold-start') };
    };
    const images = [png('a raccoon', 8, 8), png('a dog', 16, 8)];
    const answer = await post('/clip/embed_image', { image: images });
    expect(answer.json.embeddings).toEqual(images.map((image) => mockImageEmbedding(image)));
    expect(answer.cold).toBe('false');
    expect(await post('/clip/embed_text', { text: [] })).toMatchObject({ status: 500, json: INTERNAL_ERROR });
  });
});

describe('image URL settings', () => {
  it('allowNonHttpsUrls and allowUrlsWithoutFqdn let http:// and loopback URLs through, as pictures named by their path', async () => {
    const strict = await startMockServer();
    const open = await startMockServer({ allowNonHttpsUrls: true, allowUrlsWithoutFqdn: true });
    const body = JSON.stringify({ image: { type: 'url', value: 'http://127.0.0.1:8000/raccoon.jpg' } });
    const refused = await fetch(`${strict.url}/clip/embed_image`, { method: 'POST', headers: JSON_TYPE, body });
    const allowed = await fetch(`${open.url}/clip/embed_image`, { method: 'POST', headers: JSON_TYPE, body });
    await Promise.all([strict.close(), open.close()]);
    expect(refused.status).toBe(400);
    expect(allowed.status).toBe(200);
    expect((await allowed.json()).embeddings).toEqual([mockImageEmbedding({ type: 'url', value: 'http://127.0.0.1:8000/raccoon.jpg' })]);
  });
});

describe('mockPng', () => {
  it('makes a PNG of the given size that the mock embeds by its description', () => {
    const bytes = mockPng('a raccoon in the woods', { width: 40, height: 30 });
    expect(Buffer.from(bytes.subarray(1, 4)).toString()).toBe('PNG');
    expect([Buffer.from(bytes).readUInt32BE(16), Buffer.from(bytes).readUInt32BE(20)]).toEqual([40, 30]);
    const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0) / Math.hypot(...a) / Math.hypot(...b);
    const image = mockImageEmbedding(png('a raccoon in the woods'));
    expect(cosine(image, mockTextEmbedding('a raccoon'))).toBeGreaterThan(cosine(image, mockTextEmbedding('a sailing boat')) + 0.15);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => mockPng('x', { width: 0 })).toThrow(RangeError);
    expect(() => mockPng('x', { height: 1.5 })).toThrow(RangeError);
  });
});
