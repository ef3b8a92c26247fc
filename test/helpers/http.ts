import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';

export interface StubRequest {
  method: string;
  /** Path and query string. */
  url: string;
  headers: IncomingMessage['headers'];
  rawBody: string;
}

export interface StubServer {
  url: string;
  port: number;
  requests: StubRequest[];
  close(): Promise<void>;
}

/** How a stub answers: it may write anything, or nothing at all (a server that hangs). */
export type StubHandler = (req: StubRequest, res: ServerResponse) => void;

/** A throwaway `node:http` server on 127.0.0.1, for faults the mock server does not produce. */
export async function startStub(handler: StubHandler): Promise<StubServer> {
  const requests: StubRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      handler(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  };
}

/** A handler that answers every request with this status and body (a string is sent as is, anything else as JSON). */
export function reply(status: number, body: unknown, headers: Record<string, string> = {}): StubHandler {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/plain' : 'application/json';
  return (_req, res) => res.writeHead(status, { 'content-type': type, ...headers }).end(text);
}

/** A loopback port nothing listens on: bound, read, then released. */
export async function refusedPort(): Promise<number> {
  const stub = await startStub(() => {});
  await stub.close();
  return stub.port;
}

export interface StubContext {
  readonly url: string;
  readonly requests: StubRequest[];
  /** What the stub answers in the current test; by default nothing at all (it hangs). */
  answer: StubHandler;
}

/** A stub server for a test file: started before all tests, reset to hanging with no requests before each, closed after all. */
export function useStub(): StubContext {
  let stub: StubServer;
  const context = {
    answer: (() => {}) as StubHandler,
    get url() {
      return stub.url;
    },
    get requests() {
      return stub.requests;
    },
  };
  beforeAll(async () => {
    stub = await startStub((req, res) => context.answer(req, res));
  });
  afterAll(() => stub.close());
  beforeEach(() => {
    stub.requests.length = 0;
    context.answer = () => {};
  });
  return context;
}
