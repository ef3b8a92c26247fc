import { describe, expect, it } from 'vitest';
import { ClipClient } from '../src/index.js';
import { IMGUR_URL, REFERENCE_CALLS, type ReferenceCall } from './fixtures/reference-calls.js';
import { useMockClient } from './helpers/mock-client.js';

const KEY = 'wire-test-key';
const ctx = useMockClient({ apiKey: KEY });

/** Sends a reference payload through the client's method (a copy: the client must not need the caller's object). */
function send(c: ClipClient, call: ReferenceCall, extra: Record<string, unknown> = {}): Promise<unknown> {
  const request = { ...structuredClone(call.payload), ...extra } as never;
  if (call.method === 'embedImage') return c.embedImage(request);
  if (call.method === 'embedText') return c.embedText(request);
  return c.compare(request);
}

const byName = REFERENCE_CALLS.map((call) => [call.name, call] as const);

describe('the six reference calls of the documentation', () => {
  it.each(byName)('%s: arrives with the documented payload', async (_name, call) => {
    await send(ctx.clip, call);
    expect(ctx.mock.requests).toHaveLength(1);
    expect(JSON.parse(ctx.mock.requests[0]!.rawBody)).toEqual(call.payload);
  });

  it.each(byName)('%s: arrives byte-for-byte, keys in the documented order and no extra field', async (_name, call) => {
    await send(ctx.clip, call);
    const sent = JSON.parse(ctx.mock.requests[0]!.rawBody) as Record<string, unknown>;
    expect(Object.keys(sent)).toEqual(Object.keys(call.payload));
    expect(ctx.mock.requests[0]!.rawBody).toBe(JSON.stringify(call.payload));
  });

  it.each(byName)('%s: is a POST to its route with the key as ?api_key= and a JSON content type', async (_name, call) => {
    await send(ctx.clip, call);
    const { method, path, query, headers } = ctx.mock.requests[0]!;
    expect([method, path, query]).toEqual(['POST', call.path, { api_key: KEY }]);
    expect(headers['content-type']).toMatch(/^application\/json\b/);
  });
});

describe('optional fields', () => {
  it('does not send subject_type or prompt_type when they are left out', async () => {
    await ctx.clip.compare({ subject: IMGUR_URL, prompt: ['A very cute raccoon', 'A large dog'] });
    expect(ctx.mock.requests[0]!.body).toEqual({ subject: { type: 'url', value: IMGUR_URL }, prompt: ['A very cute raccoon', 'A large dog'] });
  });

  it("adds clip_version_id from the client's clipVersion option", async () => {
    const c = new ClipClient({ baseUrl: ctx.mock.url, apiKey: KEY, maxRetries: 0, clipVersion: 'ViT-L-14' });
    try {
      const result = await c.embedText({ text: 'a raccoon' });
      expect(ctx.mock.requests[0]!.body).toEqual({ text: 'a raccoon', clip_version_id: 'ViT-L-14' });
      expect(result.embeddings[0]).toHaveLength(768);
    } finally {
      await c.close();
    }
  });

  it('lets a per-call clip_version_id win over the client option', async () => {
    const c = new ClipClient({ baseUrl: ctx.mock.url, apiKey: KEY, maxRetries: 0, clipVersion: 'ViT-L-14' });
    try {
      await c.embedText({ text: 'a raccoon', clip_version_id: 'RN50' });
      expect(ctx.mock.requests[0]!.body).toEqual({ text: 'a raccoon', clip_version_id: 'RN50' });
    } finally {
      await c.close();
    }
  });

  it('sends no clip_version_id when neither the client nor the call names one', async () => {
    await ctx.clip.embedText({ text: 'a raccoon' });
    expect(ctx.mock.requests[0]!.body).not.toHaveProperty('clip_version_id');
  });
});
