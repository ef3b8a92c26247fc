// The edge build, as installed, keeps the key out of the errors of a peer that echoes the raw request.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { findLeak } from '../helpers/leaks.js';

const installed = join(inject('consumerDir'), 'node_modules/roboflow-clip');
const KEY = 'CANARY+edge/Key="9"';

let server: Server;
let origin: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    // Not HTTP: the request's own bytes come back, which undici's parser keeps on its error.
    socket.once('data', (chunk: Buffer) => setTimeout(() => socket.end(chunk), 20));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it.each(['query', 'header', 'body'])('over the %s channel, no property of any error holds the key', async (apiKeyTransport) => {
  const { ClipClient } = (await import(pathToFileURL(join(installed, 'dist/edge/index.js')).href)) as typeof import('../../src/index.js');
  const client = new ClipClient({ baseUrl: origin, apiKey: KEY, apiKeyTransport: apiKeyTransport as 'query', maxRetries: 0 });
  const error = await client.embedText({ text: 'a cat' }).then(
    () => expect.fail('the call resolved'),
    (e: unknown) => e,
  );
  expect(findLeak(error, KEY)).toBeUndefined();
});
