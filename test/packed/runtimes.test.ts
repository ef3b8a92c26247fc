// The runtime matrix: the smoke test (all three routes and a wrong-key error) of the packed package in
// each runtime our users run, against the mock server in this process. Runtimes come from the npm
// registry: Bun, Deno and workerd as pinned devDependencies, Node 22 and 24 through `npm exec`
// (a `node` devDependency would put its binary first on the PATH of every npm script).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMockServer, type MockServer } from '../../src/testing.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = (name: string) => join(root, 'node_modules/.bin', name);
const version = (name: string) => (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
const consumerDir = inject('consumerDir');
const KEY = 'runtime-matrix-key';
const NODE_22 = 'node@22.23.3';
const NODE_24 = 'node@24.9.0';

let mock: MockServer;

beforeAll(async () => {
  mock = await startMockServer({ apiKey: KEY });
  await copyFile(join(root, 'test/packed/smoke.mjs'), join(consumerDir, 'smoke.mjs'));
});
afterAll(() => mock.close());

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a process to its end, killing it after `timeoutMs`. */
function execute(command: string, args: string[], env: Record<string, string>, timeoutMs = 100_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: consumerDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs smoke.mjs and checks its verdict, showing the runtime's own output when it fails. */
async function smoke(command: string, args: string[], build: 'node' | 'edge', transport?: 'fetch'): Promise<void> {
  const env = { ROBOFLOW_CLIP_URL: mock.url, ROBOFLOW_API_KEY: KEY, SMOKE_BUILD: build, ...(transport ? { SMOKE_TRANSPORT: transport } : {}) };
  const { code, stdout, stderr } = await execute(command, [...args, 'smoke.mjs'], env);
  const verdict = stdout.trim().split('\n').at(-1) ?? '';
  expect({ code, verdict }, `stdout:\n${stdout}\nstderr:\n${stderr}`).toEqual({
    code: 0,
    verdict: JSON.stringify({ ok: true, build, transport: transport ?? 'default' }),
  });
}

// The node package's install script runs a nested `npm install`, which refuses an --allow-scripts flag it inherits.
const npmExecNode = (version: string) => ['exec', '--yes', `--package=${version}`, '--', 'node'];

describe('runtime matrix', () => {
  it(`Node ${process.versions.node} (this machine): the Node build over undici`, () => smoke(process.execPath, [], 'node'));

  it(`Node ${process.versions.node} (this machine): the Node build over the fetch option`, () =>
    smoke(process.execPath, [], 'node', 'fetch'));

  it(`Node 22 (${NODE_22}): the Node build`, () => smoke('npm', npmExecNode(NODE_22), 'node'));

  it(`Node 24 (${NODE_24}): the Node build`, () => smoke('npm', npmExecNode(NODE_24), 'node'));

  it(`Bun ${version('bun')}: the edge build over its fetch`, () => smoke(bin('bun'), [], 'edge'));

  it(`Deno ${version('deno')}: the edge build over its fetch`, () =>
    smoke(bin('deno'), ['run', '--allow-net=127.0.0.1', '--allow-env', '--allow-read', '--no-lock'], 'edge'));

  it(`workerd ${version('workerd')}: the Cloudflare Worker example, bundled as wrangler does, calls the mock server`, async () => {
    // Beside the packed install, so that the example's 'roboflow-clip' is the package users get.
    const dir = await mkdtemp(join(consumerDir, 'workerd-'));
    try {
      await copyFile(join(root, 'examples/cloudflare-worker/src/index.ts'), join(dir, 'index.ts'));
      const bundle = await build({
        entryPoints: [join(dir, 'index.ts')],
        outfile: join(dir, 'worker.js'),
        bundle: true,
        format: 'esm',
        platform: 'neutral',
        mainFields: ['module', 'main'],
        conditions: ['workerd', 'worker', 'browser'],
        metafile: true,
        logLevel: 'silent',
      });
      const inputs = Object.keys(bundle.metafile.inputs);
      expect(inputs.some((path) => path.includes('roboflow-clip/dist/edge/index.js'))).toBe(true);
      expect(inputs.filter((path) => path.includes('undici'))).toEqual([]);
      await copyFile(join(root, 'test/packed/workerd.capnp'), join(dir, 'workerd.capnp'));
      await callWorker(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Serves the bundled worker in workerd and runs the smoke checks through its routes. */
async function callWorker(dir: string): Promise<void> {
  const child = spawn(bin('workerd'), ['serve', join(dir, 'workerd.capnp'), '--control-fd=3'], {
    env: { ...process.env, ROBOFLOW_CLIP_URL: mock.url, ROBOFLOW_API_KEY: KEY },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  mock.requests.length = 0;
  let log = '';
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk));
  try {
    const ports = await listeningPorts(child.stdio[3] as NodeJS.ReadableStream, ['http', 'http-wrong-key'], () => log);
    const post = async (socket: string, path: string, body: unknown) => {
      const response = await fetch(`http://127.0.0.1:${ports[socket]}${path}`, { method: 'POST', body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    };
    const text = await post('http', '/embed-text', { text: ['a photo of a cat', 'a photo of a dog'] });
    expect(text.status, JSON.stringify(text.body)).toBe(200);
    expect(text.body.embeddings.map((e: number[]) => e.length)).toEqual([512, 512]);

    const image = await post('http', '/embed-image', { image: ['https://example.com/raccoon.jpg'] });
    expect(image.status, JSON.stringify(image.body)).toBe(200);
    expect(image.body.embeddings[0]).toHaveLength(512);

    const classified = await post('http', '/classify', { image: 'https://example.com/raccoon.jpg', labels: ['raccoon', 'red car'] });
    expect(classified.status, JSON.stringify(classified.body)).toBe(200);
    expect(classified.body.label).toBe('raccoon');

    const refused = await post('http-wrong-key', '/embed-text', { text: 'a cat' });
    expect(refused).toMatchObject({ status: 502, body: { error: 'ClipAuthenticationError', upstreamStatus: 401 } });
    expect(JSON.stringify(refused.body)).not.toContain('wrong-key-for-the-error-path');
    expect(mock.requests.filter((r) => r.query.api_key === KEY)).toHaveLength(3);
  } finally {
    child.kill();
  }
}

/** The ports workerd reports on its control descriptor once each socket listens. */
function listeningPorts(control: NodeJS.ReadableStream, sockets: string[], log: () => string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const ports: Record<string, number> = {};
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`workerd did not start:\n${log()}`)), 30_000);
    control.on('data', (chunk: Buffer) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const event = JSON.parse(line) as { event: string; socket: string; port: number };
        if (event.event === 'listen') ports[event.socket] = event.port;
      }
      if (sockets.every((s) => s in ports)) {
        clearTimeout(timer);
        resolve(ports);
      }
    });
    control.on('end', () => reject(new Error(`workerd exited:\n${log()}`)));
  });
}
