import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, buildConnector } from 'undici';
import { ClipConnectionError, ClipResponseError } from '../src/errors/errors.js';
import { AttemptTimeout } from '../src/transport/failures.js';
import { UndiciTransport } from '../src/transport/undici.js';
import type { TransportRequest } from '../src/transport/types.js';
import { startStub, type StubServer } from './helpers/http.js';

let stub: StubServer;
/** One per `/hang` request the server received: settles when the server sees its connection close. */
const hangs: Promise<void>[] = [];
const transport = new UndiciTransport();

beforeAll(async () => {
  stub = await startStub((req, res) => {
    if (req.url === '/declared') return res.writeHead(200, { 'content-length': '2000' }).end('x'.repeat(2000));
    if (req.url === '/streamed') {
      res.writeHead(200);
      res.write('x'.repeat(600));
      setTimeout(() => res.end('y'.repeat(600)), 5);
      return;
    }
    if (req.url === '/hang') {
      hangs.push(new Promise((resolve) => res.on('close', resolve)));
      return;
    }
    if (req.url === '/reset') return res.socket?.destroy();
    res.writeHead(201, { 'X-Model-Id': 'clip/RN50', 'set-cookie': ['a=1', 'b=2'] });
    res.write('{"echo":');
    setTimeout(() => res.end(`${JSON.stringify(req.rawBody)}}`), 5);
  });
});
afterAll(async () => {
  await transport.close();
  await stub.close();
});

function request(path: string, init: Partial<TransportRequest> = {}): TransportRequest {
  return { origin: stub.url, path, headers: { 'content-type': 'application/json' }, body: '{"a":"é"}', timeoutMs: 10_000, maxResponseBytes: Infinity, ...init };
}

describe('UndiciTransport', () => {
  it('returns the status, lower-case headers (repeated ones joined) and the whole body as text', async () => {
    const response = await transport.send(request('/echo'));
    expect(response.status).toBe(201);
    expect(response.headers['x-model-id']).toBe('clip/RN50');
    expect(response.headers['set-cookie']).toBe('a=1, b=2');
    expect(JSON.parse(response.body)).toEqual({ echo: '{"a":"é"}' });
  });

  it('refuses a body whose Content-Length exceeds maxResponseBytes with ClipResponseError', async () => {
    await expect(transport.send(request('/declared', { maxResponseBytes: 1000 }))).rejects.toThrow(ClipResponseError);
  });

  it('refuses a streamed body once it grows past maxResponseBytes with ClipResponseError', async () => {
    await expect(transport.send(request('/streamed', { maxResponseBytes: 1000 }))).rejects.toThrow(/exceeds maxResponseBytes/);
    expect((await transport.send(request('/streamed', { maxResponseBytes: 1200 }))).body).toHaveLength(1200);
  });

  it("rejects with the signal's reason when it fires while waiting for the answer", async () => {
    const controller = new AbortController();
    const sent = transport.send(request('/hang', { signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('stop now')), 20);
    await expect(sent).rejects.toThrow('stop now');
  });

  it('rejects with AttemptTimeout once timeoutMs passes, and the server sees the connection closed', async () => {
    const before = hangs.length;
    const started = performance.now();
    await expect(transport.send(request('/hang', { timeoutMs: 150 }))).rejects.toBeInstanceOf(AttemptTimeout);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect(hangs.length).toBe(before + 1);
    await hangs[before];
  });

  it('sends nothing when timeoutMs passes before the connection is made', async () => {
    // Connections take 100 ms to open, so the 0 ms timer surely fires first.
    const connect = buildConnector({});
    const slowConnect: buildConnector.connector = (options, callback) => void setTimeout(() => connect(options, callback), 100);
    const agent = new Agent({ connect: slowConnect });
    const fresh = new UndiciTransport(agent);
    const before = stub.requests.length;
    try {
      await expect(fresh.send(request('/echo', { timeoutMs: 0 }))).rejects.toBeInstanceOf(AttemptTimeout);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(stub.requests.length).toBe(before);
    } finally {
      await agent.close();
    }
  });

  it('sends nothing when the signal has already fired', async () => {
    const before = stub.requests.length;
    await expect(transport.send(request('/echo', { signal: AbortSignal.abort(new Error('too late')) }))).rejects.toThrow('too late');
    expect(stub.requests.length).toBe(before);
  });

  it('maps a connection the server closes to ClipConnectionError', async () => {
    await expect(transport.send(request('/reset'))).rejects.toBeInstanceOf(ClipConnectionError);
  });
});
