import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleClipRequest, MOCK_INFERENCE_ENGINE, type MockResponse } from './protocol.js';

export interface MockServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** The key every request must present. Default: none (any key, or none, is accepted). */
  apiKey?: string;
  /** Delay before each response is sent, in milliseconds. Default: 0. */
  latencyMs?: number;
  /**
   * Keep every request in `requests` (the default). The list is never trimmed, so a long load test
   * should switch this off to keep memory flat.
   */
  recordRequests?: boolean;
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
  const pending = new Set<NodeJS.Timeout>();

  const server = createServer(async (req, res) => {
    let response = CRASH_RESPONSE;
    try {
      const rawBody = await readBody(req);
      const url = req.url ?? '/';
      const headers = flattenHeaders(req.headers);
      const method = req.method ?? 'GET';
      if (recordRequests) requests.push(record(method, url, headers, rawBody));
      response = handleClipRequest({ method, url, headers, body: rawBody }, { apiKey });
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
