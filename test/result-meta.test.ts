import { describe, expect, it } from 'vitest';
import { responseMeta } from '../src/index.js';
import { EmbeddingIndex } from '../src/vectors.js';
import { reply, useStub } from './helpers/http.js';
import { useMockClient } from './helpers/mock-client.js';

const ctx = useMockClient();
const stub = useStub();
const stubClient = () => ctx.client({ baseUrl: stub.url });

describe('meta of every method', () => {
  it("carries the server's x-request-id as meta.requestId", async () => {
    stub.answer = reply(200, { embeddings: [[1, 0]] }, { 'x-request-id': 'req-7' });
    const result = await stubClient().embedText({ text: 'a cat' });
    expect(result.meta.requestId).toBe('req-7');
    expect(responseMeta(result)).toBe(result.meta);
  });

  it('is on the list classify resolves to, non-enumerable, from its image request', async () => {
    const results = await ctx.clip.classify('https://example.com/a.jpg', ['cat', 'dog']);
    expect(results.meta.status).toBe(200);
    expect(results.meta.headers).toBeTypeOf('object');
    expect(Object.keys(results)).toEqual(['0', '1']);
    expect(JSON.parse(JSON.stringify(results))).toHaveLength(2);
  });

  it.each(['searchText', 'searchImage'] as const)('is on the hits %s resolves to, from the query request', async (method) => {
    const index = new EmbeddingIndex({ dimension: 512 });
    index.add('a', (await ctx.clip.embedText({ text: 'a cat' })).embeddings[0]!);
    const query = method === 'searchText' ? 'a cat' : 'https://example.com/a.jpg';
    const hits = await ctx.clip[method](index, query, 1);
    expect(hits).toHaveLength(1);
    expect(hits.meta?.status).toBe(200);
    expect(Object.keys(hits)).toEqual(['0']);
  });
});

describe("a server field named meta", () => {
  it("is kept as the server sent it; the response metadata is read with responseMeta()", async () => {
    stub.answer = reply(200, { embeddings: [[1, 0]], meta: { region: 'eu' } }, { 'x-request-id': 'req-8' });
    const result = await stubClient().embedText({ text: 'a cat' });
    expect(result.meta).toEqual({ region: 'eu' });
    expect(JSON.parse(JSON.stringify(result))).toEqual({ embeddings: [[1, 0]], meta: { region: 'eu' } });
    expect(responseMeta(result)).toMatchObject({ status: 200, requestId: 'req-8' });
  });

  it('is not made up when the server sent none', async () => {
    stub.answer = reply(200, { embeddings: [[1, 0]] });
    const result = await stubClient().embedText({ text: 'a cat' });
    expect(Object.hasOwn(JSON.parse(JSON.stringify(result)), 'meta')).toBe(false);
    expect(responseMeta({})).toBeUndefined();
  });
});
