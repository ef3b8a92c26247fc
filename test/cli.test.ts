import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/index.js';
import type { CliIo } from '../src/cli/command.js';
import { ClipClient } from '../src/index.js';
import { mockPng, startMockServer, type MockServer } from '../src/testing.js';
import { reply, startStub } from './helpers/http.js';

const KEY = 'CANARY-CLI-KEY-5d1e';
const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;
let mock: MockServer;
let dir: string;

beforeAll(async () => {
  mock = await startMockServer({ apiKey: KEY });
  dir = await mkdtemp(join(tmpdir(), 'roboflow-clip-cli-'));
});
afterAll(async () => {
  await mock.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  mock.requests.length = 0;
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON Lines. */
  readonly lines: Record<string, unknown>[];
}

/** Runs the CLI in this process, with the mock server's URL and key in its environment unless `env` replaces them. */
async function cli(argv: string[], options: { env?: Record<string, string | undefined>; tty?: boolean } = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.tty ?? false },
    env: options.env ?? { ROBOFLOW_CLIP_URL: mock.url, ROBOFLOW_API_KEY: KEY },
    stop: new AbortController().signal,
  };
  const code = await runCli(argv, io);
  return {
    code,
    stdout,
    stderr,
    get lines() {
      return stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    },
  };
}

/** Image files with distinct descriptions, so each gets its own embedding. */
async function imageFiles(count: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const path = join(dir, `image-${i}.jpg`);
      await writeFile(path, mockPng(`image ${i}`));
      return path;
    }),
  );
}

async function direct<T>(call: (clip: ClipClient) => Promise<T>): Promise<T> {
  const clip = new ClipClient({ baseUrl: mock.url, apiKey: KEY });
  try {
    return await call(clip);
  } finally {
    await clip.close();
  }
}

describe('embed-text', () => {
  it('prints one JSON line per text, in order, with the embedding the API returned', async () => {
    const run = await cli(['embed-text', 'a photo of a cat', 'a photo of a dog']);
    const { embeddings } = await direct((clip) => clip.embedText({ text: ['a photo of a cat', 'a photo of a dog'] }));
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      { text: 'a photo of a cat', embedding: embeddings[0] },
      { text: 'a photo of a dog', embedding: embeddings[1] },
    ]);
    expect(run.stderr).toBe('');
  });

  it('takes texts that start with a dash after --', async () => {
    const run = await cli(['embed-text', '--', '--help', '-h']);
    expect(run.lines.map((line) => line.text)).toEqual(['--help', '-h']);
  });
});

