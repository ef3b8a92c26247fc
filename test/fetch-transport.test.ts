import { inspect } from 'node:util';
import { setupServer } from 'msw/node';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClipAbortError,
  ClipApiError,
  ClipClient,
  ClipConnectionError,
  ClipResponseError,
  ClipTimeoutError,
  ClipValidationError,
  type ClipClientOptions,
  type FetchFunction,
} from '../src/index.js';
import { clipHandlers } from '../src/testing/msw.js';
import { createTransport as createEdgeTransport } from '../src/transport/default.edge.js';
import { AttemptTimeout } from '../src/transport/failures.js';
import { FetchTransport } from '../src/transport/fetch.js';
import { refusedPort, reply, startStub, useStub } from './helpers/http.js';
import { useMockClient } from './helpers/mock-client.js';

const KEY = 'CANARY-FETCH-KEY-91c2';
const IMAGE = 'https://example.com/raccoon.jpg';

/** The runtime's own fetch, wrapped so that it is looked up when called (as msw replaces the global). */
const globalFetch: FetchFunction = (url, init) => fetch(url, init);

const ctx = useMockClient({ apiKey: KEY, client: { fetch: globalFetch } });
const stub = useStub();
const client = (options?: ClipClientOptions) => ctx.client(options);
const stubClient = (options: ClipClientOptions = {}) => client({ baseUrl: stub.url, ...options });

async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => expect.fail('the call resolved'),
    (error: unknown) => error,
  );
}

