// The runtime matrix in a real browser: a page bundled by esbuild from the packed package runs in
// headless Chromium (Debian's, installed by scripts/ci/chromium.sh; never a browser download) and calls
// the mock server on another loopback origin, through CORS, with no API key.
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMockServer, type MockServer } from '../../src/testing.js';

const root = new URL('../..', import.meta.url).pathname;
const consumerDir = inject('consumerDir');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let pageDir: string;
let pages: Server;
let pageOrigin: string;
let mock: MockServer;

beforeAll(async () => {
  // Beside the packed install, so that the page's 'roboflow-clip' is the package users get.
  pageDir = await mkdtemp(join(consumerDir, 'browser-'));
  await copyFile(join(root, 'test/packed/browser-page.mjs'), join(pageDir, 'page.mjs'));
  await writeFile(join(pageDir, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="page.js"></script>');
  pages = createServer(async (req, res) => {
    const file = new URL(req.url ?? '/', 'http://page.invalid').pathname === '/page.js' ? 'page.js' : 'index.html';
    const type = file.endsWith('.js') ? 'text/javascript' : 'text/html';
    res.writeHead(200, { 'content-type': type }).end(await readFile(join(pageDir, file)));
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  mock = await startMockServer({ corsOrigins: [pageOrigin] });
});

afterAll(async () => {
  await mock?.close();
  await new Promise((resolve) => pages?.close(resolve));
  await rm(pageDir, { recursive: true, force: true });
});

describe('runtime matrix: browser', () => {
  it('headless Chromium: the browser build runs embedText, compare, classify and an EmbeddingIndex search against the mock', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/ci/chromium.sh`).toBe(true);
    const bundle = await build({
      entryPoints: [join(pageDir, 'page.mjs')],
      outfile: join(pageDir, 'page.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.some((path) => path.includes('roboflow-clip/dist/edge/index.js'))).toBe(true);
    expect(inputs.filter((path) => path.includes('undici') || path.includes('node:'))).toEqual([]);

    const profile = await mkdtemp(join(tmpdir(), 'roboflow-clip-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      await page.goto(`${pageOrigin}/?mock=${encodeURIComponent(mock.url)}`);
      const verdict = await page.evaluate(() => (window as unknown as { verdict: Promise<{ ok: boolean }> }).verdict);
      expect({ verdict, errors }).toEqual({ verdict: { ok: true, userAgent: expect.stringMatching(/HeadlessChrome|Chrome/) }, errors: [] });
    } finally {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    }
    // The calls crossed origins: each POST was preceded by the browser's preflight, answered by the mock.
    const fromPage = mock.requests.filter((request) => request.headers.origin === pageOrigin);
    expect(fromPage.some((request) => request.method === 'OPTIONS')).toBe(true);
    expect(fromPage.filter((request) => request.method === 'POST').map((request) => request.path)).toEqual(
      expect.arrayContaining(['/clip/embed_text', '/clip/compare', '/clip/embed_image']),
    );
  });
});
