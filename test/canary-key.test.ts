import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClipClient, ClipError, type ApiKeyTransport, type ClipClientOptions, type ClipLogger } from '../src/index.js';
import { refusedPort, startStub, type StubHandler, type StubRequest, type StubServer } from './helpers/http.js';

/** Characters that URL-encoding changes, so both spellings must stay out. */
const CANARY = 'CANARY+7f3a/Key=9';
const SPELLINGS = [CANARY, encodeURIComponent(CANARY)];

let stub: StubServer;
let answer: (n: number) => StubHandler;
let lines: string[];
const clients: ClipClient[] = [];

beforeAll(async () => {
  stub = await startStub((req, res) => answer(stub.requests.length)(req, res));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await stub.close();
});
beforeEach(() => {
  stub.requests.length = 0;
  lines = [];
});

const logger: ClipLogger = {
  debug: (m) => void lines.push(m),
  info: (m) => void lines.push(m),
  warn: (m) => void lines.push(m),
  error: (m) => void lines.push(m),
};

/** Everything the request carried that a careless server or proxy might repeat back. */
const echoed = (req: StubRequest) => `${req.method} ${req.url} auth=${req.headers.authorization ?? ''} body=${req.rawBody}`;

/** A response that repeats the request, in the body and in a header. */
function echo(status: number, body: (req: StubRequest) => string, type = 'application/json'): StubHandler {
  return (req, res) => res.writeHead(status, { 'content-type': type, 'x-echo': `${req.url} ${req.headers.authorization ?? ''}` }).end(body(req));
}
const jsonEcho = (status: number, headers: Record<string, string> = {}): StubHandler => (req, res) =>
  res.writeHead(status, { 'content-type': 'application/json', 'x-echo': req.url ?? '', ...headers }).end(JSON.stringify({ message: echoed(req), input: req.rawBody }));
const OK: StubHandler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"embeddings": [[0.5]]}');

interface FaultCase {
  name: string;
  answer: (n: number) => StubHandler;
  call: (c: ClipClient) => Promise<unknown>;
  options?: ClipClientOptions;
}

const text = (c: ClipClient, options?: Parameters<ClipClient['embedText']>[1]) => c.embedText({ text: 'a cat' }, options);
const abortAfter = (ms: number) => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('stopped by the user')), ms);
  return controller.signal;
};

const CASES: FaultCase[] = [
  { name: '503 with Retry-After, every attempt', answer: () => jsonEcho(503, { 'retry-after': '0' }), call: text },
  { name: '429 with an HTTP-date Retry-After', answer: () => jsonEcho(429, { 'retry-after': new Date(Date.now() - 1000).toUTCString() }), call: text },
  { name: 'Retry-After: 3600', answer: () => jsonEcho(503, { 'retry-after': '3600' }), call: text },
  { name: 'connection reset before the headers', answer: () => (_req, res) => res.socket?.destroy(), call: text },
  {
    name: 'reset mid-body',
    answer: () => (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000', 'x-echo': req.url ?? '' });
      res.write(`{"message": "${echoed(req)}`, () => res.socket?.destroy());
    },
    call: text,
  },
  {
    name: 'idle keep-alive socket closed between calls',
    answer: () => (req, res) => {
      const socket = res.socket;
      res.once('finish', () => setTimeout(() => socket?.destroy(), 5));
      OK(req, res);
    },
    call: async (c) => {
      await text(c);
      await new Promise((resolve) => setTimeout(resolve, 30));
      return text(c);
    },
  },
  { name: 'headers never arrive', answer: () => () => {}, call: text, options: { timeoutMs: 60 } },
  {
    name: 'body stalls',
    answer: () => (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-echo': req.url ?? '' });
      res.write(`{"message": "${echoed(req)}`);
    },
    call: text,
    options: { timeoutMs: 60 },
  },
  { name: 'truncated JSON', answer: () => echo(200, (req) => `{"embeddings": [[0.1], "${echoed(req)}`), call: text },
  { name: 'HTML 502 page', answer: () => echo(502, (req) => `<html><body>Bad gateway for ${echoed(req)}</body></html>`, 'text/html'), call: text },
  { name: 'empty 200 body', answer: () => echo(200, () => ''), call: text },
  { name: 'oversized response', answer: () => echo(200, (req) => echoed(req).repeat(200)), call: text, options: { maxResponseBytes: 512 } },
  { name: 'abort during a request', answer: () => () => {}, call: (c) => text(c, { signal: abortAfter(40) }) },
  { name: 'abort during a backoff wait', answer: () => jsonEcho(503, { 'retry-after': '20' }), call: (c) => text(c, { signal: abortAfter(60) }) },
  { name: 'deadline reached mid-retry', answer: () => jsonEcho(503, { 'retry-after-ms': '40' }), call: (c) => text(c, { deadlineMs: 100 }), options: { maxRetries: 10 } },
  { name: 'request too large', answer: () => OK, call: text, options: { maxRequestBytes: 8 } },
  { name: 'invalid payload', answer: () => OK, call: (c) => c.embedText({ text: '' }) },
  { name: 'a 2xx body of the wrong shape', answer: () => (req, res) => jsonEcho(200)(req, res), call: text },
];

/** The key in neither spelling, anywhere the error shows itself, down its cause chain. */
function expectNoCanary(error: unknown): void {
  expect(error).toBeInstanceOf(ClipError);
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const shown = [e.message, e.stack ?? '', e.toString(), String(e), JSON.stringify(e), inspect(e, { depth: Infinity, showHidden: true })];
    for (const text of shown) for (const spelling of SPELLINGS) expect(text).not.toContain(spelling);
  }
}

const channels: ApiKeyTransport[] = ['query', 'header', 'body'];

describe.each(channels)('the canary key over the %s channel', (apiKeyTransport) => {
  it.each(CASES)('appears in no error or log line: $name', async ({ answer: respond, call, options }) => {
    answer = respond;
    const c = new ClipClient({ baseUrl: stub.url, apiKey: CANARY, apiKeyTransport, logger, maxRetries: 2, backoff: { baseMs: 1, capMs: 2 }, ...options });
    clients.push(c);
    const error = await call(c).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (error !== undefined) expectNoCanary(error);
    for (const line of lines) for (const spelling of SPELLINGS) expect(line).not.toContain(spelling);
    // The key did travel, so each test could have leaked it.
    const sent = stub.requests.map((r) => `${decodeURIComponent(r.url)} ${r.headers.authorization ?? ''} ${r.rawBody}`).join('\n');
    if (stub.requests.length > 0) expect(sent).toContain(CANARY);
  });
});

it('the canary key appears in no error of a refused connection, nor in its log lines', async () => {
  const c = new ClipClient({ baseUrl: `http://127.0.0.1:${await refusedPort()}`, apiKey: CANARY, logger, backoff: { baseMs: 1, capMs: 2 } });
  clients.push(c);
  expectNoCanary(await text(c).catch((e: unknown) => e));
  expect(lines).toHaveLength(3);
  for (const line of lines) for (const spelling of SPELLINGS) expect(line).not.toContain(spelling);
});

it('the canary key appears in no plain-http warning', () => {
  const c = new ClipClient({ baseUrl: 'http://canary.example.internal', apiKey: CANARY, logger });
  clients.push(c);
  expect(lines).toHaveLength(1);
  for (const spelling of SPELLINGS) expect(lines[0]).not.toContain(spelling);
});
