import { describe, expect, it } from 'vitest';
import {
  ClipAbortError,
  ClipApiError,
  ClipConnectionError,
  ClipError,
  ClipResponseError,
  ClipServerError,
  ClipTimeoutError,
  type ClipClientOptions,
} from '../src/index.js';
import { refusedPort, reply, useStub, type StubHandler } from './helpers/http.js';
import { useMockClient } from './helpers/mock-client.js';

const ctx = useMockClient();
const stub = useStub();
const client = (options?: ClipClientOptions) => ctx.client(options);
const stubClient = (options: ClipClientOptions = {}) => client({ baseUrl: stub.url, ...options });

/** The rejection of a call that must fail, checked to be a ClipError of this class. */
async function failure<E extends ClipError>(call: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  const error = await call.then(
    () => expect.fail('the call resolved'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  expect(error).toBeInstanceOf(ClipError);
  expect((error as E).name).toBe(type.name);
  return error as E;
}

describe('ClipApiError', () => {
  it('makes a 422 readable from its detail items, keeping the parsed body and headers', async () => {
    const body = {
      detail: [
        { type: 'missing', loc: ['body', 'text'], msg: 'Field required', input: {} },
        { type: 'literal_error', loc: ['body', 'clip_version_id'], msg: "Input should be 'RN50' or 'ViT-B-16'", input: 'x' },
      ],
    };
    stub.answer = reply(422, body, { 'x-request-id': 'req-42' });
    const error = await failure(stubClient().embedText({ text: 'a cat' }), ClipApiError);
    expect(error.status).toBe(422);
    expect(error.message).toContain('text: Field required');
    expect(error.message).toContain("clip_version_id: Input should be 'RN50' or 'ViT-B-16'");
    expect(error.message).not.toContain('[object Object]');
    expect(error.body).toEqual(body);
    expect(error.headers['x-request-id']).toBe('req-42');
  });

  it("reports the server's 400 for an image it cannot load, with helpUrl from help_url", async () => {
    const error = await failure(client().embedImage({ image: 'https://127.0.0.1/x.jpg' }), ClipApiError);
    expect(error.status).toBe(400);
    expect(error.message).toContain('Could not load input image');
    expect(error.helpUrl).toBe((error.body as { help_url: string }).help_url);
    expect(error.helpUrl).toMatch(/^https:\/\//);
  });

  it('reports a 500 with its message, without retrying it', async () => {
    stub.answer = reply(500, { message: 'Internal error.' });
    const error = await failure(stubClient({ maxRetries: 2 }).embedText({ text: 'a cat' }), ClipServerError);
    expect(error.status).toBe(500);
    expect(error.message).toContain('Internal error.');
    expect(error.helpUrl).toBeUndefined();
    expect(stub.requests).toHaveLength(1);
  });

  it('keeps a non-JSON error body as text', async () => {
    stub.answer = reply(502, 'upstream connect error or disconnect/reset before headers');
    const error = await failure(stubClient().embedText({ text: 'a cat' }), ClipServerError);
    expect(error.status).toBe(502);
    expect(error.body).toBe('upstream connect error or disconnect/reset before headers');
    expect(error.message).toContain('upstream connect error');
  });
});

describe('ClipConnectionError', () => {
  it('is raised on a refused port, with the cause kept', async () => {
    const port = await refusedPort();
    const error = await failure(client({ baseUrl: `http://127.0.0.1:${port}` }).embedText({ text: 'a cat' }), ClipConnectionError);
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('is raised when the server resets every connection, with the cause kept', async () => {
    stub.answer = (_req, res) => res.socket?.destroy();
    const error = await failure(stubClient().embedText({ text: 'a cat' }), ClipConnectionError);
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.code).toBe('UND_ERR_SOCKET');
    // A reset before the response headers gets its one stale-socket retry even with maxRetries: 0.
    expect(stub.requests).toHaveLength(2);
  });
});

describe('ClipTimeoutError', () => {
  it('is raised when the response headers never arrive', async () => {
    const started = performance.now();
    const error = await failure(stubClient({ timeoutMs: 200 }).embedText({ text: 'a cat' }), ClipTimeoutError);
    expect(error.message).toContain('200 ms');
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('ClipAbortError', () => {
  it('is raised when the signal aborts mid-request, with the cause kept', async () => {
    const reason = new Error('user navigated away');
    const controller = new AbortController();
    const call = stubClient().embedText({ text: 'a cat' }, { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 50);
    const error = await failure(call, ClipAbortError);
    expect(error.cause).toBe(reason);
    expect(stub.requests).toHaveLength(1);
  });

  it('is raised when the signal is already aborted before the call, with the cause kept and nothing sent', async () => {
    const reason = new Error('cancelled early');
    const error = await failure(stubClient().embedText({ text: 'a cat' }, { signal: AbortSignal.abort(reason) }), ClipAbortError);
    expect(error.cause).toBe(reason);
    expect(stub.requests).toHaveLength(0);
  });
});

describe('ClipResponseError', () => {
  const images = ['https://example.com/a.jpg', 'https://example.com/b.jpg', 'https://example.com/c.jpg'];
  const ok = (body: unknown): StubHandler => reply(200, body);

  it('is raised for a 200 that is not JSON, keeping the text', async () => {
    stub.answer = reply(200, '<html>Service Unavailable</html>');
    const error = await failure(stubClient().embedText({ text: 'a cat' }), ClipResponseError);
    expect(error.status).toBe(200);
    expect(error.body).toBe('<html>Service Unavailable</html>');
    expect(error.message).toContain('not JSON');
  });

  it('is raised when the server returns fewer embeddings than images, with imageBatching "always"', async () => {
    stub.answer = ok({ embeddings: [[0.1, 0.2], [0.3, 0.4]] });
    const error = await failure(stubClient({ imageBatching: 'always' }).embedImage({ image: images }), ClipResponseError);
    expect(error.message).toMatch(/2 embedding\(s\) for 3 input/);
    expect(error.body).toEqual({ embeddings: [[0.1, 0.2], [0.3, 0.4]] });
  });

  it('is raised when the vectors differ in length', async () => {
    stub.answer = ok({ embeddings: [[0.1, 0.2], [0.3, 0.4, 0.5]] });
    const error = await failure(stubClient().embedText({ text: ['a cat', 'a dog'] }), ClipResponseError);
    expect(error.message).toMatch(/embedding 1 has length 3/);
  });

  it.each([
    ['a string', '"NaN"'],
    ['null', 'null'],
    ['a nested list', '[0.5]'],
  ])('is raised when a vector holds a non-numeric value (%s)', async (_label, value) => {
    stub.answer = reply(200, `{"embeddings": [[0.1, ${value}, 0.3]]}`, { 'content-type': 'application/json' });
    const error = await failure(stubClient().embedText({ text: 'a cat' }), ClipResponseError);
    expect(error.message).toMatch(/embedding 0\[1\] is not a finite number/);
  });

  it('is raised when the similarity count does not match the prompts', async () => {
    stub.answer = ok({ similarity: [0.3] });
    const error = await failure(stubClient().compare({ subject: images[0]!, prompt: ['a cat', 'a dog'] }), ClipResponseError);
    expect(error.message).toMatch(/1 similarity value\(s\) for 2 prompt/);
  });

  it('is raised when the similarity keys do not match the prompt names', async () => {
    stub.answer = ok({ similarity: { cat: 0.3, horse: 0.1 } });
    const error = await failure(stubClient().compare({ subject: images[0]!, prompt: { cat: 'a cat', dog: 'a dog' } }), ClipResponseError);
    expect(error.message).toMatch(/keys \[cat, horse\].*\[cat, dog\]/);
  });

  it('is raised when a name-map answer comes back as a list', async () => {
    stub.answer = ok({ similarity: [0.3, 0.1] });
    await failure(stubClient().compare({ subject: images[0]!, prompt: { cat: 'a cat', dog: 'a dog' } }), ClipResponseError);
  });
});