describe('embed-image', () => {
  it('sends 8 images per request and prints one line per image, in order', async () => {
    const files = await imageFiles(19);
    const run = await cli(['embed-image', ...files, 'https://example.com/raccoon.jpg']);
    expect(run.code).toBe(0);
    expect(run.lines.map((line) => line.image)).toEqual([...files, 'https://example.com/raccoon.jpg']);
    expect(mock.requests.map((r) => (r.body as { image: unknown[] }).image.length)).toEqual([8, 8, 4]);
    expect((mock.requests[2]!.body as { image: unknown[] }).image[3]).toEqual({ type: 'url', value: 'https://example.com/raccoon.jpg' });
    const { embeddings } = await direct((clip) => clip.embedImage({ image: 'https://example.com/raccoon.jpg' }));
    expect(run.lines[19]!.embedding).toEqual(embeddings[0]);
  });

  it('draws a progress bar on stderr when stderr is a terminal', async () => {
    const run = await cli(['embed-image', ...(await imageFiles(10))], { tty: true });
    expect(run.stderr).toContain('\r[');
    expect(run.stderr).toContain('10/10 images');
    expect(run.lines).toHaveLength(10);
  });

  it('draws no progress bar when stderr is not a terminal', async () => {
    const run = await cli(['embed-image', ...(await imageFiles(10))], { tty: false });
    expect(run.stderr).toBe('');
  });

  it('reports a missing file as one line with exit code 1', async () => {
    const run = await cli(['embed-image', join(dir, 'missing.jpg')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^roboflow-clip embed-image: .*missing\.jpg.*\n$/);
  });
});

describe('compare', () => {
  it('prints one similarity per prompt, in order, batching past 8 prompts', async () => {
    const prompts = Array.from({ length: 10 }, (_, i) => `prompt number ${i}`);
    const run = await cli(['compare', 'https://example.com/cat.jpg', ...prompts]);
    expect(mock.requests.map((r) => (r.body as { prompt: unknown[] }).prompt.length)).toEqual([8, 2]);
    const { similarity } = await direct((clip) => clip.compare({ subject: 'https://example.com/cat.jpg', prompt: prompts.slice(8) }));
    expect(run.code).toBe(0);
    expect(run.lines.map((line) => line.prompt)).toEqual(prompts);
    expect(run.lines.slice(8).map((line) => line.similarity)).toEqual(similarity);
  });

  it('compares a text subject with image prompts given as files', async () => {
    const files = await imageFiles(2);
    const run = await cli(['compare', '--subject-type', 'text', '--prompt-type', 'image', 'a raccoon', ...files]);
    expect(run.code).toBe(0);
    expect(mock.requests[0]!.body).toMatchObject({ subject: 'a raccoon', subject_type: 'text', prompt_type: 'image' });
    expect(run.lines).toHaveLength(2);
  });

  it('refuses an unknown --subject-type as a usage error', async () => {
    const run = await cli(['compare', '--subject-type', 'video', 'x', 'y']);
    expect(run.code).toBe(2);
    expect(mock.requests).toHaveLength(0);
  });
});

describe('configuration', () => {
  it('reads ROBOFLOW_API_KEY and ROBOFLOW_CLIP_URL', async () => {
    const run = await cli(['embed-text', 'a cat']);
    expect(run.code).toBe(0);
    expect(mock.requests[0]!.query.api_key).toBe(KEY);
  });

  it('lets --base-url and --api-key win over the environment', async () => {
    const run = await cli(['embed-text', '--base-url', mock.url, '--api-key', KEY, 'a cat'], {
      env: { ROBOFLOW_CLIP_URL: 'http://127.0.0.1:9', ROBOFLOW_API_KEY: 'stale-key' },
    });
    expect(run.code).toBe(0);
    expect(mock.requests[0]!.query.api_key).toBe(KEY);
  });

  it('refuses an unknown --clip-version before sending', async () => {
    const run = await cli(['embed-text', '--clip-version', 'ViT-X', 'a cat']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('ViT-B-16');
    expect(mock.requests).toHaveLength(0);
  });
});

describe('help and errors', () => {
  it.each(['embed-text', 'embed-image', 'compare', 'mock-server'])('prints the help of %s for --help, with exit code 0', async (name) => {
    const run = await cli([name, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: roboflow-clip ${name} `));
    expect(mock.requests).toHaveLength(0);
  });

  it('lists every command for --help', async () => {
    const run = await cli(['--help']);
    for (const name of ['embed-text', 'embed-image', 'compare', 'mock-server']) expect(run.stdout).toContain(`  ${name}`);
  });

  it('reports an unknown command and an unknown option as one line with exit code 2', async () => {
    const unknownCommand = await cli(['embed-video', 'x']);
    const unknownOption = await cli(['embed-text', '--colour', 'x']);
    for (const run of [unknownCommand, unknownOption]) {
      expect(run.code).toBe(2);
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    expect(unknownOption.stderr).toContain('--colour');
  });

  it('reports a wrong key as one line with exit code 1 and a hint', async () => {
    const run = await cli(['embed-text', '--api-key', 'not-the-key', 'a cat']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^roboflow-clip embed-text: HTTP 401 .*ROBOFLOW_API_KEY.*\n$/);
  });

  it('never prints the key, even when the server echoes the request URL', async () => {
    const echo = await startStub((req, res) => reply(400, { message: `bad request to ${req.url}` })(req, res));
    const fromEnv = await cli(['embed-text', 'a cat'], { env: { ROBOFLOW_CLIP_URL: echo.url, ROBOFLOW_API_KEY: KEY } });
    const fromFlag = await cli(['embed-text', `--api-key=${KEY}`, '--base-url', echo.url, 'a cat'], { env: {} });
    await echo.close();
    expect(echo.requests.every((r) => r.url.includes(KEY))).toBe(true);
    for (const run of [fromEnv, fromFlag]) {
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('bad request to /clip/embed_text');
      expect(run.stderr + run.stdout).not.toContain(KEY);
    }
  });
});

describe('the roboflow-clip process', () => {
  function start(argv: string[], env: Record<string, string> = {}) {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...argv], { env: { ...process.env, ...env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    return { child, output: () => ({ stdout, stderr }) };
  }

  it('exits non-zero with one line and no stack trace when a call fails', async () => {
    const { child, output } = start(['embed-text', 'a cat'], { ROBOFLOW_CLIP_URL: mock.url, ROBOFLOW_API_KEY: 'wrong-key' });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(output().stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(output().stderr).not.toMatch(/\n\s+at /);
  });

  it('runs mock-server, which says it is a mock, answers the API and stops on SIGTERM', async () => {
    const { child, output } = start(['mock-server', '--port', '0']);
    while (!output().stdout.includes('listening on')) await once(child.stdout, 'data');
    expect(output().stdout).toMatch(/MOCK .*not Roboflow/);
    const url = /listening on (\S+)/.exec(output().stdout)![1]!;
    const clip = new ClipClient({ baseUrl: url, apiKey: null });
    const { embeddings } = await clip.embedText({ text: 'a cat' });
    await clip.close();
    expect(embeddings[0]).toHaveLength(512);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