describe('fetch transport over a real socket', () => {
  it('answers all three routes from the mock server, sending the same request as undici', async () => {
    const text = await client().embedText({ text: ['a cat', 'a dog'] });
    const image = await client().embedImage({ image: [IMAGE, IMAGE] });
    const compared = await client().compare({ subject: IMAGE, prompt: { raccoon: 'a raccoon', dog: 'a dog' } });
    expect(text.embeddings).toHaveLength(2);
    expect(image.embeddings[0]).toHaveLength(512);
    expect(Object.keys(compared.similarity)).toEqual(['raccoon', 'dog']);
    expect(compared.meta.headers['x-model-id']).toBe('clip/ViT-B-16');

    const viaFetch = ctx.mock.requests.at(-1)!;
    const undici = new ClipClient({ baseUrl: ctx.mock.url, apiKey: KEY });
    await undici.compare({ subject: IMAGE, prompt: { raccoon: 'a raccoon', dog: 'a dog' } }).finally(() => undici.close());
    const viaUndici = ctx.mock.requests.at(-1)!;
    expect(viaFetch.rawBody).toBe(viaUndici.rawBody);
    expect(viaFetch.query).toEqual(viaUndici.query);
    for (const name of ['content-type', 'accept', 'user-agent']) expect(viaFetch.headers[name]).toBe(viaUndici.headers[name]);
  });

  it('accepts undici’s own fetch as well as the global one', async () => {
    const result = await client({ fetch: undiciFetch }).embedText({ text: 'a cat' });
    expect(result.embeddings).toHaveLength(1);
  });

  it('reports an API error with status and parsed body', async () => {
    const error = await rejection(client({ apiKey: 'wrong-key' }).embedText({ text: 'a cat' }));
    expect(error).toBeInstanceOf(ClipApiError);
    expect((error as ClipApiError).status).toBe(401);
  });

  it('retries a 503 and then succeeds', async () => {
    let calls = 0;
    stub.answer = (_req, res) => (++calls === 1 ? reply(503, { message: 'busy' }, { 'retry-after': '0' }) : reply(200, { embeddings: [[0.5, 0.5]] }))(_req, res);
    const result = await stubClient({ maxRetries: 1 }).embedText({ text: 'a cat' });
    expect(result.embeddings).toEqual([[0.5, 0.5]]);
    expect(stub.requests).toHaveLength(2);
  });

  it('raises ClipConnectionError on a refused port, with the socket error as cause', async () => {
    const port = await refusedPort();
    const error = await rejection(client({ baseUrl: `http://127.0.0.1:${port}` }).embedText({ text: 'a cat' }));
    expect(error).toBeInstanceOf(ClipConnectionError);
    expect((error as ClipConnectionError).message).toContain('connection refused');
    expect(((error as ClipConnectionError).cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('raises ClipConnectionError when the server resets the connection', async () => {
    stub.answer = (_req, res) => res.socket?.destroy();
    const error = await rejection(stubClient().embedText({ text: 'a cat' }));
    expect(error).toBeInstanceOf(ClipConnectionError);
  });

  it('gives a reset before any response header one free retry, as the undici transport does', async () => {
    stub.answer = (_req, res) => res.socket?.destroy();
    const error = await rejection(stubClient({ maxRetries: 0 }).embedText({ text: 'a cat' }));
    expect(error).toBeInstanceOf(ClipConnectionError);
    expect((error as ClipConnectionError).code).toBeDefined();
    expect((error as ClipConnectionError).beforeResponse).toBe(true);
    expect(stub.requests).toHaveLength(2);
  });

  it('raises ClipTimeoutError when the response never arrives', async () => {
    const error = await rejection(stubClient({ timeoutMs: 150 }).embedText({ text: 'a cat' }));
    expect(error).toBeInstanceOf(ClipTimeoutError);
  });

  it('raises ClipTimeoutError when the body stops halfway', async () => {
    stub.answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"embeddings": [[0.1,');
    };
    const error = await rejection(stubClient({ timeoutMs: 150 }).embedText({ text: 'a cat' }));
    expect(error).toBeInstanceOf(ClipTimeoutError);
  });

  it('raises ClipAbortError when the caller aborts, with the reason as cause', async () => {
    const reason = new Error('user left');
    const controller = new AbortController();
    const call = stubClient().embedText({ text: 'a cat' }, { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 50);
    const error = await rejection(call);
    expect(error).toBeInstanceOf(ClipAbortError);
    expect((error as ClipAbortError).cause).toBe(reason);
  });

  it('does not follow a redirect, so the key in the query never reaches another host', async () => {
    const elsewhere = await startStub(reply(200, { embeddings: [[1]] }));
    stub.answer = reply(307, '', { location: `${elsewhere.url}/clip/embed_text` });
    const error = await rejection(stubClient().embedText({ text: 'a cat' }));
    await elsewhere.close();
    expect(error).toBeInstanceOf(ClipApiError);
    expect((error as ClipApiError).status).toBe(307);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('keeps the key out of a connection error, its cause and its inspection', async () => {
    const port = await refusedPort();
    const error = await rejection(client({ baseUrl: `http://127.0.0.1:${port}` }).embedText({ text: 'a cat' }));
    expect(inspect(error, { depth: 10 })).not.toContain(KEY);
    expect(JSON.stringify(error)).not.toContain(KEY);
  });

  it('refuses a dispatcher together with a fetch, before sending', () => {
    const dispatcher = new Agent();
    expect(() => new ClipClient({ fetch: globalFetch, dispatcher })).toThrow(ClipValidationError);
    return dispatcher.close();
  });

  it('refuses a dispatcher in the edge build, which has no undici', () => {
    const dispatcher = new Agent();
    expect(() => createEdgeTransport({ dispatcher }, [])).toThrow(/needs the Node build/);
    return dispatcher.close();
  });
});

describe('FetchTransport maxResponseBytes', () => {
  const send = (limit: number) =>
    new FetchTransport(globalFetch).send({
      origin: stub.url,
      path: '/clip/embed_text',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      timeoutMs: 10_000,
      maxResponseBytes: limit,
    });

  it('cuts off a body whose Content-Length exceeds the limit', async () => {
    stub.answer = reply(200, 'x'.repeat(1_000));
    const error = await rejection(send(100));
    expect(error).toBeInstanceOf(ClipResponseError);
    expect((error as ClipResponseError).message).toContain('maxResponseBytes (100 bytes)');
  });

  it('cuts off a chunked body once the bytes read exceed the limit', async () => {
    stub.answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x'.repeat(600));
      setTimeout(() => res.end('y'.repeat(600)), 20);
    };
    const error = await rejection(send(1_000));
    expect(error).toBeInstanceOf(ClipResponseError);
  });

  it('closes the connection of a body it cut off, instead of leaving it open', async () => {
    const closed: Promise<void>[] = [];
    stub.answer = (_req, res) => {
      closed.push(new Promise((resolve) => res.on('close', resolve)));
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x'.repeat(1_200));
    };
    expect(await rejection(send(1_000))).toBeInstanceOf(ClipResponseError);
    expect(closed).toHaveLength(1);
    await closed[0];
  });

  it('decodes a multi-byte UTF-8 body split across chunks', async () => {
    stub.answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      const bytes = Buffer.from('ab€cd', 'utf8');
      res.write(bytes.subarray(0, 3));
      setTimeout(() => res.end(bytes.subarray(3)), 20);
    };
    const response = await send(1_000);
    expect(response.body).toBe('ab€cd');
  });
});

describe('FetchTransport timeoutMs', () => {
  it('rejects with AttemptTimeout once timeoutMs passes, and the server sees the connection closed', async () => {
    const closed: Promise<void>[] = [];
    stub.answer = (_req, res) => closed.push(new Promise((resolve) => res.on('close', resolve)));
    const started = performance.now();
    const sent = new FetchTransport(globalFetch).send({
      origin: stub.url,
      path: '/clip/embed_text',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      timeoutMs: 150,
      maxResponseBytes: 1_000,
    });
    expect(await rejection(sent)).toBeInstanceOf(AttemptTimeout);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect(closed).toHaveLength(1);
    await closed[0];
  });
});

describe('msw setupServer with the fetch transport', () => {
  // A refused loopback port: a request msw failed to catch errors here instead of leaving the machine.
  let baseUrl: string;
  const server = setupServer();
  // Made before msw patches fetch: it must still go through msw.
  const edgeTransport = createEdgeTransport({}, []);
  beforeAll(async () => {
    baseUrl = `http://127.0.0.1:${await refusedPort()}`;
    server.use(...clipHandlers({ baseUrl, apiKey: KEY }));
    server.listen({ onUnhandledRequest: 'error' });
  });
  afterAll(() => server.close());

  it('answers every route from clipHandlers without a server', async () => {
    const clip = client({ baseUrl });
    const text = await clip.embedText({ text: 'a cat' });
    const image = await clip.embedImage({ image: IMAGE });
    const compared = await clip.compare({ subject: IMAGE, prompt: ['a raccoon', 'a dog'] });
    expect(text.embeddings[0]).toHaveLength(512);
    expect(image.embeddings).toHaveLength(1);
    expect(compared.similarity).toHaveLength(2);
  });

  it('sees the request the SDK built, key included', async () => {
    const seen: Request[] = [];
    const onRequest = ({ request }: { request: Request }) => void seen.push(request.clone());
    server.events.on('request:start', onRequest);
    await client({ baseUrl }).embedText({ text: 'a cat' });
    server.events.removeListener('request:start', onRequest);
    expect(seen).toHaveLength(1);
    expect(new URL(seen[0]!.url).searchParams.get('api_key')).toBe(KEY);
    expect(await seen[0]!.json()).toEqual({ text: 'a cat' });
  });

  it('answers the server’s 401 for a wrong key as ClipApiError', async () => {
    const error = await rejection(client({ baseUrl, apiKey: 'wrong' }).embedText({ text: 'a cat' }));
    expect(error).toBeInstanceOf(ClipApiError);
    expect((error as ClipApiError).status).toBe(401);
  });

  it('is not seen by msw on the undici transport, which does not go through fetch', async () => {
    const error = await rejection(client({ baseUrl, fetch: undefined }).embedText({ text: 'a cat' }));
    expect(error).toBeInstanceOf(ClipConnectionError);
  });

  it('is seen through the edge build’s default, which looks globalThis.fetch up at each call', async () => {
    const response = await edgeTransport.send({
      origin: baseUrl,
      path: `/clip/embed_text?api_key=${KEY}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'a cat' }),
      timeoutMs: 10_000,
      maxResponseBytes: Number.POSITIVE_INFINITY,
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).embeddings).toHaveLength(1);
  });
});
