import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClipApiError, ClipClient, ClipError, ClipResponseError, ClipValidationError, type ApiKeyTransport, type ClipClientOptions } from '../src/index.js';
import { startMockServer } from '../src/testing.js';
import { reply, startStub, type StubServer } from './helpers/http.js';

const KEY = 'CANARY-KEY-7f3a';
type Mock = Awaited<ReturnType<typeof startMockServer>>;
let mock: Mock;
const clients: ClipClient[] = [];

function client(options: ClipClientOptions = {}): ClipClient {
  const c = new ClipClient({ baseUrl: mock.url, maxRetries: 0, ...options });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  mock = await startMockServer({ apiKey: KEY });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await mock.close();
});
beforeEach(() => {
  mock.requests.length = 0;
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** Where the last request carried a key: [query, bearer, body]. */
function keyChannels(): [string | undefined, string | undefined, unknown] {
  const last = mock.requests.at(-1)!;
  return [last.query.api_key, last.headers.authorization, (last.body as { api_key?: unknown }).api_key];
}

describe('channels', () => {
  const channels: [ApiKeyTransport, [string | undefined, string | undefined, unknown]][] = [
    ['query', [KEY, undefined, undefined]],
    ['header', [undefined, `Bearer ${KEY}`, undefined]],
    ['body', [undefined, undefined, KEY]],
  ];

  it('sends the key in the query string by default', async () => {
    await client({ apiKey: KEY }).embedText({ text: 'a cat' });
    expect(keyChannels()).toEqual([KEY, undefined, undefined]);
  });

  it.each(channels)('passes with the right key over the %s channel, and only there', async (apiKeyTransport, where) => {
    const result = await client({ apiKey: KEY, apiKeyTransport }).embedText({ text: 'a cat' });
    expect(result.embeddings).toHaveLength(1);
    expect(keyChannels()).toEqual(where);
  });

  it.each(channels)('rejects a wrong key over the %s channel with ClipApiError 401', async (apiKeyTransport) => {
    const error = await client({ apiKey: 'wrong-key', apiKeyTransport }).embedText({ text: 'a cat' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClipApiError);
    expect((error as ClipApiError).status).toBe(401);
  });

  it('rejects a call without a key with ClipApiError 401', async () => {
    const error = await client({ apiKey: null }).embedText({ text: 'a cat' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClipApiError);
    expect((error as ClipApiError).status).toBe(401);
    expect(keyChannels()).toEqual([undefined, undefined, undefined]);
  });

  it('refuses a key with control characters or spaces at either end, without quoting it', () => {
    for (const bad of [`${KEY}\n`, ` ${KEY}`, `${KEY}\u00e9`]) {
      const error = (() => {
        try {
          return new ClipClient({ apiKey: bad });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ClipValidationError);
      expect(String(error)).not.toContain(KEY);
    }
  });

  it('refuses a baseUrl carrying a query string or credentials, without quoting it', () => {
    for (const baseUrl of [`https://infer.roboflow.com/?api_key=${KEY}`, `https://user:${KEY}@infer.roboflow.com`]) {
      expect(() => new ClipClient({ baseUrl, apiKey: null })).toThrow(ClipValidationError);
      expect(() => new ClipClient({ baseUrl, apiKey: null })).not.toThrow(new RegExp(KEY));
    }
  });

  it('URL-encodes a query-string key so that it arrives intact', async () => {
    const odd = 'k+y/=&x y';
    await client({ apiKey: odd }).embedText({ text: 'a cat' }).catch(() => undefined);
    expect(keyChannels()[0]).toBe(odd);
  });
});

describe('environment', () => {
  it('takes the key from process.env.ROBOFLOW_API_KEY by default', async () => {
    vi.stubEnv('ROBOFLOW_API_KEY', KEY);
    await client().embedText({ text: 'a cat' });
    expect(keyChannels()).toEqual([KEY, undefined, undefined]);
  });

  it('sends no key with apiKey: null, even when ROBOFLOW_API_KEY is set', async () => {
    vi.stubEnv('ROBOFLOW_API_KEY', KEY);
    await expect(client({ apiKey: null, apiKeyTransport: 'body' }).embedText({ text: 'a cat' })).rejects.toMatchObject({ status: 401 });
    expect(keyChannels()).toEqual([undefined, undefined, undefined]);
  });

  it('takes the base URL from ROBOFLOW_CLIP_URL', async () => {
    vi.stubEnv('ROBOFLOW_CLIP_URL', mock.url);
    const c = new ClipClient({ apiKey: KEY, maxRetries: 0 });
    clients.push(c);
    await c.embedText({ text: 'a cat' });
    expect(mock.requests).toHaveLength(1);
    expect(c.baseUrl).toBe(`${mock.url}/`);
  });

  it('keeps the path prefix of a base URL', async () => {
    for (const prefix of ['/proxy/v1', '/proxy/v1/']) {
      mock.requests.length = 0;
      await client({ apiKey: KEY, baseUrl: `${mock.url}${prefix}` }).embedText({ text: 'a cat' }).catch(() => undefined);
      expect(mock.requests.map((r) => [r.path, r.query.api_key])).toEqual([['/proxy/v1/clip/embed_text', KEY]]);
    }
  });
});

describe('the key never leaks', () => {
  let echo: StubServer;
  beforeAll(async () => {
    // Like FastAPI's 422: the request body (api_key included) comes back as `input`.
    echo = await startStub((req, res) =>
      reply(422, { detail: [{ type: 'missing', loc: ['body', 'image'], msg: 'Field required', input: JSON.parse(req.rawBody) }] })(req, res),
    );
  });
  afterAll(() => echo.close());

  function expectNoKey(error: unknown): void {
    expect(error).toBeInstanceOf(ClipError);
    const e = error as Error;
    for (const shown of [e.message, e.stack ?? '', String(e), JSON.stringify(e), inspect(e, { depth: 10 }), inspect(e.cause)]) {
      expect(shown).not.toContain(KEY);
    }
  }

  it('keeps the key out of a 422 that echoes the body with api_key', async () => {
    const error = await client({ apiKey: KEY, apiKeyTransport: 'body', baseUrl: echo.url }).embedText({ text: 'a cat' }).catch((e: unknown) => e);
    expect(JSON.parse(echo.requests.at(-1)!.rawBody)).toMatchObject({ api_key: KEY }); // it was sent and echoed
    expect((error as ClipApiError).status).toBe(422);
    expectNoKey(error);
  });

  it.each(['query', 'header', 'body'] as const)('keeps the key out of a 401 (%s channel)', async (apiKeyTransport) => {
    const wrongKey = `${KEY}-expired`;
    const error = await client({ apiKey: wrongKey, apiKeyTransport }).embedText({ text: 'a cat' }).catch((e: unknown) => e);
    expect((error as ClipApiError).status).toBe(401);
    expectNoKey(error);
  });

  it('keeps the key out of a ClipResponseError for a 200 page that quotes the request URL', async () => {
    const portal = await startStub((req, res) => reply(200, `<html>Proxy: you asked for ${req.url}</html>`)(req, res));
    try {
      const error = await client({ apiKey: KEY, baseUrl: portal.url }).embedText({ text: 'a cat' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClipResponseError);
      expectNoKey(error);
    } finally {
      await portal.close();
    }
  });

  it('does not show the key in util.inspect(client)', () => {
    const shown = inspect(client({ apiKey: KEY }), { depth: 10, showHidden: true });
    expect(shown).not.toContain(KEY);
    expect(JSON.stringify(client({ apiKey: KEY }))).not.toContain(KEY);
  });
});

describe('headers', () => {
  it('sends the extra headers option', async () => {
    await client({ apiKey: KEY, headers: { 'X-Team': 'vision', 'X-Trace-Id': 'abc123' } }).embedText({ text: 'a cat' });
    expect(mock.requests[0]!.headers).toMatchObject({ 'x-team': 'vision', 'x-trace-id': 'abc123' });
  });

  it('sends a roboflow-clip user-agent', async () => {
    await client({ apiKey: KEY }).embedText({ text: 'a cat' });
    expect(mock.requests[0]!.headers['user-agent']).toMatch(/^roboflow-clip\/\d+\.\d+\.\d+/);
  });
});
