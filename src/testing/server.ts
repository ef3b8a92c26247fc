import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleClipRequest, MOCK_INFERENCE_ENGINE, type MockResponse } from './protocol.js';

export interface MockServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number | undefined;
  /** Defaults to 127.0.0.1. */
  host?: string | undefined;
  /** The key every request must present. Default: none (any key, or none, is accepted). */
  apiKey?: string | undefined;
  /** Delay before each response is sent, in milliseconds. Default: 0. */
  latencyMs?: number | undefined;
  /**
   * Keep every request in `requests` (the default). The list is never trimmed, so a long load test
   * should switch this off to keep memory flat.
   */
  recordRequests?: boolean | undefined;
  /** Answers a share of requests with a fault instead, to exercise a client's retries. Default: none. */
  faults?: MockFaults | undefined;
}

/** `'503'`: Roboflow's model-loading answer with `Retry-After`; `'reset'`: the socket is destroyed before any response. */
export type MockFaultKind = '503' | 'reset';

export interface MockFaults {
  /** Share of requests (0 to 1) that get a fault. */
  rate: number;
  /** The faults drawn from, equally likely. Default: `['503', 'reset']`. */
  kinds?: MockFaultKind[] | undefined;
  /** Seed of the fault sequence, so that a run repeats. Default: 1. */
  seed?: number | undefined;
  /** `Retry-After` seconds of an injected 503. Default: 1, as Roboflow sends while a model loads. */
  retryAfter?: number | undefined;
}

/** Counts since the server started. */
export interface MockServerStats {
  /** Requests received, faulted ones included. */
  requests: number;
  /** Faults injected, by kind. */
  faults: Record<MockFaultKind, number>;
}

export interface RecordedRequest {
  method: string;
  /** Without the query string. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  /** Parsed JSON, or the raw string when the body is not JSON. */
  body: unknown;
  rawBody: string;
}

export interface MockServer {
  /** e.g. `http://127.0.0.1:PORT`, without a trailing slash. */
  url: string;
  requests: RecordedRequest[];
  stats: MockServerStats;
  close(): Promise<void>;
}

const CRASH_RESPONSE: MockResponse = {
  status: 500,
  headers: { 'content-type': 'application/json', 'x-inference-engine': MOCK_INFERENCE_ENGINE },
  body: JSON.stringify({ message: 'Internal error.' }),
};

/** A loopback HTTP server that answers like Roboflow's CLIP endpoints (see protocol.ts). */
export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const { port = 0, host = '127.0.0.1', apiKey, latencyMs = 0, recordRequests = true } = options;
  const requests: RecordedRequest[] = [];
  const stats: MockServerStats = { requests: 0, faults: { '503': 0, reset: 0 } };
  const pending = new Set<NodeJS.Timeout>();
  const drawFault = faultDrawer(options.faults);

  const server = createServer(async (req, res) => {
    let response = CRASH_RESPONSE;
    try {
      const rawBody = await readBody(req);
      const url = req.url ?? '/';
      const headers = flattenHeaders(req.headers);
      const method = req.method ?? 'GET';
      stats.requests++;
      if (recordRequests) requests.push(record(method, url, headers, rawBody));
      const fault = drawFault();
      if (fault !== undefined) stats.faults[fault]++;
      if (fault === 'reset') {
        req.socket.destroy();
        return;
      }
      response = fault === '503' ? modelNotReady(options.faults?.retryAfter ?? 1) : handleClipRequest({ method, url, headers, body: rawBody }, { apiKey });
    } catch (error) {
      console.error('roboflow-clip mock server: failed to answer a request', error);
    }
    const send = () => res.writeHead(response.status, response.headers).end(response.body);
    if (latencyMs <= 0) return send();
    const timer = setTimeout(() => {
      pending.delete(timer);
      send();
    }, latencyMs);
    pending.add(timer);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const hostInUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${hostInUrl}:${address.port}`,
    requests,
    stats,
    close() {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      // close() alone would wait for idle keep-alive sockets to time out.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  };
}

/** Draws each request's fault from a seeded sequence (mulberry32), or none. */
function faultDrawer(faults: MockFaults | undefined): () => MockFaultKind | undefined {
  if (!faults || !(faults.rate > 0)) return () => undefined;
  const kinds = faults.kinds ?? ['503', 'reset'];
  let state = faults.seed ?? 1;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => (random() < faults.rate ? kinds[Math.floor(random() * kinds.length)] : undefined);
}

function modelNotReady(retryAfter: number): MockResponse {
  return {
    status: 503,
    headers: { 'content-type': 'application/json', 'retry-after': String(retryAfter), 'x-inference-engine': MOCK_INFERENCE_ENGINE },
    body: JSON.stringify({ message: 'Model is temporarily not ready - retry request.' }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]));
}

function record(method: string, url: string, headers: Record<string, string | undefined>, rawBody: string): RecordedRequest {
  const parsed = new URL(url, 'http://mock.invalid');
  let body: unknown = rawBody;
  try {
    body = JSON.parse(rawBody);
  } catch {
    // Not JSON: keep the raw string.
  }
  return { method, path: parsed.pathname, query: Object.fromEntries(parsed.searchParams), headers, body, rawBody };
}
