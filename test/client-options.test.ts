import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClipClient, ClipError, ClipValidationError, type ClipClientOptions, type ClipLogger } from '../src/index.js';
import { useStub } from './helpers/http.js';
import { useMockClient } from './helpers/mock-client.js';

const ctx = useMockClient();

async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(() => expect.fail('the call resolved'), (error: unknown) => error);
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('unknown option names', () => {
  it('refuses an unknown client option, naming the close match', () => {
    expect(() => new ClipClient({ timeout: 5000 } as ClipClientOptions)).toThrow(ClipValidationError);
    expect(() => new ClipClient({ timeout: 5000 } as ClipClientOptions)).toThrow(/timeout: unknown option; did you mean "timeoutMs"\?/);
    expect(() => new ClipClient({ apikey: 'k' } as ClipClientOptions)).toThrow(/did you mean "apiKey"/);
    expect(() => new ClipClient({ maxRetires: 1 } as ClipClientOptions)).toThrow(/did you mean "maxRetries"/);
  });

  it('lists the known names when nothing is close', () => {
    expect(() => new ClipClient({ colour: 'red' } as ClipClientOptions)).toThrow(/colour: unknown option \(known: apiKey, baseUrl/);
  });

  it('refuses an unknown call option before sending', async () => {
    const error = await rejection(ctx.clip.embedText({ text: 'a cat' }, { timeout: 10 } as never));
    expect(error).toBeInstanceOf(ClipValidationError);
    expect((error as Error).message).toMatch(/timeout: unknown option; did you mean "timeoutMs"\?/);
    expect(ctx.mock.requests).toHaveLength(0);
  });

  it('refuses unknown classify and batch options', async () => {
    await expect(ctx.clip.classify('https://example.com/a.jpg', ['cat'], { topk: 1 } as never)).rejects.toThrow(/did you mean "topK"/);
    await expect(ctx.clip.embedTexts(['a'], { batchsize: 2 } as never)).rejects.toThrow(/did you mean "batchSize"/);
    await expect(ctx.clip.compareMany({ subject: 'https://example.com/a.jpg', prompt: ['a'] }, { concurrent: 2 } as never)).rejects.toThrow(/did you mean "concurrency"/);
    expect(ctx.mock.requests).toHaveLength(0);
  });
});

describe('per-call headers', () => {
  it("sends a call's headers over the client's, without replacing the key's", async () => {
    const clip = ctx.client({ apiKey: 'the-key', apiKeyTransport: 'header', headers: { 'X-Tenant': 'a', 'x-team': 'vision' } });
    await clip.embedText({ text: 'a cat' }, { headers: { 'x-tenant': 'b', 'X-Trace-Id': 't-1', authorization: 'Bearer other' } });
    const [sent] = ctx.mock.requests;
    expect(sent!.headers).toMatchObject({ 'x-tenant': 'b', 'x-team': 'vision', 'x-trace-id': 't-1', authorization: 'Bearer the-key' });
    await clip.embedText({ text: 'a cat' });
    expect(ctx.mock.requests[1]!.headers['x-trace-id']).toBeUndefined();
  });

  it('refuses a header value that is not a string', async () => {
    await expect(ctx.clip.embedText({ text: 'a' }, { headers: { 'x-n': 1 } as never })).rejects.toThrow(/headers\.x-n: must be a string/);
    expect(() => new ClipClient({ headers: { 'x-n': 1 } as never })).toThrow(/headers\.x-n: must be a string/);
  });
});

describe('a missing key', () => {
  it.each(['https://infer.roboflow.com', 'https://serverless.roboflow.com', 'https://detect.roboflow.com/'])(
    'fails each call to %s with a ClipError saying how to set ROBOFLOW_API_KEY, sending nothing',
    async (baseUrl) => {
      const sent: string[] = [];
      const clip = new ClipClient({ baseUrl, apiKey: null, fetch: async (url) => (sent.push(url), expect.fail('sent a request')) });
      const error = await rejection(clip.embedText({ text: 'a cat' }));
      expect(error).toBeInstanceOf(ClipError);
      expect((error as Error).message).toMatch(/No API key.*ROBOFLOW_API_KEY.*apiKey/s);
      await expect(clip.classify('https://example.com/a.jpg', ['cat'])).rejects.toThrow(/ROBOFLOW_API_KEY/);
      expect(sent).toEqual([]);
    },
  );

  it('lets a self-hosted server be called without a key', async () => {
    await expect(ctx.client({ apiKey: null }).embedText({ text: 'a cat' })).resolves.toHaveProperty('embeddings');
  });

  it('is not said to a hosted client that has a key', async () => {
    vi.stubEnv('ROBOFLOW_API_KEY', 'from-env');
    const seen: string[] = [];
    const clip = new ClipClient({ baseUrl: 'https://infer.roboflow.com', maxRetries: 0, fetch: async (url) => (seen.push(url), Promise.reject(new TypeError('offline'))) });
    await expect(clip.embedText({ text: 'a cat' })).rejects.toThrow(/offline/);
    expect(seen).toHaveLength(1);
  });
});

describe('the browser guard', () => {
  /** Makes the client see a web page while `make` runs: window and document, and no Node. */
  function inPage<T>(make: () => T): T {
    vi.stubGlobal('window', {});
    vi.stubGlobal('document', {});
    const node = Object.getOwnPropertyDescriptor(process.versions, 'node')!;
    Object.defineProperty(process.versions, 'node', { value: undefined, configurable: true });
    try {
      return make();
    } finally {
      Object.defineProperty(process.versions, 'node', node);
      vi.unstubAllGlobals();
    }
  }

  it('refuses a key in a browser, saying why and how to allow it', () => {
    expect(() => inPage(() => new ClipClient({ apiKey: 'secret' }))).toThrow(/dangerouslyAllowBrowser: .*every visitor/);
  });

  it('allows a key with dangerouslyAllowBrowser, and a keyless client anyway', () => {
    expect(inPage(() => new ClipClient({ apiKey: 'public-demo-key', dangerouslyAllowBrowser: true }))).toBeInstanceOf(ClipClient);
    expect(inPage(() => new ClipClient({ apiKey: null, baseUrl: 'http://127.0.0.1:9001' }))).toBeInstanceOf(ClipClient);
  });

  it('does not apply outside a browser', () => {
    expect(new ClipClient({ apiKey: 'secret' })).toBeInstanceOf(ClipClient);
  });
});

describe('logging', () => {
  // A server that fails the text 'fail' with 500, as a server fails a text it cannot tokenize, and embeds any other.
  const server = useStub();
  beforeEach(() => {
    server.answer = (req, res) => {
      const failing = (JSON.parse(req.rawBody) as { text: unknown }).text === 'fail';
      res.writeHead(failing ? 500 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(failing ? { message: 'Internal error.' } : { embeddings: [[1, 0]] }));
    };
  });
  const client = (options: ClipClientOptions) => new ClipClient({ baseUrl: server.url, apiKey: null, ...options });

  function recorder(levels: (keyof ClipLogger)[] = ['debug', 'info', 'warn', 'error']) {
    const lines: [string, string][] = [];
    const logger = Object.fromEntries(levels.map((level) => [level, (message: string) => lines.push([level, message])])) as ClipLogger;
    return { lines, logger };
  }

  it('logs from logLevel up only', async () => {
    const { lines, logger } = recorder();
    const clip = client({ logger, logLevel: 'warn' });
    await clip.embedText({ text: 'a cat' });
    await rejection(clip.embedText({ text: 'fail' }));
    expect(lines.map(([level]) => level)).toEqual(['warn']);
  });

  it('reads ROBOFLOW_CLIP_LOG, and logs to console when no logger is given', async () => {
    vi.stubEnv('ROBOFLOW_CLIP_LOG', 'debug');
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
    try {
      await ctx.client().embedText({ text: 'a cat' });
      expect(debug).toHaveBeenCalledWith(expect.stringMatching(/^roboflow-clip: \[c\w+\] POST \/clip\/embed_text HTTP 200/));
    } finally {
      debug.mockRestore();
    }
  });

  it('refuses an unknown level, from the option or the environment', () => {
    expect(() => new ClipClient({ logLevel: 'verbose' as never })).toThrow(/logLevel: must be one of "debug", "info", "warn", "error", "off"/);
    vi.stubEnv('ROBOFLOW_CLIP_LOG', 'loud');
    expect(() => new ClipClient()).toThrow(/ROBOFLOW_CLIP_LOG: must be one of/);
  });

  it('takes a logger with only some methods', async () => {
    const { lines, logger } = recorder(['warn']);
    const clip = client({ logger });
    await clip.embedText({ text: 'a cat' });
    await rejection(clip.embedText({ text: 'fail' }));
    expect(lines.map(([level]) => level)).toEqual(['warn']);
  });

  it('never lets a logger that throws change the outcome of a call', async () => {
    const throwing = { debug: () => { throw new Error('disk full'); }, warn: () => { throw new Error('disk full'); } };
    const clip = client({ logger: throwing });
    await expect(clip.embedText({ text: 'a cat' })).resolves.toHaveProperty('embeddings');
    const error = await rejection(clip.embedText({ text: 'fail' }));
    expect((error as Error).message).not.toMatch(/disk full/);
    expect((error as { status?: number }).status).toBe(500);
  });

  it('gives the attempts of one call the same id, and other calls other ids', async () => {
    const { lines, logger } = recorder();
    const clip = client({ logger, maxRetries: 1, retryOn: { statuses: [500] }, backoff: { baseMs: 0 } });
    await rejection(clip.embedText({ text: 'fail' }));
    await clip.embedText({ text: 'a cat' });
    const ids = lines.map(([, message]) => /\[(c\w+)\]/.exec(message)![1]);
    expect(ids).toHaveLength(3);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
  });
});
