import { Agent } from 'undici';
import { beforeEach, describe, expect, it } from 'vitest';
import { ClipClient, type ClipClientOptions } from '../src/index.js';
import { startMockServer } from '../src/testing.js';
import { reply, useStub } from './helpers/http.js';
import { useMockClient } from './helpers/mock-client.js';

const ctx = useMockClient();
const stub = useStub();
const client = (options?: ClipClientOptions) => ctx.client(options);
/** The exact JSON text the stub answers with. */
let stubBody = '';

beforeEach(() => {
  stub.answer = (req, res) => reply(200, stubBody, { 'content-type': 'application/json', 'x-model-id': 'clip/RN50' })(req, res);
});

describe('result fields', () => {
  it('keeps the wire field names and unknown fields', async () => {
    stubBody = JSON.stringify({
      inference_id: 'inf-1',
      frame_id: 7,
      time: 0.02,
      embeddings: [[0.5, -0.25]],
      usage: { credits: 1 },
      model_version: '2025-01',
    });
    const result = await client({ baseUrl: stub.url }).embedText({ text: 'a cat' });
    expect(result).toEqual({ inference_id: 'inf-1', frame_id: 7, time: 0.02, embeddings: [[0.5, -0.25]], usage: { credits: 1 }, model_version: '2025-01' });
  });

  it('accepts a response without inference_id, frame_id or parent_id', async () => {
    stubBody = JSON.stringify({ similarity: [0.25] });
    const result = await client({ baseUrl: stub.url }).compare({ subject: 'https://example.com/a.jpg', prompt: 'a cat' });
    expect(result).toEqual({ similarity: [0.25] });
  });

  it("returns the mock server's ViT-B-16 embeddings as 512-number vectors under `embeddings`", async () => {
    const result = await client().embedText({ text: ['a cat', 'a dog'] });
    expect(Object.keys(result)).toEqual(['inference_id', 'frame_id', 'time', 'embeddings']);
    expect(result.embeddings.map((v) => v.length)).toEqual([512, 512]);
  });
});

describe('meta', () => {
  it('is non-enumerable: JSON.stringify(result) is the server body and Object.keys has no meta', async () => {
    stubBody = JSON.stringify({ inference_id: null, frame_id: null, time: 0.01, similarity: [0.31, -0.2], parent_id: null });
    const result = await client({ baseUrl: stub.url }).compare({ subject: 'https://example.com/a.jpg', prompt: ['a cat', 'a dog'] });
    expect(JSON.stringify(result)).toBe(stubBody);
    expect(Object.keys(result)).not.toContain('meta');
    expect({ ...result }).not.toHaveProperty('meta');
    expect(result.meta).toBeDefined();
  });

  it('has the status, the headers (x-model-id) and the elapsed time', async () => {
    const slow = await startMockServer({ latencyMs: 60 });
    try {
      const result = await client({ baseUrl: slow.url }).embedText({ text: 'a cat', clip_version_id: 'RN50' });
      expect(result.meta.status).toBe(200);
      expect(result.meta.headers['x-model-id']).toBe('clip/RN50');
      expect(result.meta.elapsedMs).toBeGreaterThanOrEqual(55);
      expect(result.meta.elapsedMs).toBeLessThan(5_000);
    } finally {
      await slow.close();
    }
  });
});

describe('name-map compare', () => {
  it('returns an object keyed like the prompt, in the same order', async () => {
    const prompt = { zebra: 'a zebra', apple: 'an apple', mango: 'a ripe mango' };
    const result = await client().compare({ subject: 'https://example.com/fruit/apple.jpg', prompt });
    expect(Object.keys(result.similarity)).toEqual(['zebra', 'apple', 'mango']);
    for (const value of Object.values(result.similarity)) expect(value).toBeGreaterThanOrEqual(-1);
    expect(result.similarity.apple).toBeGreaterThan(result.similarity.zebra!);
  });
});

describe('close', () => {
  it('resolves', async () => {
    const c = new ClipClient({ baseUrl: ctx.mock.url, apiKey: null, maxRetries: 0 });
    await c.embedText({ text: 'a cat' });
    await expect(c.close()).resolves.toBeUndefined();
  });

  it('leaves open a dispatcher the caller passed in', async () => {
    const agent = new Agent();
    try {
      const c = new ClipClient({ baseUrl: ctx.mock.url, apiKey: null, maxRetries: 0, dispatcher: agent });
      await c.embedText({ text: 'a cat' });
      await c.close();
      expect(agent.closed).toBe(false);
      expect(agent.destroyed).toBe(false);
      const other = new ClipClient({ baseUrl: ctx.mock.url, apiKey: null, maxRetries: 0, dispatcher: agent });
      await expect(other.embedText({ text: 'a dog' })).resolves.toMatchObject({ embeddings: [expect.any(Array)] });
      expect(ctx.mock.requests).toHaveLength(2);
    } finally {
      await agent.close();
    }
  });
});
