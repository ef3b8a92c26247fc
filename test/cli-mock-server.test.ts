import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/index.js';

/** Runs `mock-server` in-process with these flags, hands its URL to `use`, then stops it. */
async function withMockServer(flags: string[], use: (url: string) => Promise<void>): Promise<{ code: number; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const stop = new AbortController();
  const io = { stdout: sink((t) => (stdout += t)), stderr: sink((t) => (stderr += t)), env: {}, stop: stop.signal };
  const running = runCli(['mock-server', '--port', '0', ...flags], io);
  try {
    while (!stdout.includes('listening on')) {
      const early = await Promise.race([running, new Promise<undefined>((resolve) => setTimeout(resolve, 10))]);
      if (early !== undefined) return { code: early, stderr };
    }
    await use(/listening on (\S+)/.exec(stdout)![1]!);
  } finally {
    stop.abort();
  }
  return { code: await running, stderr };
}

const embedText = (url: string, init: { headers?: Record<string, string> } = {}) =>
  fetch(`${url}/clip/embed_text`, { method: 'POST', headers: { 'content-type': 'application/json', ...init.headers }, body: '{"text":"a"}' });

describe('roboflow-clip mock-server', () => {
  it('--api-key makes every request present that key', async () => {
    await withMockServer(['--api-key', 'k-1'], async (url) => {
      expect((await embedText(url)).status).toBe(401);
      expect((await embedText(url, { headers: { authorization: 'Bearer k-1' } })).status).toBe(200);
    });
  });

  it('--latency delays each answer', async () => {
    await withMockServer(['--latency', '150'], async (url) => {
      const started = performance.now();
      expect((await embedText(url)).status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    });
  });

  it('--faults RATE:KINDS answers that share of requests with those faults', async () => {
    await withMockServer(['--faults', '1:503'], async (url) => {
      const answer = await embedText(url);
      expect([answer.status, answer.headers.get('retry-after')]).toEqual([503, '1']);
    });
  });

  it('--backend inference-models answers text: [] with no embeddings', async () => {
    await withMockServer(['--backend', 'inference-models'], async (url) => {
      const answer = await fetch(`${url}/clip/embed_text`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":[]}' });
      expect(await answer.json()).toMatchObject({ embeddings: [] });
    });
  });

  it('--cors-origin answers the preflights of that origin', async () => {
    await withMockServer(['--cors-origin', 'http://127.0.0.1:8080'], async (url) => {
      const answer = await fetch(`${url}/clip/embed_text`, {
        method: 'OPTIONS',
        headers: { origin: 'http://127.0.0.1:8080', 'access-control-request-method': 'POST' },
      });
      expect([answer.status, answer.headers.get('access-control-allow-origin')]).toEqual([200, 'http://127.0.0.1:8080']);
    });
  });

  it.each([
    [['--faults', '2'], /--faults must be a share from 0 to 1/],
    [['--faults', '0.5:timeout'], /--faults kinds must be among 503, reset/],
    [['--latency', 'soon'], /--latency must be a whole number of milliseconds/],
    [['--backend', 'onnx'], /--backend must be one of legacy, inference-models/],
  ])('refuses %j with a usage error', async (flags, message) => {
    const { code, stderr } = await withMockServer(flags, async () => {
      throw new Error('the server should not have started');
    });
    expect(code).not.toBe(0);
    expect(stderr).toMatch(message);
  });
});
