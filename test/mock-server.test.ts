import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipHandlers } from '../src/testing/msw.js';
import {
  CLIP_VERSIONS,
  EMBEDDING_DIMENSIONS,
  mockImageEmbedding,
  mockPng,
  mockTextEmbedding,
  startMockServer,
  type MockServer,
} from '../src/testing.js';

const RACCOON_URL = 'https://images.freeimages.com/images/large-previews/36c/raccoons-in-the-wild-4-1624830.jpg';
const INTERNAL_ERROR = { message: 'Internal error.' };
const url = (value: string) => ({ type: 'url', value });
const base64 = (description: string) => ({ type: 'base64', value: Buffer.from(mockPng(description)).toString('base64') });
const norm = (v: number[]) => Math.hypot(...v);
const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0) / (norm(a) * norm(b));

interface Answer {
  status: number;
  headers: Headers;
  json: any;
}

async function call(server: MockServer, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const { method = 'POST', body, headers = {} } = init;
  const response = await fetch(server.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

describe('mock server without an API key', () => {
  let server: MockServer;
  const post = (path: string, body: unknown, headers?: Record<string, string>) => call(server, path, { body, headers });
  const embedText = async (text: string | string[], extra = {}) => (await post('/clip/embed_text', { text, ...extra })).json.embeddings as number[][];

  beforeAll(async () => {
    server = await startMockServer();
  });
  afterAll(() => server.close());

  it('embed_text answers one 512-value embedding per text, with the mock headers', async () => {
    const answer = await post('/clip/embed_text', { text: ['the quick brown fox', 'how vexingly quick daft zebras jump'] });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ inference_id: null, frame_id: null, time: expect.any(Number) });
    expect(answer.json.embeddings).toHaveLength(2);
    expect(answer.json.embeddings[0]).toHaveLength(512);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.headers.get('x-model-id')).toBe('clip/ViT-B-16');
    expect(answer.headers.get('x-inference-engine')).toBe('roboflow-clip-mock');
    expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('the first request for a model loads it: cold-start headers and x-model-load-time on that answer only', async () => {
    const fresh = await startMockServer();
    const cold = await call(fresh, '/clip/embed_text', { body: { text: 'a' } });
    const warm = await call(fresh, '/clip/embed_text', { body: { text: 'a' } });
    const other = await call(fresh, '/clip/embed_text', { body: { text: 'a', clip_version_id: 'RN50' } });
    await fresh.close();
    const loading = (answer: Answer) =>
      ['x-model-cold-start', 'x-model-cold-start-count', 'x-model-load-time'].map((name) => answer.headers.get(name));
    expect(loading(cold)).toEqual(['true', '1', expect.stringMatching(/^\d+(\.\d+)?$/)]);
    expect(loading(warm)).toEqual(['false', '0', null]);
    expect(loading(other)).toEqual(['true', '1', expect.any(String)]);
  });

  it('every answer carries its own x-request-id, errors included', async () => {
    const answers = [await post('/clip/embed_text', { text: 'a' }), await post('/clip/embed_text', {}), await post('/nowhere', {})];
    const ids = answers.map((answer) => answer.headers.get('x-request-id'));
    expect(ids).toEqual([expect.stringMatching(/^[0-9a-f]{32}$/), expect.any(String), expect.any(String)]);
    expect(new Set(ids).size).toBe(3);
  });

  it('embed_image answers one embedding per image, for one object or a list', async () => {
    const one = await post('/clip/embed_image', { image: url(RACCOON_URL) });
    const two = await post('/clip/embed_image', { image: [url(RACCOON_URL), base64('a raccoon')] });
    expect(one.status).toBe(200);
    expect(one.json.embeddings).toHaveLength(1);
    expect(two.json.embeddings).toHaveLength(2);
    expect(two.json.embeddings[0]).toEqual(one.json.embeddings[0]);
  });

  it('compare answers a similarity list in prompt order, and parent_id', async () => {
    const answer = await post('/clip/compare', {
      subject: url('https://example.com/raccoon.jpg'),
      prompt: ['A very cute raccoon', 'A large dog', 'A black cat'],
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ inference_id: null, frame_id: null, parent_id: null, time: expect.any(Number) });
    expect(answer.json.similarity).toHaveLength(3);
    const alone = await post('/clip/compare', { subject: url('https://example.com/raccoon.jpg'), prompt: 'A large dog' });
    expect(alone.json.similarity).toEqual([answer.json.similarity[1]]);
  });

  it('clip_version_id selects the embedding dimension (default ViT-B-16)', async () => {
    for (const version of CLIP_VERSIONS) {
      const answer = await post('/clip/embed_text', { text: 'a dog', clip_version_id: version });
      expect(answer.json.embeddings[0]).toHaveLength(EMBEDDING_DIMENSIONS[version]);
      expect(answer.headers.get('x-model-id')).toBe(`clip/${version}`);
    }
  });

  it('embeddings are deterministic, unnormalised (norm 9-10) and equal to mockTextEmbedding/mockImageEmbedding', async () => {
    const [first] = await embedText('a cute raccoon');
    const [again] = await embedText('a cute raccoon');
    expect(again).toEqual(first);
    expect(first).toEqual(mockTextEmbedding('a cute raccoon'));
    expect(norm(first!)).toBeGreaterThanOrEqual(9);
    expect(norm(first!)).toBeLessThan(10.001);
    const image = (await post('/clip/embed_image', { image: url(RACCOON_URL), clip_version_id: 'RN50' })).json.embeddings[0];
    expect(image).toEqual(mockImageEmbedding({ type: 'url', value: RACCOON_URL }, 'RN50'));
  });

  it('related words score clearly higher than unrelated ones, across text and images', async () => {
    const answer = await post('/clip/compare', {
      subject: url(RACCOON_URL),
      prompt: ['A very cute raccoon', 'A large dog', 'A black cat'],
    });
    const [raccoon, dog, cat] = answer.json.similarity as number[];
    expect(raccoon).toBeGreaterThan(dog! + 0.15);
    expect(raccoon).toBeGreaterThan(cat! + 0.15);
    const [puppy, dogs, airplane] = await embedText(['a small dog', 'two dogs playing', 'an airplane']);
    expect(cosine(puppy!, dogs!)).toBeGreaterThan(cosine(puppy!, airplane!) + 0.15);
  });

  it('similarity is the cosine of the two raw embeddings', async () => {
    const [text] = await embedText('A very cute raccoon');
    const image = (await post('/clip/embed_image', { image: url(RACCOON_URL) })).json.embeddings[0];
    const answer = await post('/clip/compare', {
      subject: 'A very cute raccoon',
      subject_type: 'text',
      prompt: url(RACCOON_URL),
      prompt_type: 'image',
    });
    expect(answer.json.similarity[0]).toBeCloseTo(cosine(text!, image), 12);
  });

  it('a name-map prompt answers an object with the same keys in the same order', async () => {
    const answer = await post('/clip/compare', {
      subject: url(RACCOON_URL),
      prompt: { zebra: 'a zebra', raccoon: 'a raccoon', another: 'a dog' },
    });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.json.similarity)).toEqual(['zebra', 'raccoon', 'another']);
    const list = await post('/clip/compare', { subject: url(RACCOON_URL), prompt: ['a zebra', 'a raccoon', 'a dog'] });
    expect(Object.values(answer.json.similarity)).toEqual(list.json.similarity);
  });

  it('an object with both type and value is one image prompt, not a name map', async () => {
    const answer = await post('/clip/compare', {
      subject: 'a raccoon',
      subject_type: 'text',
      prompt: url(RACCOON_URL),
      prompt_type: 'image',
    });
    expect(answer.status).toBe(200);
    expect(answer.json.similarity).toEqual([expect.any(Number)]);
  });

  it('an unknown path is 404 {"detail":"Not Found"}', async () => {
    const answer = await post('/clip/embed_everything', { text: 'x' });
    expect(answer).toMatchObject({ status: 404, json: { detail: 'Not Found' } });
  });

  it('another method on a route reaches the older model route of the server: 400 for its missing Content-Type', async () => {
    const response = await fetch(`${server.url}/clip/embed_text`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message: 'Content-Type header not provided with request.' });
  });

  it('a body that is not JSON is 422 json_invalid, at the position and with the message of the json module of Python', async () => {
    const answer = await post('/clip/embed_text', 'this is not json');
    expect(answer.status).toBe(422);
    expect(answer.json).toEqual({
      detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } }],
    });
    const cases: [string, number, string][] = [
      ['{"text": "a cat",', 17, 'Expecting property name enclosed in double quotes'],
      ['{"text" "a"}', 8, "Expecting ':' delimiter"],
      ['{"text": "a" "b"}', 13, "Expecting ',' delimiter"],
      ['{"text": ["a",]}', 14, 'Expecting value'],
      ['{"text": "a"} x', 14, 'Extra data'],
      ['{"text": "ab', 9, 'Unterminated string starting at'],
      ['{"text": "a\\qb"}', 11, 'Invalid \\escape'],
      // Python counts code points: each emoji is one, not two UTF-16 units.
      ['{"text": "😀😀", x}', 15, 'Expecting property name enclosed in double quotes'],
    ];
    for (const [body, position, error] of cases) {
      const { json } = await post('/clip/embed_text', body);
      expect(json.detail[0], body).toMatchObject({ type: 'json_invalid', loc: ['body', position], ctx: { error } });
    }
  });

  it('NaN and Infinity are JSON to the server, as to Python', async () => {
    const answer = await post('/clip/embed_text', '{"text": NaN}');
    expect(answer.json.detail).toEqual([expect.objectContaining({ type: 'list_type', input: null }), expect.objectContaining({ type: 'string_type' })]);
  });

  it('a body sent with a non-JSON content type is 422, as FastAPI does not parse it', async () => {
    const answer = await post('/clip/embed_text', '{"text":"a"}', { 'content-type': 'text/plain' });
    expect(answer.status).toBe(422);
    expect(answer.json.detail).toEqual([expect.objectContaining({ type: 'model_attributes_type', loc: ['body'], input: '{"text":"a"}' })]);
  });

  it('a missing required field is 422 missing, echoing the whole body including api_key', async () => {
    const body = { texts: ['oops'], api_key: 'secret-key' };
    const answer = await post('/clip/embed_text', body);
    expect(answer.status).toBe(422);
    expect(answer.json).toEqual({ detail: [{ type: 'missing', loc: ['body', 'text'], msg: 'Field required', input: body }] });
    const compare = await post('/clip/compare', { subject: 'x' });
    expect(compare.json.detail).toEqual([expect.objectContaining({ type: 'missing', loc: ['body', 'prompt'] })]);
  });

  it('wrong field types are 422 with FastAPI-style items', async () => {
    const text = await post('/clip/embed_text', { text: 5 });
    expect(text.status).toBe(422);
    expect(text.json.detail).toEqual([
      { type: 'list_type', loc: ['body', 'text', 'list[str]'], msg: 'Input should be a valid list', input: 5 },
      { type: 'string_type', loc: ['body', 'text', 'str'], msg: 'Input should be a valid string', input: 5 },
    ]);
    const compare = await post('/clip/compare', { subject: 'x', subject_type: 5, prompt: 'y', clip_version_id: 16 });
    expect(compare.status).toBe(422);
    expect(compare.json.detail.map((item: { loc: unknown[] }) => item.loc)).toEqual([['body', 'clip_version_id'], ['body', 'subject_type']]);
    const image = await post('/clip/embed_image', { image: [{ value: 'https://example.com/a.jpg' }] });
    expect(image.json.detail[0]).toMatchObject({ type: 'missing', loc: ['body', 'image', 'list[InferenceRequestImage]', 0, 'type'] });
  });

  it('subject_type and prompt_type are free strings: a value other than image or text fails late, with 500', async () => {
    const subject = base64('a raccoon');
    expect(await post('/clip/compare', { subject, subject_type: 'video', prompt: 'a' })).toMatchObject({ status: 500, json: INTERNAL_ERROR });
    expect(await post('/clip/compare', { subject, prompt: 'a', prompt_type: 'Text' })).toMatchObject({ status: 500, json: INTERNAL_ERROR });
  });

  it('an unknown clip_version_id is 404 from the model registry, naming the model in x-model-id', async () => {
    const answer = await post('/clip/embed_text', { text: 'a', clip_version_id: 'ViT-H-14' });
    expect(answer.status).toBe(404);
    expect(answer.json.message).toMatch(/^Requested Roboflow resource not found/);
    expect(answer.headers.get('x-model-id')).toBe('clip/ViT-H-14');
  });

  it('base64 of bytes that are no image is 400 Malformed base64 input image.', async () => {
    const malformed = { status: 400, json: { message: 'Could not load input image. Cause: Malformed base64 input image.' } };
    expect(await post('/clip/embed_image', { image: { type: 'base64', value: btoa('plain text, no picture') } })).toMatchObject(malformed);
    expect(await post('/clip/embed_image', { image: { type: 'base64', value: btoa('\xff\xd8\xff\xd9') } })).toMatchObject(malformed);
    const jpegHeaderOnly = await post('/clip/embed_image', { image: { type: 'base64', value: btoa('\xff\xd8\xff\xe0\x00\x10JFIF\x00') } });
    expect(jpegHeaderOnly).toMatchObject(malformed);
  });

  it('base64 of JPEG, PNG, GIF, BMP, WebP and TIFF headers is an image', async () => {
    const bytes = (...values: (number | string)[]) =>
      btoa(values.map((v) => (typeof v === 'string' ? v : String.fromCharCode(v))).join(''));
    const le16 = (n: number) => String.fromCharCode(n & 0xff, n >> 8);
    const images = {
      jpeg: bytes(0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 0, 48, 0, 64, 3, '\x01\x22\x00\x02\x11\x01\x03\x11\x01'),
      gif: bytes('GIF89a', le16(64), le16(48), 0, 0, 0),
      bmp: bytes('BM', '\0'.repeat(16), le16(64), '\0\0', le16(48), '\0\0', '\0'.repeat(8)),
      webp: bytes('RIFF', '\0\0\0\0', 'WEBPVP8X', '\x0a\0\0\0', '\0\0\0\0', '\x3f\0\0\x2f\0\0'),
      tiff: bytes('II*\0', '\x08\0\0\0', le16(2), le16(256), le16(3), '\x01\0\0\0', le16(64), '\0\0', le16(257), le16(3), '\x01\0\0\0', le16(48), '\0\0'),
      png: Buffer.from(mockPng('x')).toString('base64'),
    };
    for (const [format, value] of Object.entries(images)) {
      const answer = await post('/clip/embed_image', { image: { type: 'base64', value } });
      expect(answer.status, format).toBe(200);
    }
  });

  it('base64 may carry whitespace and line breaks; the image type is matched case-insensitively', async () => {
    const value = base64('a raccoon').value;
    const wrapped = value.replace(/.{1,76}/g, '$&\n');
    const plain = await post('/clip/embed_image', { image: { type: 'base64', value } });
    const upper = await post('/clip/embed_image', { image: { type: 'BASE64', value: wrapped } });
    expect(upper.status).toBe(200);
    expect(upper.json.embeddings).toEqual(plain.json.embeddings);
  });

  it('a bare string as an image subject is base64 if it decodes to an image, else refused as NumPy input (400)', async () => {
    const image = await post('/clip/compare', { subject: base64('a raccoon').value, prompt: ['a raccoon'] });
    expect(image.status).toBe(200);
    const text = await post('/clip/compare', { subject: 'a red square', prompt: ['a cat'] });
    expect(text).toMatchObject({
      status: 400,
      json: { message: 'Could not load input image. Cause: NumPy image type is not supported in this configuration of `inference`.' },
    });
  });

  it('malformed or empty base64 is 400 Could not load input image', async () => {
    const malformed = await post('/clip/embed_image', { image: { type: 'base64', value: 'not base64!' } });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ message: 'Could not load input image. Cause: Malformed base64 input image.' });
    expect(malformed.json.help_url).toMatch(/^https:\/\/inference\.roboflow\.com/);
    const empty = await post('/clip/embed_image', { image: { type: 'base64', value: '' } });
    expect(empty).toMatchObject({ status: 400, json: { message: 'Could not load input image. Cause: Empty image payload.' } });
  });

  it('a data:image/...;base64, prefix is stripped', async () => {
    const plain = await post('/clip/embed_image', { image: base64('a raccoon') });
    const prefixed = await post('/clip/embed_image', { image: { type: 'base64', value: `data:image/jpeg;base64,${base64('a raccoon').value}` } });
    expect(prefixed.status).toBe(200);
    expect(prefixed.json.embeddings).toEqual(plain.json.embeddings);
  });

  it('an image url must be https with a real domain name (no IP literal, no localhost)', async () => {
    const cases = {
      'http://example.com/a.jpg': 'non https:// URL',
      'https://127.0.0.1/a.jpg': 'without FQDN',
      'https://[::1]/a.jpg': 'without FQDN',
      'https://localhost/a.jpg': 'without FQDN',
      'https:// bad url': 'Provided image URL is invalid',
    };
    for (const [value, cause] of Object.entries(cases)) {
      const answer = await post('/clip/embed_image', { image: url(value) });
      expect(answer.status, value).toBe(400);
      expect(answer.json.message, value).toContain('Could not load input image. Cause: ');
      expect(answer.json.message, value).toContain(cause);
    }
  });

  it('image types other than url/base64 fail: file, pil and multipart 500, numpy 400, an unknown type 400', async () => {
    for (const type of ['file', 'pil', 'multipart']) {
      const answer = await post('/clip/embed_image', { image: { type, value: '/etc/hostname' } });
      expect(answer, type).toMatchObject({ status: 500, json: INTERNAL_ERROR });
    }
    const numpy = await post('/clip/embed_image', { image: { type: 'numpy', value: 'x' } });
    expect(numpy.json.message).toBe('Could not load input image. Cause: NumPy image type is not supported in this configuration of `inference`.');
    const unknown = await post('/clip/embed_image', { image: { type: 'jpeg', value: base64('a raccoon').value } });
    expect(unknown).toMatchObject({ status: 400, json: { message: 'Could not load input image. Cause: Image declaration contains not recognised image type.' } });
  });

  it('more than 8 images is 500 Internal error.', async () => {
    const images = (n: number) => Array.from({ length: n }, (_, i) => url(`https://example.com/${i}.jpg`));
    expect((await post('/clip/embed_image', { image: images(8) })).status).toBe(200);
    expect(await post('/clip/embed_image', { image: images(9) })).toMatchObject({ status: 500, json: INTERNAL_ERROR });
  });

  it('more than 8 prompts is 500 Internal error., name maps included', async () => {
    const prompts = (n: number) => Array.from({ length: n }, (_, i) => `prompt ${i}`);
    const subject = url(RACCOON_URL);
    expect((await post('/clip/compare', { subject, prompt: prompts(8) })).status).toBe(200);
    expect(await post('/clip/compare', { subject, prompt: prompts(9) })).toMatchObject({ status: 500, json: INTERNAL_ERROR });
    const nameMap = Object.fromEntries(prompts(9).map((p, i) => [`k${i}`, p]));
    expect(await post('/clip/compare', { subject, prompt: nameMap })).toMatchObject({ status: 500, json: INTERNAL_ERROR });
  });

  it('a text of more CLIP pieces than its 77-token context holds (75 besides start and end) is 500 Internal error.', async () => {
    const words = (n: number) => Array.from({ length: n }, () => 'word').join(' ');
    expect((await post('/clip/embed_text', { text: words(75) })).status).toBe(200);
    expect(await post('/clip/embed_text', { text: ['short', words(76)] })).toMatchObject({ status: 500, json: INTERNAL_ERROR });
    // "word7" is two pieces and "word42" three: single digits are pieces of their own.
    expect((await post('/clip/embed_text', { text: Array.from({ length: 37 }, (_, i) => `w${i % 10}`).join(' ') })).status).toBe(200);
    expect(await post('/clip/embed_text', { text: Array.from({ length: 26 }, (_, i) => `w${i + 10}`).join(' ') })).toMatchObject({ status: 500 });
  });

  it('any key, or none, is accepted when the server has no apiKey', async () => {
    expect((await post('/clip/embed_text', { text: 'a' })).status).toBe(200);
    expect((await post('/clip/embed_text?api_key=anything', { text: 'a' })).status).toBe(200);
    expect((await post('/clip/embed_text', { text: 'a' }, { authorization: 'Bearer whatever' })).status).toBe(200);
  });

  it('requests are recorded with method, path, query, headers and parsed body', async () => {
    const before = server.requests.length;
    await post('/clip/embed_text?api_key=k1&x=y', { text: 'recorded' }, { 'x-test': 'yes' });
    await post('/clip/embed_text', 'raw text');
    const [json, raw] = server.requests.slice(before);
    expect(json).toMatchObject({
      method: 'POST',
      path: '/clip/embed_text',
      query: { api_key: 'k1', x: 'y' },
      body: { text: 'recorded' },
      rawBody: '{"text":"recorded"}',
    });
    expect(json!.headers['x-test']).toBe('yes');
    expect(json!.headers['content-type']).toBe('application/json');
    expect(raw).toMatchObject({ body: 'raw text', rawBody: 'raw text' });
  });
});

