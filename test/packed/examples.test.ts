// The examples that are more than a script: an AWS Lambda handler invoked as Lambda would, and an SDK
// that bundles roboflow-clip. (The Cloudflare Worker example runs in workerd in runtimes.test.ts.)
import { builtinModules } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handleClipRequest, startMockServer, type MockServer } from '../../src/testing.js';

const root = new URL('../..', import.meta.url).pathname;
const KEY = 'examples-key';

/** The mock protocol on a plain node:http server that counts the TCP connections it accepts. */
async function countingMockServer(): Promise<{ url: string; connections: () => number; server: Server }> {
  let connections = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      const answer = handleClipRequest({ method: req.method ?? '', url: req.url ?? '', headers: req.headers as Record<string, string>, body }, { apiKey: KEY });
      res.writeHead(answer.status, answer.headers).end(answer.body);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections, server };
}

describe('examples/aws-lambda', () => {
  let upstream: Awaited<ReturnType<typeof countingMockServer>>;
  beforeAll(async () => {
    upstream = await countingMockServer();
  });
  afterAll(() => {
    vi.unstubAllEnvs();
    upstream.server.closeAllConnections();
    return new Promise<void>((resolve) => upstream.server.close(() => resolve()));
  });

  it('answers several invocations from one module-scope client over one kept-alive connection', async () => {
    vi.stubEnv('ROBOFLOW_CLIP_URL', upstream.url);
    vi.stubEnv('ROBOFLOW_API_KEY', KEY);
    const { handler } = await import('../../examples/aws-lambda/handler.js');
    const event = (image: string) => ({ body: JSON.stringify({ image, labels: ['raccoon', 'red car'] }) });

    const results = [];
    for (const image of ['https://example.com/raccoon.jpg', 'https://example.com/raccoon-2.jpg', 'https://example.com/raccoon-3.jpg']) {
      // Lambda's runtime fetches the next event between invocations: they never start in the same tick.
      await new Promise((resolve) => setImmediate(resolve));
      results.push(await handler(event(image)));
    }
    for (const result of results) {
      expect(result.statusCode, result.body).toBe(200);
      expect(JSON.parse(result.body).label).toBe('raccoon');
    }
    expect(upstream.connections()).toBe(1);
  });

  it('answers a bad request with 400 and sends nothing', async () => {
    const { handler } = await import('../../examples/aws-lambda/handler.js');
    const before = upstream.connections();
    const result = await handler({ body: JSON.stringify({ image: 'not a url', labels: ['cat'] }) });
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).error).toBe('ClipValidationError');
    expect(upstream.connections()).toBe(before);
  });
});

describe('examples/bundled-sdk', () => {
  let mock: MockServer;
  let dir: string;
  beforeAll(async () => {
    mock = await startMockServer({ apiKey: KEY });
    dir = await mkdtemp(join(tmpdir(), 'roboflow-clip-bundled-sdk-'));
  });
  afterAll(async () => {
    await mock.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('bundles roboflow-clip and its dependencies into one file that runs with no node_modules', async () => {
    const { buildPhotoTagger } = (await import(pathToFileURL(join(root, 'examples/bundled-sdk/build.mjs')).href)) as {
      buildPhotoTagger(outfile: string): Promise<{
        metafile: { inputs: Record<string, unknown>; outputs: Record<string, { imports: { path: string; external?: boolean }[] }> };
      }>;
    };
    const outfile = join(dir, 'photo-tagger.js');
    const { metafile } = await buildPhotoTagger(outfile);
    const externals = Object.values(metafile.outputs).flatMap((output) => output.imports.filter((i) => i.external).map((i) => i.path));
    expect(externals.filter((path) => !path.startsWith('node:') && !builtinModules.includes(path))).toEqual([]);
    const inputs = Object.keys(metafile.inputs).join('\n');
    for (const bundled of ['dist/index.js', 'node_modules/undici/', 'node_modules/zod/']) expect(inputs).toContain(bundled);

    // The temporary folder has no node_modules: everything the bundle needs is inside it.
    const { PhotoTagger } = await import(pathToFileURL(outfile).href);
    const tagger = new PhotoTagger({ baseUrl: mock.url, apiKey: KEY });
    const tags = await tagger.tag('https://example.com/raccoon.jpg', ['a red car', 'a raccoon']);
    await tagger.close();
    expect(tags.map((t: { label: string }) => t.label)).toEqual(['a raccoon', 'a red car']);
    expect(mock.requests).toHaveLength(1);
  });
});
