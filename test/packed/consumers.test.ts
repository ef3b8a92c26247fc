// The packed package as its users load it: require() from CommonJS, import from ESM, a TypeScript
// check under node16 and bundler resolution, one esbuild bundle with everything in it, and the bin.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMockServer, type MockServer } from '../../src/testing.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const consumerDir = inject('consumerDir');
const KEY = 'consumer-key';
let mock: MockServer;

beforeAll(async () => {
  mock = await startMockServer({ apiKey: KEY });
});
afterAll(() => mock.close());

/** Writes a file into the consumer folder and returns its path. */
async function consumerFile(name: string, text: string): Promise<string> {
  const path = join(consumerDir, name);
  await writeFile(path, text);
  return path;
}

async function node(script: string, cwd = consumerDir): Promise<string> {
  const env = { ...process.env, ROBOFLOW_CLIP_URL: mock.url, ROBOFLOW_API_KEY: KEY };
  const { stdout } = await run(process.execPath, [script], { cwd, env });
  return stdout.trim();
}

// The same calls in either module system: embed a text, and check a wrong key's typed error.
const BODY = `
  const clip = new ClipClient();
  const { embeddings } = await clip.embedText({ text: 'a cat' });
  await clip.close();
  const error = await new ClipClient({ apiKey: 'wrong' }).embedText({ text: 'a cat' }).catch((e) => e);
  console.log(JSON.stringify({ length: embeddings[0].length, wrongKey: error instanceof ClipApiError && error.status }));`;
const EXPECTED = JSON.stringify({ length: 512, wrongKey: 401 });

describe('module systems', () => {
  it('loads with require() from CommonJS, main entry and testing subpath', async () => {
    const script = await consumerFile(
      'consumer.cjs',
      `const { ClipClient, ClipApiError } = require('roboflow-clip');
       const { startMockServer } = require('roboflow-clip/testing');
       if (typeof startMockServer !== 'function') throw new Error('roboflow-clip/testing did not load');
       (async () => { ${BODY} })().catch((e) => { console.error(e); process.exitCode = 1; });`,
    );
    expect(await node(script)).toBe(EXPECTED);
  });

  it('loads with import from an ES module, main entry and testing subpath', async () => {
    const script = await consumerFile(
      'consumer.mjs',
      `import { ClipClient, ClipApiError } from 'roboflow-clip';
       import { startMockServer } from 'roboflow-clip/testing';
       if (typeof startMockServer !== 'function') throw new Error('roboflow-clip/testing did not load');
       ${BODY}`,
    );
    expect(await node(script)).toBe(EXPECTED);
  });
});

describe('both builds in one process', () => {
  it("recognises the errors of the CommonJS build with the ES module build's classes, and back", async () => {
    const script = await consumerFile(
      'dual.mjs',
      `import { createRequire } from 'node:module';
       import * as esm from 'roboflow-clip';
       const cjs = createRequire(import.meta.url)('roboflow-clip');
       const fail = (lib) => new lib.ClipClient({ apiKey: 'wrong', maxRetries: 0 }).embedText({ text: 'a cat' }).catch((e) => e);
       const [fromCjs, fromEsm] = [await fail(cjs), await fail(esm)];
       const is = (error, lib) => [lib.ClipAuthenticationError, lib.ClipApiError, lib.ClipRequestError, lib.ClipError].every((type) => error instanceof type);
       console.log(JSON.stringify({ distinct: cjs.ClipError !== esm.ClipError, cjsInEsm: is(fromCjs, esm), esmInCjs: is(fromEsm, cjs), notServer: !(fromCjs instanceof esm.ClipServerError) }));`,
    );
    expect(await node(script)).toBe(JSON.stringify({ distinct: true, cjsInEsm: true, esmInCjs: true, notServer: true }));
  });
});

// The vector index throws the same error classes the client entry exports, in either module system.
const VECTORS_BODY = `
  const index = new EmbeddingIndex({ dimension: 2 });
  const error = (() => { try { index.add('a', [1, 2, 3]); } catch (e) { return e; } })();
  console.log(JSON.stringify({ same: error instanceof EmbeddingIndexError && error instanceof ClipError, code: error.code, cosine: cosineSimilarity([1, 0], [1, 0]) }));`;
const VECTORS_EXPECTED = JSON.stringify({ same: true, code: 'dimension_mismatch', cosine: 1 });

describe('the vectors subpath', () => {
  it('throws the error classes of the main entry, from CommonJS', async () => {
    const script = await consumerFile(
      'vectors.cjs',
      `const { ClipError, EmbeddingIndexError } = require('roboflow-clip');
       const { EmbeddingIndex, cosineSimilarity } = require('roboflow-clip/vectors');
       ${VECTORS_BODY}`,
    );
    expect(await node(script)).toBe(VECTORS_EXPECTED);
  });

  it('throws the error classes of the main entry, from an ES module', async () => {
    const script = await consumerFile(
      'vectors.mjs',
      `import { ClipError, EmbeddingIndexError } from 'roboflow-clip';
       import { EmbeddingIndex, cosineSimilarity } from 'roboflow-clip/vectors';
       ${VECTORS_BODY}`,
    );
    expect(await node(script)).toBe(VECTORS_EXPECTED);
  });
});