describe('mock server with an API key', () => {
  let server: MockServer;
  const UNAUTHORIZED = { status: 401, json: { message: expect.stringContaining('Unauthorized access to roboflow API') } };
  const embed = (path: string, body: Record<string, unknown> = {}, headers?: Record<string, string>) =>
    call(server, path, { body: { text: 'a', ...body }, headers });

  beforeAll(async () => {
    server = await startMockServer({ apiKey: 'right' });
  });
  afterAll(() => server.close());

  it('a missing key is 401 with a help_url', async () => {
    const answer = await embed('/clip/embed_text');
    expect(answer).toMatchObject(UNAUTHORIZED);
    expect(answer.json.help_url).toBe('https://docs.roboflow.com/api-reference/authentication#retrieve-an-api-key');
  });

  it('a wrong key is 401 in each channel: query, Bearer header, body', async () => {
    expect(await embed('/clip/embed_text?api_key=wrong')).toMatchObject(UNAUTHORIZED);
    expect(await embed('/clip/embed_text', {}, { authorization: 'Bearer wrong' })).toMatchObject(UNAUTHORIZED);
    expect(await embed('/clip/embed_text', { api_key: 'wrong' })).toMatchObject(UNAUTHORIZED);
  });

  it('the right key is accepted in each channel: query, Bearer header, body', async () => {
    expect((await embed('/clip/embed_text?api_key=right')).status).toBe(200);
    expect((await embed('/clip/embed_text', {}, { authorization: 'Bearer right' })).status).toBe(200);
    expect((await embed('/clip/embed_text', { api_key: 'right' })).status).toBe(200);
  });

  it('the query key wins over the header, and the header over the body', async () => {
    expect(await embed('/clip/embed_text?api_key=wrong', { api_key: 'right' }, { authorization: 'Bearer right' })).toMatchObject(UNAUTHORIZED);
    expect(await embed('/clip/embed_text', { api_key: 'right' }, { authorization: 'Bearer wrong' })).toMatchObject(UNAUTHORIZED);
    expect((await embed('/clip/embed_text?api_key=right', { api_key: 'wrong' }, { authorization: 'Bearer wrong' })).status).toBe(200);
  });
});

