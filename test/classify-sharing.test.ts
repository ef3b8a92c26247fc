import { afterAll, describe, expect, it } from 'vitest';
import { ClipAbortError, ClipClient, type ClipClientOptions } from '../src/index.js';
import { useStub, type StubHandler } from './helpers/http.js';

const stub = useStub();
const clients: ClipClient[] = [];
const client = (options: ClipClientOptions = {}) => {
  const made = new ClipClient({ baseUrl: stub.url, backoff: { baseMs: 1, capMs: 1 }, ...options });
  clients.push(made);
  return made;
};
afterAll(() => Promise.all(clients.map((c) => c.close())));

const LABELS = ['a cat', 'a dog'];
const IMAGE = 'https://example.com/cat.jpg';

/** Images answer at once; label texts after `textDelayMs`, the first `failures` of them with a 503. */
function server(textDelayMs: number, failures = 0): StubHandler {
  let failed = 0;
  return (req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url.startsWith('/clip/embed_image')) return json(200, { embeddings: [[1, 0]] });
    const { text } = JSON.parse(req.rawBody) as { text: string[] };
    setTimeout(() => {
      if (failed++ < failures) return json(503, { message: 'busy' });
      json(200, { embeddings: text.map((t) => (t === 'a cat' ? [1, 0] : [0, 1])) });
    }, textDelayMs);
  };
}

const labelRequests = () => stub.requests.filter((r) => r.url.startsWith('/clip/embed_text')).length;

describe('concurrent classify calls share label requests, but not their fate', () => {
  it('one caller’s abort fails only that caller', async () => {
    stub.answer = server(150);
    const c = client();
    const controller = new AbortController();
    const aborted = c.classify(IMAGE, LABELS, { signal: controller.signal });
    const other = c.classify(IMAGE, LABELS);
    setTimeout(() => controller.abort(), 30);
    await expect(aborted).rejects.toBeInstanceOf(ClipAbortError);
    expect((await other)[0]!.label).toBe('a cat');
    expect(labelRequests()).toBe(1);
  });

  it('one caller’s short timeoutMs does not cut the shared request', async () => {
    stub.answer = server(150);
    const c = client();
    const short = c.classify(IMAGE, LABELS, { timeoutMs: 50, maxRetries: 0 });
    const other = c.classify(IMAGE, LABELS);
    // The image request was short enough; the shared label request ran with the client's own limit.
    expect((await short)[0]!.label).toBe('a cat');
    expect((await other)[0]!.label).toBe('a cat');
  });

  it('one caller’s maxRetries: 0 does not stop the shared request’s retries', async () => {
    stub.answer = server(20, 1);
    const c = client();
    const first = c.classify(IMAGE, LABELS, { maxRetries: 0 });
    const other = c.classify(IMAGE, LABELS);
    expect((await first)[0]!.label).toBe('a cat');
    expect((await other)[0]!.label).toBe('a cat');
    expect(labelRequests()).toBe(2);
  });

  it('a caller waits for a shared request no longer than its own deadline', async () => {
    stub.answer = server(400);
    const c = client();
    const other = c.classify(IMAGE, LABELS);
    const started = performance.now();
    await expect(c.classify(IMAGE, LABELS, { deadlineMs: 80 })).rejects.toThrow(/deadline of 80 ms/);
    expect(performance.now() - started).toBeLessThan(350);
    expect((await other)[0]!.label).toBe('a cat');
  });

  it('a request no caller waits for any more still fills the cache', async () => {
    stub.answer = server(100);
    const c = client();
    const controller = new AbortController();
    const aborted = c.classify(IMAGE, LABELS, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(aborted).rejects.toBeInstanceOf(ClipAbortError);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await c.classify(IMAGE, LABELS);
    expect(labelRequests()).toBe(1);
  });
});
