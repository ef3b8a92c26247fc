import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipClient, ClipError, type ApiKeyTransport, type ClipClientOptions, type FetchFunction } from '../src/index.js';
import { findLeak, keySpellings } from './helpers/leaks.js';

/**
 * A peer that is not an HTTP server, or a broken one, repeats the request's raw bytes (request line,
 * headers, body: the key on every channel). undici's parser errors keep such bytes in `.data`.
 */
type Echo = (request: Buffer) => Buffer | string;
const ECHOES: Record<string, Echo> = {
  'the raw request, not HTTP at all': (request) => request,
  'a status line, then the request as header lines': (request) => Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n'), request]),
  'a chunked body whose chunk size is the request': (request) =>
    Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n'), request]),
  'a header value holding the request and a NUL': (request) => `HTTP/1.1 200 OK\r\nx-echo: ${request.toString('latin1').replace(/\r\n/g, ' ')}\0\r\n\r\n`,
  'a valid response whose body is the request': (request) =>
    Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${request.length}\r\n\r\n`), request]),
  'a 502 whose body is the request': (request) =>
    Buffer.concat([Buffer.from(`HTTP/1.1 502 Bad Gateway\r\ncontent-length: ${request.length}\r\n\r\n`), request]),
};

let server: Server;
let origin: string;
let echo: Echo = (request) => request;
const sockets = new Set<Socket>();
const received: string[] = [];

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let request = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      request = Buffer.concat([request, chunk]);
      const head = request.indexOf('\r\n\r\n');
      const length = Number(/content-length: *(\d+)/i.exec(request.toString('latin1'))?.[1] ?? 0);
      if (head < 0 || request.length < head + 4 + length) return;
      received.push(request.toString('latin1'));
      socket.end(echo(request));
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const KEYS = ['CANARY+7f3a/Key=9', 'Qu"ote\\back-slash key', 'rf_0123456789abcdefXYZ'];
const TRANSPORTS: Record<string, ClipClientOptions> = {
  undici: {},
  'the global fetch': { fetch: ((url, init) => fetch(url, init)) as FetchFunction },
  "undici's fetch": { fetch: undiciFetch as unknown as FetchFunction },
};
const CHANNELS: ApiKeyTransport[] = ['query', 'header', 'body'];

describe.each(Object.keys(TRANSPORTS))('with %s', (transport) => {
  describe.each(CHANNELS)('the key over the %s channel', (apiKeyTransport) => {
    it.each(Object.keys(ECHOES))('is in no property of any error when the peer answers %s', async (name) => {
      echo = ECHOES[name]!;
      for (const apiKey of KEYS) {
        received.length = 0;
        const client = new ClipClient({ baseUrl: origin, apiKey, apiKeyTransport, maxRetries: 1, backoff: { baseMs: 0, capMs: 0 }, ...TRANSPORTS[transport] });
        const error = await client.embedText({ text: 'a cat' }).then(
          () => expect.fail('the call resolved'),
          (e: unknown) => e,
        );
        await client.close();
        expect(error).toBeInstanceOf(ClipError);
        expect(findLeak(error, apiKey), `${apiKey} shown by ${String(error)}`).toBeUndefined();
        // The key did travel in the echoed bytes, so the error could have carried it.
        expect(received.join('\n')).toMatch(new RegExp(keySpellings(apiKey).map((s) => s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')).join('|')));
      }
    });
  });
});
