import { describe, expect, it } from 'vitest';
import { ClipClient, ClipError, ClipRequestError, type ClipClientOptions } from '../src/index.js';
import { useMockClient } from './helpers/mock-client.js';

const ctx = useMockClient();
const globalFetch: NonNullable<ClipClientOptions['fetch']> = (url, init) => fetch(url, init);

async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(() => expect.fail('the call resolved'), (error: unknown) => error);
}

describe.each([
  ['undici', {}],
  ['fetch', { fetch: globalFetch }],
] as const)('close() with the %s transport', (_, transport) => {
  it('may be called twice', async () => {
    const clip = ctx.client({ ...transport });
    await clip.embedText({ text: 'a cat' });
    await clip.close();
    await expect(clip.close()).resolves.toBeUndefined();
  });

  it('makes later calls fail at once with a ClipError saying the client is closed, sending nothing', async () => {
    const clip = ctx.client({ ...transport, maxRetries: 2 });
    await clip.close();
    const started = performance.now();
    const error = await rejection(clip.embedText({ text: 'a cat' }));
    expect(performance.now() - started).toBeLessThan(100);
    expect(error).toBeInstanceOf(ClipError);
    expect(error).not.toBeInstanceOf(ClipRequestError);
    expect((error as Error).message).toMatch(/ClipClient is closed/);
    expect(ctx.mock.requests).toHaveLength(0);
  });
});

describe('withOptions()', () => {
  it('makes a copy with the options changed and the rest kept', async () => {
    const clip = ctx.client({ headers: { 'x-tenant': 'a' }, clipVersion: 'RN50' });
    const copy = clip.withOptions({ headers: { 'x-tenant': 'b' } });
    expect(copy).toBeInstanceOf(ClipClient);
    expect(copy.clipVersion).toBe('RN50');
    expect(copy.baseUrl).toBe(clip.baseUrl);
    await copy.embedText({ text: 'a cat' });
    await clip.embedText({ text: 'a cat' });
    expect(ctx.mock.requests.map((r) => r.headers['x-tenant'])).toEqual(['b', 'a']);
    expect(ctx.mock.requests.map((r) => (r.body as { clip_version_id?: string }).clip_version_id)).toEqual(['RN50', 'RN50']);
  });

  it('shares the label cache: labels classified by one are not requested again by the other', async () => {
    const clip = ctx.client();
    await clip.classify('https://example.com/a.jpg', ['cat', 'dog']);
    ctx.mock.requests.length = 0;
    await clip.withOptions({ timeoutMs: 5_000 }).classify('https://example.com/a.jpg', ['cat', 'dog']);
    expect(ctx.mock.requests.map((r) => r.path)).toEqual(['/clip/embed_image']);
  });

  it('leaves the shared pool open when the copy is closed, and closes the copy alone', async () => {
    const clip = ctx.client();
    const copy = clip.withOptions({ maxRetries: 0 });
    await copy.close();
    await expect(clip.embedText({ text: 'a cat' })).resolves.toHaveProperty('embeddings');
    expect(((await rejection(copy.embedText({ text: 'a cat' }))) as Error).message).toMatch(/ClipClient is closed/);
  });

  it("fails the copy's calls once the client it was made from is closed", async () => {
    const clip = ctx.client();
    const copy = clip.withOptions({ maxRetries: 0 });
    await clip.close();
    const error = await rejection(copy.embedText({ text: 'a cat' }));
    expect((error as Error).message).toMatch(/closed.*withOptions/);
  });

  it.each(['baseUrl', 'fetch', 'dispatcher', 'labelCacheSize'])('refuses to change %s, which the copy shares', (name) => {
    const clip = ctx.client();
    expect(() => clip.withOptions({ [name]: undefined } as never)).toThrow(new RegExp(`${name}: is shared`));
  });

  it('refuses an unknown option name, naming the close match', () => {
    expect(() => ctx.client().withOptions({ timeout: 5 } as never)).toThrow(/timeout: unknown option; did you mean "timeoutMs"\?/);
  });
});