describe('TypeScript consumers', () => {
  const source = `
    import { ClipApiError, ClipClient, type ClipClientOptions, type EmbeddingResult, type FetchFunction } from 'roboflow-clip';
    import { startMockServer, type MockServer } from 'roboflow-clip/testing';
    import { EmbeddingIndex as RootIndex } from 'roboflow-clip';

    const viaFetch: FetchFunction = (url, init) => fetch(url, init);
    export const withGlobalFetch = new ClipClient({ apiKey: null, fetch });
    const options: ClipClientOptions = { apiKey: null, baseUrl: 'http://127.0.0.1:9001', fetch: viaFetch, maxRetries: 1 };
    export async function consume(server: MockServer): Promise<number> {
      const clip = new ClipClient({ ...options, baseUrl: server.url });
      const result: EmbeddingResult = await clip.embedText({ text: ['a cat'] });
      const named = await clip.compare({ subject: 'https://example.com/a.jpg', prompt: { cat: 'a cat' } });
      const score: number = named.similarity.cat;
      // @ts-expect-error: an unknown field is a type error
      await clip.embedText({ text: 'a cat', colour: 'red' });
      // @ts-expect-error: the root entry names the index's type; the class comes from roboflow-clip/vectors
      new RootIndex();
      return result.embeddings.length + score + result.meta.status;
    }
    export const isApiError = (e: unknown): e is ClipApiError => e instanceof ClipApiError;
    export const start = startMockServer;
  `;

  async function typecheck(name: string, compilerOptions: Record<string, unknown>, files: Record<string, string>): Promise<void> {
    const dir = await mkdtemp(join(consumerDir, `${name}-`));
    for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
    const tsconfig = {
      compilerOptions: { strict: true, noEmit: true, target: 'ES2022', lib: ['ES2022'], types: ['node'], skipLibCheck: false, ...compilerOptions },
      include: ['*.ts', '*.mts', '*.cts'],
    };
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    const result = await run(join(root, 'node_modules/.bin/tsc'), ['-p', dir]).catch((e: { stdout: string }) => e);
    await rm(dir, { recursive: true, force: true });
    expect('stdout' in result ? result.stdout : '').toBe('');
  }

  it('type-checks under module and moduleResolution node16, from ESM and from CommonJS', () =>
    typecheck('node16', { module: 'node16', moduleResolution: 'node16' }, {
      'consumer.mts': source,
      'consumer.cts': `import { ClipClient } from 'roboflow-clip';\nexport const make = () => new ClipClient({ apiKey: null });\n`,
    }));

  it('type-checks under moduleResolution bundler', () =>
    typecheck('bundler', { module: 'esnext', moduleResolution: 'bundler' }, { 'consumer.ts': source }));

  it('type-checks under exactOptionalPropertyTypes and noUncheckedIndexedAccess', () =>
    typecheck('exact', { module: 'esnext', moduleResolution: 'bundler', exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true }, {
      'consumer.ts': source,
    }));

  // TypeScript's default for module commonjs reads no exports map: typesVersions leads it to the subpaths.
  it('resolves every subpath under moduleResolution node', () =>
    typecheck('node10', { module: 'commonjs', moduleResolution: 'node', skipLibCheck: true }, {
      'consumer.ts': `
        import { ClipClient } from 'roboflow-clip';
        import { EmbeddingIndex } from 'roboflow-clip/vectors';
        import { startMockServer } from 'roboflow-clip/testing';
        import type { ClipHandlersOptions } from 'roboflow-clip/msw';
        export const made = [new ClipClient({ apiKey: null }), new EmbeddingIndex({ dimension: 2 }), startMockServer];
        export const handlers: ClipHandlersOptions = { baseUrl: 'http://127.0.0.1:9001' };
      `,
    }));
});

describe('bundled consumers', () => {
  it('runs as one esbuild bundle for Node, the SDK and its dependencies inside, from a folder without node_modules', async () => {
    const entry = await consumerFile('bundle-entry.mjs', `import { ClipClient, ClipApiError } from 'roboflow-clip';\n(async () => { ${BODY} })();`);
    const outDir = await mkdtemp(join(tmpdir(), 'roboflow-clip-bundle-'));
    try {
      const outfile = join(outDir, 'bundle.cjs');
      // CommonJS output: undici require()s Node's built-in modules, which an ES module bundle cannot without a shim.
      const { metafile } = await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', metafile: true, logLevel: 'silent' });
      const inputs = Object.keys(metafile.inputs).join('\n');
      for (const bundled of ['roboflow-clip/dist/index.js', 'undici/', 'zod/']) expect(inputs).toContain(bundled);
      const script = await writeFile(join(outDir, 'run.cjs'), `require('./bundle.cjs');`).then(() => join(outDir, 'run.cjs'));
      expect(await node(script, outDir)).toBe(EXPECTED);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });
});

describe('the roboflow-clip bin', () => {
  it('is installed on the PATH of npm scripts and embeds a text against the mock server', async () => {
    const { stdout } = await run(join(consumerDir, 'node_modules/.bin/roboflow-clip'), ['embed-text', 'a cat'], {
      env: { ...process.env, ROBOFLOW_CLIP_URL: mock.url, ROBOFLOW_API_KEY: KEY },
    });
    const line = JSON.parse(stdout) as { text: string; embedding: number[] };
    expect(line.text).toBe('a cat');
    expect(line.embedding).toHaveLength(512);
  });
});
