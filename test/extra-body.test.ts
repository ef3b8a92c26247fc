import { describe, expect, it } from 'vitest';
import { ClipClient, ClipValidationError } from '../src/index.js';
import { reply, useStub } from './helpers/http.js';
import { useMockClient } from './helpers/mock-client.js';

const ctx = useMockClient();
const stub = useStub();
const IMG = 'https://example.com/cat.jpg';
const EMBEDDING = { embeddings: [[0.1, 0.2]] };

describe('extraBody', () => {
  it('sends fields the SDK does not know, unchecked, after the request’s own', async () => {
    await ctx.clip.embedText({ text: 'a cat' }, { extraBody: { future_flag: true, options: { level: 2 } } });
    expect(ctx.mock.requests[0]!.rawBody).toBe('{"text":"a cat","future_flag":true,"options":{"level":2}}');
  });

  it('sends a CLIP version newer than the SDK, in place of the client’s default', async () => {
    stub.answer = reply(200, EMBEDDING);
    const client = ctx.client({ baseUrl: stub.url, clipVersion: 'ViT-B-16' });
    await client.embedImage({ image: IMG }, { extraBody: { clip_version_id: 'ViT-H-14' } });
    expect(JSON.parse(stub.requests[0]!.rawBody)).toEqual({ image: { type: 'url', value: IMG }, clip_version_id: 'ViT-H-14' });
  });

  it('goes with every request of a batch job', async () => {
    await ctx.clip.embedTexts(['a', 'b', 'c'], { batchSize: 2, extraBody: { source: 'catalogue' } });
    expect(ctx.mock.requests.map((r) => (r.body as { source?: string }).source)).toEqual(['catalogue', 'catalogue']);
  });

  it('refuses a field the request already has, and the key', async () => {
    const error = await ctx.refusal(ctx.clip.embedText({ text: 'a cat', id: 'x' }, { extraBody: { text: 'a dog', id: 'y', api_key: 'k' } }));
    expect(error.issues.map((issue) => issue.path)).toEqual([['extraBody', 'text'], ['extraBody', 'id'], ['extraBody', 'api_key']]);
    expect(error.issues[2]!.message).toContain('apiKey');
  });

  it('refuses what is not a plain object', async () => {
    for (const extraBody of [null, 'a=1', [1], new Map()]) {
      const error = await ctx.refusal(ctx.clip.embedText({ text: 'a cat' }, { extraBody: extraBody as never }));
      expect(error.issues).toEqual([{ path: ['extraBody'], message: 'must be a plain object of body fields' }]);
    }
  });
});

describe('CLIP versions', () => {
  it('an unknown clip_version_id in the request is refused, pointing to extraBody', async () => {
    const error = await ctx.refusal(ctx.clip.embedText({ text: 'a cat', clip_version_id: 'ViT-B16' } as never));
    expect(error.issues[0]!.message).toMatch(/must be one of RN101, .*extraBody: \{ clip_version_id \}/);
  });

  it('an unknown clipVersion client option is refused when the client is made', () => {
    expect(() => new ClipClient({ clipVersion: 'vit-b-16' as never })).toThrow(ClipValidationError);
    expect(() => new ClipClient({ clipVersion: 'vit-b-16' as never })).toThrow(/clipVersion: must be one of .*extraBody/);
  });
});
