import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent, type Dispatcher } from 'undici';
import { ClipClient } from '../src/index.js';
import { mockPng, startMockServer, type MockServer } from '../src/testing.js';

/** An Agent that logs each request it dispatches and tracks how many are outstanding at once. */
class WatchingAgent extends Agent {
  readonly events: string[] = [];
  inFlight = 0;
  maxInFlight = 0;

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    this.events.push('request');
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const settle = () => this.inFlight--;
    return super.dispatch(options, {
      ...handler,
      onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
      onResponseStart: (controller, status, headers, message) => handler.onResponseStart?.(controller, status, headers, message),
      onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
      onResponseEnd: (controller, trailers) => {
        settle();
        handler.onResponseEnd?.(controller, trailers);
      },
      onResponseError: (controller, error) => {
        settle();
        handler.onResponseError?.(controller, error);
      },
    });
  }
}

const texts = (n: number) => Array.from({ length: n }, (_, i) => `a photo of thing ${i}`);
const images = (n: number) => Array.from({ length: n }, (_, i) => mockPng(`picture ${i}`));

describe('batch jobs send the next request while an answer is parsed', () => {
  let mock: MockServer;
  let legacy: MockServer;
  const clients: ClipClient[] = [];
  const client = (baseUrl: string, dispatcher: Agent, imageBatching?: 'auto' | 'always') => {
    const made = new ClipClient({ baseUrl, apiKey: null, maxRetries: 0, dispatcher, ...(imageBatching ? { imageBatching } : {}) });
    clients.push(made);
    return made;
  };
  beforeAll(async () => {
    mock = await startMockServer({ backend: 'inference-models', latencyMs: 5 });
    legacy = await startMockServer({ latencyMs: 5 });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await mock.close();
    await legacy.close();
  });

  it("a text job's next request is dispatched before the answer before it is parsed and reported", async () => {
    const agent = new WatchingAgent();
    const clip = client(legacy.url, agent);
    await clip.embedTexts(texts(64), { batchSize: 32, concurrency: 1, onProgress: () => agent.events.push('progress') });
    expect(agent.events).toEqual(['request', 'request', 'progress', 'progress']);
    expect(agent.maxInFlight).toBe(1);
    await agent.close();
  });

  it('an image job keeps to its concurrency on a server that answers several images short, while it learns to send one per request', async () => {
    const agent = new WatchingAgent();
    const clip = client(mock.url, agent);
    const result = await clip.embedImages(images(6), { batchSize: 3, concurrency: 1 });
    expect(result).toHaveLength(6);
    expect(agent.maxInFlight).toBe(1);
    await agent.close();
  });

  it('once the server has answered a batch of images in full, an image job dispatches its next request before parsing', async () => {
    const agent = new WatchingAgent();
    const clip = client(legacy.url, agent);
    await clip.embedImages(images(2), { batchSize: 2 });
    agent.events.length = 0;
    await clip.embedImages(images(4), { batchSize: 2, concurrency: 1, onProgress: () => agent.events.push('progress') });
    expect(agent.events).toEqual(['request', 'request', 'progress', 'progress']);
    expect(agent.maxInFlight).toBe(1);
    await agent.close();
  });
});
