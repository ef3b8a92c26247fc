import type { Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ClipAbortError,
  ClipApiError,
  ClipClient,
  ClipConnectionError,
  ClipError,
  ClipResponseError,
  ClipTimeoutError,
  type ClipClientOptions,
  type ClipLogger,
} from '../src/index.js';
import { refusedPort, reply, startStub, type StubHandler, type StubServer } from './helpers/http.js';

const OK = reply(200, { embeddings: [[0.25, -0.5]] });
/** Backoff so small that any wait a test measures comes from the server's Retry-After. */
const TINY_BACKOFF = { baseMs: 2, capMs: 4 };

let stub: StubServer;
/** What the stub answers in the current test; `n` is the request's number, from 1. */
let answer: (n: number) => StubHandler;
/** The socket each request arrived on, in order. */
let sockets: Socket[];
const clients: ClipClient[] = [];

beforeAll(async () => {
  stub = await startStub((req, res) => {
    sockets.push(res.socket as Socket);
    answer(stub.requests.length)(req, res);
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await stub.close();
});
beforeEach(() => {
  stub.requests.length = 0;
  sockets = [];
  answer = () => () => {};
});

function client(options: ClipClientOptions = {}): ClipClient {
  const c = new ClipClient({ baseUrl: stub.url, apiKey: null, backoff: TINY_BACKOFF, ...options });
  clients.push(c);
  return c;
}

/** Every line a client logs. */
function recorder(): ClipLogger & { lines: string[] } {
  const lines: string[] = [];
  const log = (message: string) => void lines.push(message);
  return { lines, debug: log, info: log, warn: log, error: log };
}

/** Runs the call and reports how it ended and how long it took. */
async function timed<T>(call: Promise<T>): Promise<{ result?: T; error?: ClipError; ms: number }> {
  const started = performance.now();
  try {
    const result = await call;
    return { result, ms: performance.now() - started };
  } catch (error) {
    expect(error).toBeInstanceOf(ClipError);
    return { error: error as ClipError, ms: performance.now() - started };
  }
}

/** Lets the pool see the previous call's socket as free again before the next call. */
const idle = () => new Promise((resolve) => setTimeout(resolve, 50));

const embed = (c: ClipClient, options?: Parameters<ClipClient['embedText']>[1]) => c.embedText({ text: 'a cat' }, options);

describe('faults the server answers', () => {
  it('503 with Retry-After: 1, then 200: waits the second the server asked for', async () => {
    answer = (n) => (n === 1 ? reply(503, { message: 'Model is temporarily not ready - retry request.' }, { 'retry-after': '1' }) : OK);
    const { result, ms } = await timed(embed(client()));
    expect(result?.embeddings).toEqual([[0.25, -0.5]]);
    expect(stub.requests).toHaveLength(2);
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(3_000);
  });

  it('429 with an HTTP-date Retry-After, then 200: waits until that date', async () => {
    // The next whole second at least 400 ms away: HTTP dates carry no milliseconds.
    const date = new Date(Math.ceil((Date.now() + 400) / 1000) * 1000).toUTCString();
    answer = (n) => (n === 1 ? reply(429, { message: 'Too many requests' }, { 'retry-after': date }) : OK);
    const { result, ms } = await timed(embed(client()));
    expect(result?.embeddings).toHaveLength(1);
    expect(stub.requests).toHaveLength(2);
    expect(ms).toBeGreaterThanOrEqual(350);
    expect(ms).toBeLessThan(3_000);
  });

  it('Retry-After: 3600 is ignored: the computed backoff is used instead', async () => {
    answer = (n) => (n === 1 ? reply(503, { message: 'busy' }, { 'retry-after': '3600' }) : OK);
    const logger = recorder();
    const { result, ms } = await timed(embed(client({ backoff: { baseMs: 40, capMs: 40 }, logger })));
    expect(result?.embeddings).toHaveLength(1);
    expect(stub.requests).toHaveLength(2);
    const waited = Number(/retrying in (\d+) ms/.exec(logger.lines[0]!)?.[1]);
    expect(waited).toBeGreaterThanOrEqual(0);
    expect(waited).toBeLessThan(40);
    expect(ms).toBeLessThan(1_000);
  });

  it('an HTML 502 page is retried, then reported as ClipApiError with the page as text and the attempts counted', async () => {
    const page = '<html><body><h1>502 Bad Gateway</h1></body></html>';
    answer = () => (_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end(page);
    const { error, ms } = await timed(embed(client({ maxRetries: 2 })));
    expect(error).toBeInstanceOf(ClipApiError);
    expect((error as ClipApiError).status).toBe(502);
    expect((error as ClipApiError).body).toBe(page);
    expect((error as ClipApiError).attempts).toBe(3);
    expect(error?.message).toContain('after 3 attempts');
    expect(stub.requests).toHaveLength(3);
    expect(ms).toBeLessThan(1_000);
  });

  it('truncated JSON in a 200 is a ClipResponseError and is not retried', async () => {
    answer = () => reply(200, '{"embeddings": [[0.25, -0.', { 'content-type': 'application/json' });
    const { error, ms } = await timed(embed(client({ maxRetries: 2 })));
    expect(error).toBeInstanceOf(ClipResponseError);
    expect(error?.message).toContain('not JSON');
    expect((error as ClipResponseError).body).toBe('{"embeddings": [[0.25, -0.');
    expect(stub.requests).toHaveLength(1);
    expect(ms).toBeLessThan(1_000);
  });

  it('an empty 200 body is a ClipResponseError and is not retried', async () => {
    answer = () => (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end();
    const { error, ms } = await timed(embed(client({ maxRetries: 2 })));
    expect(error).toBeInstanceOf(ClipResponseError);
    expect(error?.message).toContain('(empty body)');
    expect(stub.requests).toHaveLength(1);
    expect(ms).toBeLessThan(1_000);
  });
});

describe('faults of the connection', () => {
  it('a connection reset before the headers is retried, even with maxRetries 0', async () => {
    answer = (n) => (n === 1 ? (_req, res) => res.socket?.destroy() : OK);
    const { result, ms } = await timed(embed(client({ maxRetries: 0 })));
    expect(result?.embeddings).toHaveLength(1);
    expect(stub.requests).toHaveLength(2);
    expect(ms).toBeLessThan(1_000);
  });

  it('a reset mid-body is retried as a connection error; the final error keeps its cause and attempts', async () => {
    answer = () => (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"embeddings": [[0.25,', () => res.socket?.destroy());
    };
    const { error, ms } = await timed(embed(client({ maxRetries: 1 })));
    expect(error).toBeInstanceOf(ClipConnectionError);
    expect((error as ClipConnectionError).attempts).toBe(2);
    expect((error as ClipConnectionError).beforeResponse).toBe(false);
    expect(error?.cause).toBeInstanceOf(Error);
    expect(stub.requests).toHaveLength(2);
    expect(ms).toBeLessThan(1_000);
  });

  it('a reset mid-body gets no free retry: the stale-socket rule covers resets before the headers only', async () => {
    answer = () => (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"embeddings": [[0.25,', () => res.socket?.destroy());
    };
    const { error } = await timed(embed(client({ maxRetries: 0 })));
    expect(error).toBeInstanceOf(ClipConnectionError);
    expect(stub.requests).toHaveLength(1);
  });

  it('the server closing an idle keep-alive socket between calls costs no attempt', async () => {
    answer = () => (req, res) => {
      const socket = res.socket;
      res.once('finish', () => setTimeout(() => socket?.destroy(), 10));
      OK(req, res);
    };
    const c = client({ maxRetries: 0 });
    await embed(c);
    await idle();
    const { result, ms } = await timed(embed(c));
    expect(result?.embeddings).toHaveLength(1);
    expect(stub.requests).toHaveLength(2);
    expect(sockets[1] === sockets[0]).toBe(false);
    expect(ms).toBeLessThan(1_000);
  });

  it('a reset on a reused keep-alive socket is retried once on a new one, even with maxRetries 0', async () => {
    // The second request arrives on the first call's pooled socket, which the server treats as dead.
    answer = (n) => (n === 2 ? (_req, res) => res.socket?.destroy() : OK);
    const c = client({ maxRetries: 0 });
    await embed(c);
    await idle();
    const { result, ms } = await timed(embed(c));
    expect(result?.embeddings).toHaveLength(1);
    expect(stub.requests).toHaveLength(3);
    expect(sockets[1] === sockets[0]).toBe(true);
    expect(sockets[2] === sockets[1]).toBe(false);
    expect(ms).toBeLessThan(1_000);
  });

  it('a reset on every attempt ends after maxRetries + 1 attempts: the free retry is one of them', async () => {
    answer = () => (_req, res) => res.socket?.destroy();
    const { error } = await timed(embed(client({ maxRetries: 2 })));
    expect(error).toBeInstanceOf(ClipConnectionError);
    expect((error as ClipConnectionError).attempts).toBe(3);
    expect(stub.requests).toHaveLength(3);
  });

  it('a refused connection is retried under maxRetries and gets no free retry', async () => {
    const baseUrl = `http://127.0.0.1:${await refusedPort()}`;
    const refused = await timed(embed(client({ baseUrl, maxRetries: 0 })));
    expect((refused.error as ClipConnectionError).code).toBe('ECONNREFUSED');
    expect((refused.error as ClipConnectionError).attempts).toBe(1);
    const retried = await timed(embed(client({ baseUrl, maxRetries: 2 })));
    expect((retried.error as ClipConnectionError).attempts).toBe(3);
    expect(retried.ms).toBeLessThan(1_000);
  });

  it('headers that never arrive time out each attempt, then ClipTimeoutError', async () => {
    const { error, ms } = await timed(embed(client({ timeoutMs: 100, maxRetries: 1 })));
    expect(error).toBeInstanceOf(ClipTimeoutError);
    expect((error as ClipTimeoutError).attempts).toBe(2);
    expect(error?.message).toContain('100 ms');
    expect(stub.requests).toHaveLength(2);
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(1_500);
  });

  it('a body that stalls after the headers times out, then ClipTimeoutError', async () => {
    answer = () => (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"embeddings": [[0.25,');
    };
    const { error, ms } = await timed(embed(client({ timeoutMs: 100, maxRetries: 1 })));
    expect(error).toBeInstanceOf(ClipTimeoutError);
    expect((error as ClipTimeoutError).attempts).toBe(2);
    expect(stub.requests).toHaveLength(2);
    expect(ms).toBeLessThan(1_500);
  });

  it('retryOn.timeouts: false ends the call at the first timeout', async () => {
    const { error } = await timed(embed(client({ timeoutMs: 100, maxRetries: 2, retryOn: { timeouts: false } })));
    expect(error).toBeInstanceOf(ClipTimeoutError);
    expect(stub.requests).toHaveLength(1);
  });
});

describe('response size', () => {
  it('an endless response is cut off at maxResponseBytes with ClipResponseError, without reading it all', async () => {
    const chunk = Buffer.alloc(16 * 1024, 'a');
    let written = 0;
    answer = () => (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const pump = () => {
        while (!res.destroyed && written < 256 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    };
    const { error, ms } = await timed(embed(client({ maxResponseBytes: 64 * 1024, maxRetries: 2 })));
    expect(error).toBeInstanceOf(ClipResponseError);
    expect(error?.message).toContain('maxResponseBytes (65536 bytes)');
    expect(stub.requests).toHaveLength(1);
    expect(written).toBeLessThan(16 * 1024 * 1024);
    expect(ms).toBeLessThan(2_000);
  });

  it('a Content-Length above maxResponseBytes is refused before the body is read', async () => {
    answer = () => (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) });
      res.write('{"embeddings": ');
    };
    const { error, ms } = await timed(embed(client({ maxResponseBytes: 1024 })));
    expect(error).toBeInstanceOf(ClipResponseError);
    expect(stub.requests).toHaveLength(1);
    expect(ms).toBeLessThan(1_000);
  });
});

describe('abort and deadline', () => {
  it('an abort during a request ends the call at once with ClipAbortError', async () => {
    const controller = new AbortController();
    const reason = new Error('user left');
    setTimeout(() => controller.abort(reason), 50);
    const { error, ms } = await timed(embed(client({ maxRetries: 2 }), { signal: controller.signal }));
    expect(error).toBeInstanceOf(ClipAbortError);
    expect(error?.cause).toBe(reason);
    expect(stub.requests).toHaveLength(1);
    expect(ms).toBeLessThan(1_000);
  });

  it('an abort during a backoff wait ends the call at once with ClipAbortError', async () => {
    answer = () => reply(503, { message: 'Model is temporarily not ready - retry request.' }, { 'retry-after': '30' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user left')), 150);
    const { error, ms } = await timed(embed(client({ maxRetries: 2 }), { signal: controller.signal }));
    expect(error).toBeInstanceOf(ClipAbortError);
    expect(error?.message).toContain('waiting to retry');
    expect(stub.requests).toHaveLength(1);
    expect(ms).toBeLessThan(1_000);
  });

  it('a deadline reached mid-retry ends the call before it passes, with the last failure as cause', async () => {
    answer = () => reply(503, { message: 'busy' }, { 'retry-after-ms': '300' });
    // Attempts start at about 0, 300, 600 and 900 ms; the wait after the fourth would pass 1100 ms.
    const { error, ms } = await timed(embed(client({ maxRetries: 10, deadlineMs: 1_100 })));
    expect(error).toBeInstanceOf(ClipTimeoutError);
    expect(error?.message).toContain('deadline of 1100 ms');
    expect((error as ClipTimeoutError).attempts).toBe(4);
    expect(error?.cause).toBeInstanceOf(ClipApiError);
    expect((error?.cause as ClipApiError).status).toBe(503);
    expect(stub.requests).toHaveLength(4);
    expect(ms).toBeLessThan(1_100);
  });

  it('a deadline reached mid-attempt ends the attempt, whatever timeoutMs says', async () => {
    const { error, ms } = await timed(embed(client({ timeoutMs: 10_000, maxRetries: 2 }), { deadlineMs: 300 }));
    expect(error).toBeInstanceOf(ClipTimeoutError);
    expect(error?.message).toContain('deadline of 300 ms');
    expect(stub.requests).toHaveLength(1);
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(1_000);
  });
});

describe('retry options over the wire', () => {
  it('retryOn.statuses replaces the retried set', async () => {
    answer = (n) => (n === 1 ? reply(500, { message: 'Internal error.' }) : OK);
    const { result } = await timed(embed(client({ retryOn: { statuses: [500] } })));
    expect(result?.embeddings).toHaveLength(1);
    expect(stub.requests).toHaveLength(2);

    stub.requests.length = 0;
    answer = () => reply(503, { message: 'busy' }, { 'retry-after': '0' });
    const { error } = await timed(embed(client({ retryOn: { statuses: [500] } })));
    expect((error as ClipApiError).status).toBe(503);
    expect(stub.requests).toHaveLength(1);
  });

  it("a call's maxRetries overrides the client's", async () => {
    answer = () => reply(503, { message: 'busy' }, { 'retry-after': '0' });
    const { error } = await timed(embed(client({ maxRetries: 5 }), { maxRetries: 1 }));
    expect((error as ClipApiError).attempts).toBe(2);
    expect(stub.requests).toHaveLength(2);
  });
});
