import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/index.js';
import type { CliIo } from '../src/cli/command.js';
import { printable } from '../src/cli/printable.js';
import { EmbeddingIndex } from '../src/vectors.js';
import { mockPng, startMockServer, type MockServer } from '../src/testing.js';
import { startStub } from './helpers/http.js';

const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;
let mock: MockServer;
let work: string;

beforeAll(async () => {
  mock = await startMockServer();
  work = await mkdtemp(join(tmpdir(), 'roboflow-clip-cli-index-'));
});
afterAll(async () => {
  await mock.close();
  await rm(work, { recursive: true, force: true });
});
beforeEach(() => {
  mock.requests.length = 0;
});

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function cli(argv: string[], extra: Partial<CliIo> = {}) {
  const stdout = sink();
  const stderr = sink();
  const io: CliIo = { stdout: stdout.stream, stderr: stderr.stream, env: { ROBOFLOW_CLIP_URL: mock.url }, stop: new AbortController().signal, ...extra };
  const code = await runCli(argv, io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

async function folder(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  for (const [path, words] of Object.entries(files)) await writeFile(join(dir, path), mockPng(words));
  return dir;
}

const PETS = { 'raccoon.jpg': 'a raccoon at night', 'dog.png': 'a dog on a beach', 'boat.jpeg': 'a sailing boat' };

describe('roboflow-clip index', () => {
  it('records the CLIP version it used in a new index, the server default when none is given, so that load with it works', async () => {
    const dir = await folder('version-default', PETS);
    const out = join(work, 'version-default.bin');
    expect((await cli(['index', dir, '--out', out])).code).toBe(0);
    const index = await EmbeddingIndex.load(out, { clipVersion: 'ViT-B-16' });
    expect(index.clipVersion).toBe('ViT-B-16');
    expect(mock.requests.map((r) => (r.body as { clip_version_id?: string }).clip_version_id)).toEqual(['ViT-B-16']);
  });

  it('sends --concurrency requests at once and refuses bad job flags as usage errors', async () => {
    const slow = await startMockServer({ latencyMs: 50 });
    try {
      const files = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`${i}.jpg`, `picture ${i}`]));
      const dir = await folder('concurrency', files);
      const started = performance.now();
      const run = await cli(['index', dir, '--out', join(work, 'concurrency.bin'), '--concurrency', '4', '--max-retries', '0', '--timeout', '5'], {
        env: { ROBOFLOW_CLIP_URL: slow.url },
      });
      expect(run.code).toBe(0);
      expect(slow.stats.requests).toBe(4);
      // Four requests of 50 ms one after another would take 200 ms.
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      await slow.close();
    }
    for (const flags of [['--concurrency', '0'], ['--max-retries', '-1'], ['--timeout', 'soon']]) {
      expect((await cli(['index', work, '--out', join(work, 'x.bin'), ...flags])).code).toBe(2);
    }
  });

  it('indexes regular files only: links to a device or a FIFO are left out, a link to a regular file is followed', async () => {
    const dir = await folder('special', PETS);
    await symlink('/dev/zero', join(dir, 'zero.jpg'));
    expect(spawnSync('mkfifo', [join(dir, 'fifo.jpg')]).status).toBe(0);
    await symlink(join(dir, 'fifo.jpg'), join(dir, 'to-fifo.jpg'));
    await symlink(join(dir, 'dog.png'), join(dir, 'link-to-dog.png'));
    const out = join(work, 'special.bin');
    const run = await cli(['index', dir, '--out', out]);
    expect(run.code).toBe(0);
    expect((await EmbeddingIndex.load(out)).ids().sort()).toEqual(['boat.jpeg', 'dog.png', 'link-to-dog.png', 'raccoon.jpg']);
  }, 10_000);

  it('escapes control characters in the file names and server messages it prints', async () => {
    const stub = await startStub((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'bad image \u001b]0;pwned\u0007 \u009b2J' }));
    });
    try {
      const dir = await folder('escape', { 'evil\u001b[2J.jpg': 'an image' });
      const run = await cli(['index', dir, '--out', join(work, 'escape.bin'), '--base-url', stub.url]);
      expect(run.code).toBe(1);
      expect(run.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(run.stderr).toContain('evil\\x1b[2J.jpg');
      expect(run.stderr).toContain('\\x1b]0;pwned\\x07 \\x9b2J');
    } finally {
      await stub.close();
    }
  });

  it('search prints ids read from an index escaped, as text and as JSON', async () => {
    const index = new EmbeddingIndex({ clipVersion: 'ViT-B-16' });
    index.add('\u009b31mred\u202e.jpg', Array.from({ length: 512 }, (_, i) => i + 1));
    const file = join(work, 'escape-search.bin');
    await index.save(file);
    for (const flags of [[], ['--json']]) {
      const run = await cli(['search', file, 'a query', ...flags]);
      expect(run.code).toBe(0);
      expect(run.stdout).not.toMatch(/[\u007f-\u009f\u202e]/);
    }
    const json = await cli(['search', file, 'a query', '--json']);
    expect((JSON.parse(json.stdout) as { id: string }[])[0]!.id).toBe('\u009b31mred\u202e.jpg');
  });

  it('--db says what to install when the PostgreSQL packages are missing', async () => {
    const missing = Object.assign(new Error("Cannot find package 'pg' imported from roboflow-clip/dist/pgvector.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    const run = await cli(['search', '--db', 'postgres://127.0.0.1/photos', 'a raccoon'], { importPgvector: () => Promise.reject(missing) });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--db needs the optional packages pg and pg-copy-streams: npm install pg pg-copy-streams/);
    expect(mock.requests).toEqual([]);
  });

  it('--db indexes into and searches the store the pgvector module opens', async () => {
    const stores = new Map<string, EmbeddingIndex>();
    let opened = 0;
    let closed = 0;
    const pgvector = {
      PgVectorStore: {
        async open({ connectionString, clipVersion }: { connectionString: string; clipVersion?: string }) {
          opened++;
          const store = stores.get(connectionString) ?? new EmbeddingIndex(clipVersion ? { clipVersion } : {});
          stores.set(connectionString, store);
          return Object.assign(store, { close: async () => void closed++ });
        },
      },
    };
    const url = 'postgres://clip@127.0.0.1/photos';
    const dir = await folder('db', PETS);
    const indexed = await cli(['index', dir, '--db', url], { importPgvector: async () => pgvector });
    expect(indexed.code).toBe(0);
    expect(indexed.stdout).toBe('indexed 3 new image(s) into the database (0 already there, 0 failed); 3 in the index\n');
    const again = await cli(['index', dir, '--db', url], { importPgvector: async () => pgvector });
    expect(again.stdout).toMatch(/indexed 0 new image\(s\).*3 already there/);
    const found = await cli(['search', '--db', url, 'a raccoon at night', '-k', '1'], { importPgvector: async () => pgvector });
    expect(found.stdout).toMatch(/^\d\.\d{4} {2}raccoon\.jpg\n$/);
    expect([opened, closed]).toEqual([3, 3]);
  });

  it.runIf(process.env.ROBOFLOW_CLIP_TEST_PG)('--db indexes into a real PostgreSQL table, resumes, and searches it', async () => {
    const table = `cli_${process.pid}_${Date.now()}`;
    const url = process.env.ROBOFLOW_CLIP_TEST_PG!;
    const pgvector = () => import('../src/pgvector.js');
    const dir = await folder('db-real', PETS);
    const indexed = await cli(['index', dir, '--db', url, '--table', table], { importPgvector: pgvector });
    expect(indexed.code).toBe(0);
    expect(indexed.stdout).toBe('indexed 3 new image(s) into the database (0 already there, 0 failed); 3 in the index\n');
    const again = await cli(['index', dir, '--db', url, '--table', table], { importPgvector: pgvector });
    expect(again.stdout).toMatch(/indexed 0 new image\(s\).*3 already there/);
    const found = await cli(['search', '--db', url, '--table', table, 'a raccoon at night', '-k', '1'], { importPgvector: pgvector });
    expect(found.stdout).toMatch(/^\d\.\d{4} {2}raccoon\.jpg\n$/);
    const missing = await cli(['search', '--db', url, '--table', `${table}_none`, 'a raccoon'], { importPgvector: pgvector });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
  });

  it('on Ctrl+C (SIGINT) a running process saves what it indexed and stops', async () => {
    const slow = await startMockServer({ latencyMs: 150 });
    try {
      const files = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`${i}.jpg`, `picture ${i}`]));
      const dir = await folder('sigint', files);
      const out = join(work, 'sigint.bin');
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'index', dir, '--out', out, '--concurrency', '1'], {
        env: { ...process.env, ROBOFLOW_CLIP_URL: slow.url },
        stdio: 'pipe',
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
      const exited = once(child, 'exit');
      while (slow.stats.requests < 3) await new Promise((resolve) => setTimeout(resolve, 20));
      child.kill('SIGINT');
      const [code] = await exited;
      expect(code).toBe(0);
      const saved = await EmbeddingIndex.load(out);
      expect(saved.size).toBeGreaterThanOrEqual(16);
      expect(saved.size).toBeLessThan(400);
      expect(stdout).toBe(`indexed ${saved.size} new image(s) into ${out} (0 already there, 0 failed); ${saved.size} in the index\n`);
    } finally {
      await slow.close();
    }
  }, 30_000);
});

describe('printable', () => {
  it('escapes C0 and C1 controls, DEL and bidirectional overrides, and leaves other text alone', () => {
    expect(printable('a\u001b[31mb\nc\u007f\u009b\u202eé漢')).toBe('a\\x1b[31mb\\x0ac\\x7f\\x9b\\u202eé漢');
  });
});

describe('readImageFile', () => {
  it('refuses a FIFO at once instead of waiting for a writer, and a file over the cap without reading it whole', async () => {
    const { readImageFile } = await import('../src/cli/image-files.js');
    const fifo = join(work, 'plain-fifo.jpg');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await expect(readImageFile(fifo, 1024)).rejects.toThrow(/not a regular file/);
    const big = join(work, 'big.jpg');
    await writeFile(big, new Uint8Array(2048).fill(7));
    await expect(readImageFile(big, 1024)).rejects.toThrow(/larger than 1024 bytes/);
    expect((await readImageFile(big, 2048)).value).toBe(Buffer.from(new Uint8Array(2048).fill(7)).toString('base64'));
  });
});
