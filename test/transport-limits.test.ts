import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClipAbortError,
  ClipApiError,
  ClipClient,
  ClipError,
  ClipResponseError,
  ClipTimeoutError,
  type ClipClientOptions,
  type FetchFunction,
} from '../src/index.js';
import { startStub, useStub, type StubServer } from './helpers/http.js';

const stub = useStub();
const clients: ClipClient[] = [];
const stubClient = (options: ClipClientOptions = {}) => {
  const made = new ClipClient({ baseUrl: stub.url, apiKey: 'rf_redirected_key_0123', maxRetries: 0, ...options });
  clients.push(made);
  return made;
};
afterAll(() => Promise.all(clients.map((c) => c.close())));

const failure = (call: Promise<unknown>) =>
  call.then(
    () => expect.fail('the call resolved'),
    (error: unknown) => error,
  );

/** A wrapper of the kind people write to add a header: it rebuilds `init` and so drops `signal` and `redirect`. */
const rebuildingFetch: FetchFunction = (url, init) => fetch(url, { method: init.method, headers: { ...init.headers, 'x-tenant': 't1' }, body: init.body });
/** A fetch that never settles, whatever it is given. */
const stuckFetch: FetchFunction = () => new Promise(() => {});

describe('a fetch that ignores its init', () => {
  it.each([
    ['rebuilds init', rebuildingFetch],
    ['never settles', stuckFetch],
  ] as const)('that %s still ends at timeoutMs', async (_name, fetch) => {
    const started = performance.now();
    const error = await failure(stubClient({ fetch, timeoutMs: 100 }).embedText({ text: 'a cat' }));
    expect(error).toBeInstanceOf(ClipTimeoutError);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('still ends at deadlineMs, retries included', async () => {
    const started = performance.now();
    const error = await failure(stubClient({ fetch: stuckFetch, timeoutMs: 60_000, maxRetries: 5 }).embedText({ text: 'a cat' }, { deadlineMs: 150.5 }));
    expect(error).toBeInstanceOf(ClipTimeoutError);
    // The one attempt was cut off at the deadline, not failed at once and retried until it passed.
    expect((error as ClipTimeoutError).message).toBe('Call reached its deadline of 150.5 ms');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('still stops when the caller aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user stopped')), 50);
    const error = await failure(stubClient({ fetch: rebuildingFetch }).embedText({ text: 'a cat' }, { signal: controller.signal }));
    expect(error).toBeInstanceOf(ClipAbortError);
  });

  it('that follows a redirect gets a failed attempt, not the other server’s answer', async () => {
    const other = await startStub((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"embeddings": [[1]]}'));
    try {
      stub.answer = (req, res) => res.writeHead(307, { location: `${other.url}${req.url}` }).end();
      const error = await failure(stubClient({ fetch: rebuildingFetch }).embedText({ text: 'a cat' }));
      expect(error).toBeInstanceOf(ClipResponseError);
      expect((error as Error).message).toMatch(/followed a redirect/);
    } finally {
      await other.close();
    }
  });
});

describe('a redirect answer', () => {
  let other: StubServer;
  beforeAll(async () => {
    other = await startStub((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"embeddings": [[1]]}'));
  });
  afterAll(() => other.close());

  const transports: Record<string, ClipClientOptions> = { undici: {}, fetch: { fetch: (url, init) => fetch(url, init) } };
  describe.each(Object.keys(transports))('with %s', (transport) => {
    it.each([301, 302, 303, 307, 308])('%i is a failed attempt and nothing reaches the other server', async (status) => {
      other.requests.length = 0;
      stub.answer = (req, res) => res.writeHead(status, { location: `${other.url}${req.url}` }).end();
      const error = (await failure(stubClient({ ...transports[transport], maxRetries: 2, backoff: { baseMs: 0 } }).embedText({ text: 'a cat' }))) as ClipApiError;
      expect(error).toBeInstanceOf(ClipApiError);
      expect(error.status).toBe(status);
      expect(error.headers.location).toBe(`${other.url}/clip/embed_text?api_key=***`);
      expect(other.requests).toHaveLength(0);
    });
  });
});

describe("undici's own timers", () => {
  it('never cut an attempt before timeoutMs, even on a dispatcher whose own limits are shorter', async () => {
    const dispatcher = new Agent({ headersTimeout: 50, bodyTimeout: 50 });
    // undici checks its timers about once a second, so the pause must outlast that to be seen.
    stub.answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"embeddings": ');
      setTimeout(() => res.end('[[0.5]]}'), 2_500);
    };
    try {
      const result = await stubClient({ dispatcher, timeoutMs: 10_000 }).embedText({ text: 'a cat' });
      expect(result.embeddings).toEqual([[0.5]]);
    } finally {
      await dispatcher.close();
    }
  });

  it.each(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])('fire as timeouts (%s), which retryOn.timeouts: false does not retry', async (code) => {
    let attempts = 0;
    const timingOut: FetchFunction = async () => {
      attempts++;
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('Timeout Error'), { code }) });
    };
    const error = await failure(stubClient({ fetch: timingOut, maxRetries: 3, retryOn: { timeouts: false } }).embedText({ text: 'a cat' }));
    expect(error).toBeInstanceOf(ClipTimeoutError);
    expect((error as ClipError).message).toContain(code);
    expect(attempts).toBe(1);
  });
});