describe('mock server options', () => {
  it('recordRequests: false keeps no requests', async () => {
    const server = await startMockServer({ recordRequests: false });
    await call(server, '/clip/embed_text', { body: { text: 'a' } });
    expect(server.requests).toEqual([]);
    await server.close();
  });

  it('latencyMs delays each response', async () => {
    const server = await startMockServer({ latencyMs: 150 });
    const started = performance.now();
    const answer = await call(server, '/clip/embed_text', { body: { text: 'a' } });
    expect(answer.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    await server.close();
  });

  it('faults answer a share of requests with a 503 and Retry-After or a reset, the same sequence for the same seed', async () => {
    /** What each of 120 sequential requests got: a status, or 'reset'. */
    async function outcomes(seed: number): Promise<{ seen: (number | string)[]; server: MockServer }> {
      const server = await startMockServer({ recordRequests: false, faults: { rate: 0.25, seed, retryAfter: 0 } });
      const seen: (number | string)[] = [];
      for (let i = 0; i < 120; i++) {
        const answer = await call(server, '/clip/embed_text', { body: { text: `call ${i}` } }).catch(() => undefined);
        if (answer?.status === 503) {
          expect(answer.headers.get('retry-after')).toBe('0');
          expect(answer.json).toEqual({ message: 'Model is temporarily not ready - retry request.' });
        }
        seen.push(answer?.status ?? 'reset');
      }
      await server.close();
      return { seen, server };
    }
    const first = await outcomes(7);
    const count = (what: number | string) => first.seen.filter((x) => x === what).length;
    expect(first.server.stats).toEqual({ requests: 120, faults: { '503': count(503), reset: count('reset') } });
    expect(count(503) + count('reset')).toBeGreaterThan(12);
    expect(count(503) + count('reset')).toBeLessThan(50);
    expect(count(503)).toBeGreaterThan(0);
    expect(count('reset')).toBeGreaterThan(0);
    expect(count(200)).toBe(120 - count(503) - count('reset'));
    expect((await outcomes(7)).seen).toEqual(first.seen);
    expect((await outcomes(8)).seen).not.toEqual(first.seen);
  });

  it('faults send Retry-After: 1 by default, as Roboflow does while a model loads', async () => {
    const server = await startMockServer({ faults: { rate: 1, kinds: ['503'] } });
    const answer = await call(server, '/clip/embed_text', { body: { text: 'a' } });
    await server.close();
    expect([answer.status, answer.headers.get('retry-after')]).toEqual([503, '1']);
    expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(server.requests).toHaveLength(1);
  });

  it('close() ends idle keep-alive connections at once', async () => {
    const server = await startMockServer();
    await call(server, '/clip/embed_text', { body: { text: 'a' } });
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('clipHandlers (msw)', () => {
  const msw = setupServer(...clipHandlers({ baseUrl: 'https://clip.test.example.com/proxy', apiKey: 'right' }));
  beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => msw.close());

  it('clipHandlers answers globalThis.fetch through msw setupServer, like the server', async () => {
    const response = await fetch('https://clip.test.example.com/proxy/clip/embed_text?api_key=right', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'a cute raccoon' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-inference-engine')).toBe('roboflow-clip-mock');
    expect((await response.json()).embeddings).toEqual([mockTextEmbedding('a cute raccoon')]);
    const denied = await fetch('https://clip.test.example.com/proxy/clip/embed_text', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"text":"a"}',
    });
    expect(denied.status).toBe(401);
    const unknown = await fetch('https://clip.test.example.com/proxy/other', { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(404);
  });
});
