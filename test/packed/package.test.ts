// What the packed package holds and how its metadata reads to the tools that check packages.
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const installed = join(inject('consumerDir'), 'node_modules/roboflow-clip');
const tarball = inject('tarball');

/**
 * The SDK's own code an application loads with `import ... from 'roboflow-clip'` (the client with every
 * method, the errors, the constants), dependencies left out, minified and gzipped: 23.9 kB at most,
 * about 0.1 kB over today's build (reading embedding answers from their bytes, 1.3-1.4x faster than
 * JSON.parse, is 1.2 kB of it; splicing large base64 images into the body, 0.4 kB).
 */
const SIZE_BUDGET_BYTES = 23_900;
/** The vector index and the similarity math, which only applications that import `roboflow-clip/vectors` load. */
const VECTORS_BUDGET_BYTES = 5_500;

async function minGzipSize(entry: string, conditions: string[]): Promise<number> {
  const { outputFiles } = await build({
    entryPoints: [join(installed, entry)],
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    conditions,
    packages: 'external',
    external: ['node:*'],
    logLevel: 'silent',
  });
  return gzipSync(outputFiles[0]!.contents, { level: 9 }).byteLength;
}

describe('contents', () => {
  it('ships only dist/, README.md, LICENSE and package.json', () => {
    const outside = inject('packedFiles').filter((path) => !path.startsWith('dist/') && !['README.md', 'LICENSE', 'package.json'].includes(path));
    expect(outside).toEqual([]);
  });

  it('declares no side effects, so bundlers drop what a user does not import', async () => {
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as { sideEffects?: unknown };
    expect(manifest.sideEffects).toBe(false);
  });

  it('installs the roboflow-clip bin: dist/cli.js, with a node shebang, executable', async () => {
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
    expect(manifest.bin).toEqual({ 'roboflow-clip': './dist/cli.js' });
    expect((await readFile(join(installed, 'dist/cli.js'), 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
    expect((await stat(join(installed, 'dist/cli.js'))).mode & 0o111).not.toBe(0);
  });

  it('keeps undici out of the edge build, and only there', async () => {
    const edgeFiles = (await readdir(join(installed, 'dist/edge'))).filter((name) => name.endsWith('.js'));
    const edge = await Promise.all(edgeFiles.map((name) => readFile(join(installed, 'dist/edge', name), 'utf8')));
    const node = await readFile(join(installed, 'dist/index.js'), 'utf8');
    expect(edgeFiles).toEqual(expect.arrayContaining(['index.js', 'vectors.js']));
    for (const code of edge) expect(code).not.toMatch(/from ['"]undici['"]|import\(['"]undici['"]\)/);
    expect(node).toMatch(/from ['"]undici['"]/);
  });
});

describe('edge build', () => {
  it('bundles for Workers and browsers with every export kept, leaving no node: module for the bundler to resolve', async () => {
    const { metafile } = await build({
      entryPoints: [join(installed, 'dist/edge/index.js'), join(installed, 'dist/edge/vectors.js')],
      outdir: 'out',
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      conditions: ['workerd', 'worker', 'browser'],
      packages: 'external',
      metafile: true,
      logLevel: 'silent',
    });
    const imports = Object.values(metafile.outputs).flatMap((output) => output.imports.map((i) => i.path));
    expect([...new Set(imports)]).toEqual(['zod']);
  });
});

describe('package checkers', () => {
  it('has no publint messages, suggestions included', async () => {
    const bytes = await readFile(tarball);
    const packed = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const { messages, pkg } = await publint({ pack: { tarball: packed }, level: 'suggestion', strict: true });
    expect(messages.map((message) => formatMessage(message, pkg))).toEqual([]);
  });

  // The node16 profile leaves out node10 resolution, which cannot see subpath exports at all.
  it('has no problems in @arethetypeswrong/cli (node16 from CJS and ESM, bundler)', async () => {
    const result = await run(join(root, 'node_modules/.bin/attw'), [tarball, '--profile', 'node16', '--format', 'ascii', '--no-color']).catch(
      (error: { stdout: string; code: number }) => error,
    );
    expect('code' in result ? result.stdout : '').toBe('');
  });
});

describe('size', () => {
  it(`keeps the root entry under ${SIZE_BUDGET_BYTES} B min+gzip, dependencies external, in the Node and edge builds`, async () => {
    const node = await minGzipSize('dist/index.js', ['import']);
    const edge = await minGzipSize('dist/edge/index.js', ['workerd', 'worker', 'browser']);
    console.log(`roboflow-clip min+gzip: node build ${node} B, edge build ${edge} B (budget ${SIZE_BUDGET_BYTES} B)`);
    expect(node).toBeLessThan(SIZE_BUDGET_BYTES);
    expect(edge).toBeLessThan(SIZE_BUDGET_BYTES);
  });

  it(`keeps roboflow-clip/vectors under ${VECTORS_BUDGET_BYTES} B min+gzip on its own`, async () => {
    const vectors = await minGzipSize('dist/vectors.js', ['import']);
    console.log(`roboflow-clip/vectors min+gzip: ${vectors} B (budget ${VECTORS_BUDGET_BYTES} B)`);
    expect(vectors).toBeLessThan(VECTORS_BUDGET_BYTES);
  });
});
