import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipClient, ClipValidationError } from '../src/index.js';
import { startMockServer } from '../src/testing.js';

type Mock = Awaited<ReturnType<typeof startMockServer>>;
let mocks: Mock[];

beforeAll(async () => {
  // A little latency keeps requests in flight together, so the pool has to spread them.
  mocks = await Promise.all(Array.from({ length: 4 }, () => startMockServer({ latencyMs: 5 })));
});
afterAll(async () => {
  await Promise.all(mocks.map((m) => m.close()));
});

describe('baseUrl as a list', () => {
  it('spreads requests across every server of the list', async () => {
    const clip = new ClipClient({ baseUrl: mocks.map((m) => m.url), apiKey: null, maxRetries: 0 });
    try {
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => clip.embedText({ text: `text ${i}` })));
      expect(results.every((r) => r.embeddings.length === 1)).toBe(true);
      const perServer = mocks.map((m) => m.requests.length);
      expect(perServer.reduce((a, b) => a + b)).toBe(40);
      for (const count of perServer) expect(count).toBeGreaterThanOrEqual(5);
    } finally {
      await clip.close();
    }
  });

  it('with the fetch transport, requests take turns across the servers', async () => {
    const clip = new ClipClient({ baseUrl: mocks.map((m) => m.url), apiKey: null, maxRetries: 0, fetch: (url, init) => fetch(url, init) });
    for (const m of mocks) m.requests.length = 0;
    for (let i = 0; i < 8; i++) await clip.embedText({ text: `text ${i}` });
    expect(mocks.map((m) => m.requests.length)).toEqual([2, 2, 2, 2]);
    await clip.close();
  });

  it('sends the path prefix the URLs share to every server', async () => {
    const clip = new ClipClient({ baseUrl: mocks.slice(0, 2).map((m) => `${m.url}/inference/`), apiKey: null, maxRetries: 0 });
    for (const m of mocks) m.requests.length = 0;
    try {
      await Promise.allSettled([clip.embedText({ text: 'a' }), clip.embedText({ text: 'b' })]);
      const paths = mocks.flatMap((m) => m.requests.map((r) => r.path));
      expect(paths).toEqual(['/inference/clip/embed_text', '/inference/clip/embed_text']);
    } finally {
      await clip.close();
    }
  });

  it('keeps a single-URL list working like a plain URL', async () => {
    const clip = new ClipClient({ baseUrl: [mocks[0]!.url], apiKey: null, maxRetries: 0 });
    try {
      expect(clip.baseUrls).toEqual([`${mocks[0]!.url}/`]);
      expect((await clip.embedText({ text: 'a cat' })).embeddings).toHaveLength(1);
    } finally {
      await clip.close();
    }
  });

  it('refuses an empty list, URLs with different paths, and a list together with a dispatcher', () => {
    const [a, b] = [mocks[0]!.url, mocks[1]!.url];
    expect(() => new ClipClient({ baseUrl: [] })).toThrow(ClipValidationError);
    expect(() => new ClipClient({ baseUrl: [`${a}/v1`, `${b}/v2`] })).toThrow(/same path/);
    const agent = new Agent();
    expect(() => new ClipClient({ baseUrl: [a, b], dispatcher: agent })).toThrow(/dispatcher/);
    return agent.close();
  });
});
