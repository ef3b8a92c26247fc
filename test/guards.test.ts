import { describe, expect, it } from 'vitest';
import { ClipClient, ClipValidationError, type ClipClientOptions, type ClipLogger } from '../src/index.js';
import { startMockServer } from '../src/testing.js';
import { reply, startStub } from './helpers/http.js';
import { useMockClient } from './helpers/mock-client.js';

const KEY = 'guards-test-key';
const ctx = useMockClient({ apiKey: KEY });
const client = (options?: ClipClientOptions) => ctx.client(options);

function recorder(): ClipLogger & { lines: [keyof ClipLogger, string][] } {
  const lines: [keyof ClipLogger, string][] = [];
  const at = (level: keyof ClipLogger) => (message: string) => void lines.push([level, message]);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Base64 of `bytes` zero bytes: 4 characters per 3 bytes. */
const base64Image = (bytes: number) => ({ type: 'base64' as const, value: Buffer.alloc(bytes).toString('base64') });

describe('maxRequestBytes', () => {
  it('refuses a body above 20 MiB by default, with its size in the message, before sending', async () => {
    const error = await client().embedImage({ image: base64Image(16 * 1024 * 1024) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClipValidationError);
    expect((error as Error).message).toMatch(/the encoded body is 2236\d{4} bytes \(21\.3 MiB\), above maxRequestBytes of 20971520 bytes \(20\.0 MiB\)/);
    expect(ctx.mock.requests).toHaveLength(0);
  });

  it('measures UTF-8 bytes, not characters', async () => {
    // 3000 characters, 9000 bytes in UTF-8.
    const text = 'é'.repeat(1000) + '日'.repeat(2000);
    const error = await client({ maxRequestBytes: 7_000 }).embedText({ text }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClipValidationError);
    expect((error as Error).message).toContain(`is ${Buffer.byteLength(JSON.stringify({ text }))} bytes`);
    expect(ctx.mock.requests).toHaveLength(0);
  });

  it('sends a body at exactly the limit', async () => {
    const body = JSON.stringify({ text: 'a cat' });
    await client({ maxRequestBytes: body.length }).embedText({ text: 'a cat' });
    expect(ctx.mock.requests[0]!.rawBody).toBe(body);
  });

  it('is disabled by Infinity', async () => {
    const sink = await startStub(reply(400, { message: 'Could not load input image.' }));
    try {
      const c = client({ baseUrl: sink.url, maxRequestBytes: Number.POSITIVE_INFINITY });
      await c.embedImage({ image: base64Image(16 * 1024 * 1024) }).catch(() => undefined);
      expect(sink.requests).toHaveLength(1);
      expect(sink.requests[0]!.rawBody.length).toBeGreaterThan(20 * 1024 * 1024);
    } finally {
      await sink.close();
    }
  });
});

describe('plain-http warning', () => {
  // Each test names its own host: the warning is given once per origin and process.
  it('warns once through the logger when the key would travel over http:// to another host', () => {
    const logger = recorder();
    client({ baseUrl: 'http://clip.example.internal:9001', logger });
    client({ baseUrl: 'http://clip.example.internal:9001', logger });
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]![0]).toBe('warn');
    expect(logger.lines[0]![1]).toContain('plain http:// to clip.example.internal:9001');
    expect(logger.lines[0]![1]).not.toContain(KEY);
  });

  it('is a process warning when there is no logger', async () => {
    const warnings: Error[] = [];
    const listener = (w: Error) => warnings.push(w);
    process.on('warning', listener);
    try {
      client({ baseUrl: 'http://10.1.2.3:9001' });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.name).toBe('SecurityWarning');
    expect((warnings[0] as Error & { code?: string }).code).toBe('ROBOFLOW_CLIP_PLAIN_HTTP_KEY');
    expect(warnings[0]!.message).not.toContain(KEY);
  });

  it('warns for every plain-http server of a list, not only the first', () => {
    const logger = recorder();
    client({ baseUrl: ['http://127.0.0.1:9001', 'http://clip-2.example.internal:9001'], logger });
    expect(logger.lines.map(([, line]) => line)).toEqual([expect.stringContaining('clip-2.example.internal:9001')]);
  });

  it('stays silent for https, for loopback hosts, and without a key', () => {
    const logger = recorder();
    client({ baseUrl: 'https://clip.example.net', logger });
    for (const host of ['127.0.0.1:9001', '127.8.9.10', 'localhost:9001', 'clip.localhost', '[::1]:9001']) {
      client({ baseUrl: `http://${host}`, logger });
    }
    client({ baseUrl: 'http://clip.example.org', apiKey: null, logger });
    expect(logger.lines).toEqual([]);
  });
});

describe('logger', () => {
  it('logs one debug line per successful attempt: method, route, status, attempt, duration', async () => {
    const logger = recorder();
    await client({ logger }).embedText({ text: 'a cat' });
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]![0]).toBe('debug');
    expect(logger.lines[0]![1]).toMatch(/^roboflow-clip: \[c\w+\] POST \/clip\/embed_text HTTP 200, attempt 1, \d+ ms$/);
  });

  it('logs a retried attempt as info with its wait, and the final failure as warn', async () => {
    const logger = recorder();
    const limited = await startMockServer({ faults: { rate: 1, kinds: ['503'], retryAfter: 0 } });
    try {
      await client({ baseUrl: limited.url, apiKey: null, logger, maxRetries: 1 }).embedText({ text: 'a cat' }).catch(() => undefined);
    } finally {
      await limited.close();
    }
    expect(logger.lines.map(([level]) => level)).toEqual(['info', 'warn']);
    expect(logger.lines[0]![1]).toMatch(/^roboflow-clip: \[c\w+\] POST \/clip\/embed_text HTTP 503, attempt 1, \d+ ms, retrying in 0 ms$/);
    expect(logger.lines[1]![1]).toMatch(/^roboflow-clip: \[c\w+\] POST \/clip\/embed_text HTTP 503, attempt 2, \d+ ms$/);
  });

  it('never logs the path with its query string, nor the key', async () => {
    const logger = recorder();
    const c = client({ logger, baseUrl: `${ctx.mock.url}/proxy` });
    await c.embedText({ text: 'a cat' }).catch(() => undefined);
    await client({ logger, apiKey: 'wrong' }).embedText({ text: 'a cat' }).catch(() => undefined);
    expect(logger.lines).toHaveLength(2);
    for (const [, line] of logger.lines) {
      expect(line).not.toContain('api_key');
      expect(line).not.toContain('?');
      expect(line).not.toContain(KEY);
      expect(line).not.toContain('/proxy');
    }
  });
});

describe('options', () => {
  it.each([
    ['timeoutMs', { timeoutMs: 0 }],
    ['deadlineMs', { deadlineMs: -5 }],
    ['maxRetries', { maxRetries: 1.5 }],
    ['maxRetries', { maxRetries: Number.POSITIVE_INFINITY }],
  ])('refuses an invalid per-call %s before anything is sent', async (name, options) => {
    const sent = await startMockServer();
    try {
      const error = await client({ baseUrl: sent.url, apiKey: null })
        .embedText({ text: 'a cat' }, options)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClipValidationError);
      expect((error as ClipValidationError).issues[0]!.path).toEqual([name]);
      expect(sent.requests).toEqual([]);
    } finally {
      await sent.close();
    }
  });

  it("accepts a timeoutMs beyond setTimeout's range without it firing at once", async () => {
    const slow = await startMockServer({ latencyMs: 30 });
    try {
      const result = await client({ baseUrl: slow.url, apiKey: null, timeoutMs: 1e10 }).embedText({ text: 'a cat' });
      expect(result.embeddings).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it.each([
    ['timeoutMs', { timeoutMs: 0 }],
    ['deadlineMs', { deadlineMs: -5 }],
    ['maxRetries', { maxRetries: Number.NaN }],
    ['maxRequestBytes', { maxRequestBytes: -1 }],
    ['maxResponseBytes', { maxResponseBytes: '1MB' as never }],
    ['retryOn', { retryOn: { statuses: [42] } }],
    ['backoff', { backoff: { capMs: Number.POSITIVE_INFINITY } }],
  ])('refuses an invalid %s', (name, options) => {
    const error = (() => {
      try {
        return new ClipClient({ apiKey: null, ...options });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ClipValidationError);
    expect((error as ClipValidationError).issues[0]!.path[0]).toBe(name === 'backoff' ? 'backoff.capMs' : name);
  });
});
