import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/index.js';
import { EmbeddingIndex } from '../src/vectors.js';
import { handleClipRequest, startMockServer, type MockServer } from '../src/testing.js';
import { startStub } from './helpers/http.js';

const KEY = 'CLI-CANARY-KEY-91c2';
type Command = 'classify' | 'index' | 'search';
const classify: Command = 'classify';
const indexDir: Command = 'index';
const search: Command = 'search';

let mock: MockServer;
let work: string;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  mock = await startMockServer({ apiKey: KEY });
  work = await mkdtemp(join(tmpdir(), 'roboflow-clip-cli-'));
  env = { ROBOFLOW_API_KEY: KEY, ROBOFLOW_CLIP_URL: mock.url };
});
afterAll(async () => {
  await mock.close();
  await rm(work, { recursive: true, force: true });
});
beforeEach(() => {
  mock.requests.length = 0;
});

function sink(isTTY = false): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  Object.assign(stream, { isTTY, columns: 80 });
  return { stream, text: () => chunks.join('') };
}

async function cli(command: Command, argv: string[], options: { env?: typeof env; tty?: boolean; stop?: AbortSignal } = {}) {
  const stdout = sink();
  const stderr = sink(options.tty);
  const io = { stdout: stdout.stream, stderr: stderr.stream, env: options.env ?? env, stop: options.stop ?? new AbortController().signal };
  const code = await runCli([command, ...argv], io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * An "image" file: a PNG signature, so that the client does not refuse it as text, then words, which the
 * mock embeds, so that it reads as a described picture. No words: an empty file.
 */
const imageFile = (words: string) => (words === '' ? Buffer.alloc(0) : Buffer.concat([PNG_SIGNATURE, Buffer.from(words)]));

/** A folder of such "images". */
async function photoFolder(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  for (const [path, words] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), imageFile(words));
  }
  return dir;
}

const PETS = {
  'raccoon.jpg': 'a raccoon in the woods at night',
  'dog.png': 'a dog running on a beach',
  'boats/sailing.jpeg': 'a sailing boat on the sea',
  'notes.txt': 'not an image',
};

describe('roboflow-clip classify', () => {
  it('prints each label with its score and cosine similarity, best first', async () => {
    const { code, stdout, stderr } = await cli(classify, ['https://images.example.com/zoo/raccoon.jpg', '--labels', 'dog,raccoon,cat']);
    expect([code, stderr]).toEqual([0, '']);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('score   cosine  label');
    expect(lines.slice(1).map((l) => l.split(/\s+/)[2])).toEqual(['raccoon', expect.any(String), expect.any(String)]);
    const scores = lines.slice(1).map((l) => Number(l.split(/\s+/)[0]));
    expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
  });

  it('reads IMAGE from a file and sends it as base64', async () => {
    const dir = await photoFolder('classify-file', { 'pet.jpg': 'a cat asleep' });
    const { code } = await cli(classify, [join(dir, 'pet.jpg'), '--labels', 'cat,dog']);
    expect(code).toBe(0);
    const image = mock.requests.find((r) => r.path === '/clip/embed_image')!.body as { image: { type: string; value: string } };
    expect(image.image).toEqual({ type: 'base64', value: imageFile('a cat asleep').toString('base64') });
  });

  it('--template wraps each label, --top limits the output, --json prints the results', async () => {
    const { code, stdout } = await cli(classify, [
      'https://images.example.com/raccoon.jpg',
      '--labels',
      'dog,raccoon',
      '--labels',
      'cat',
      '--template',
      'a photo of a {}',
      '--top',
      '2',
      '--json',
    ]);
    expect(code).toBe(0);
    const texts = mock.requests.filter((r) => r.path === '/clip/embed_text').flatMap((r) => (r.body as { text: string[] }).text);
    expect(texts).toEqual(['a photo of a dog', 'a photo of a raccoon', 'a photo of a cat']);
    const results = JSON.parse(stdout) as { label: string; score: number; similarity: number }[];
    expect(results).toHaveLength(2);
    expect(results[0]).toEqual({ label: 'raccoon', score: expect.any(Number), similarity: expect.any(Number) });
  });

  it('without --labels it exits 2 with one line and a pointer to --help, sending nothing', async () => {
    const { code, stdout, stderr } = await cli(classify, ['https://images.example.com/raccoon.jpg']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('roboflow-clip classify: --labels is required, e.g. --labels cat,dog,raccoon (see: roboflow-clip classify --help)\n');
    expect(mock.requests).toHaveLength(0);
  });

  it('an unknown option exits 2', async () => {
    const { code, stderr } = await cli(classify, ['x.jpg', '--labels', 'a', '--colour']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^roboflow-clip classify: Unknown option '--colour'/);
  });

  it('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await cli(classify, ['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: roboflow-clip classify IMAGE --labels a,b,c/);
    expect(stdout).toContain('--api-key');
  });

  it('--base-url and --api-key win over ROBOFLOW_CLIP_URL and ROBOFLOW_API_KEY', async () => {
    const { code } = await cli(classify, ['https://images.example.com/a.jpg', '--labels', 'a', '--base-url', mock.url, '--api-key', KEY], {
      env: { ROBOFLOW_CLIP_URL: 'http://127.0.0.1:1', ROBOFLOW_API_KEY: 'not-the-key' },
    });
    expect(code).toBe(0);
    expect(mock.requests.every((r) => r.query.api_key === KEY)).toBe(true);
  });

  it('a server error is one line on stderr, exit 1, with no stack and never the API key', async () => {
    const wrongKey = 'WRONG-SECRET-5e8d';
    const { code, stderr } = await cli(classify, ['https://images.example.com/a.jpg', '--labels', 'a', `--api-key=${wrongKey}`]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^roboflow-clip classify: HTTP 401 .*\n$/);
    expect(stderr.split('\n')).toHaveLength(2);
    expect(stderr).not.toContain(wrongKey);
    expect(stderr).not.toMatch(/\bat .*:\d+:\d+/);
  });

  it('an invalid request is one line listing every problem', async () => {
    const { code, stderr } = await cli(classify, ['https://images.example.com/a.jpg', '--labels', 'cat,cat']);
    expect(code).toBe(1);
    expect(stderr).toBe('roboflow-clip classify: Invalid classification: labels[1]: duplicate label "cat"\n');
  });
});

describe('roboflow-clip index', () => {
  it('stops between batches when asked to stop (Ctrl+C), saving what it has, and resumes later', async () => {
    const dir = await photoFolder('index-stop', PETS);
    const out = join(work, 'stopped.index');
    const stopped = await cli(indexDir, [dir, '--out', out], { stop: AbortSignal.abort() });
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/indexed 0 new image/);
    expect(mock.requests).toHaveLength(0);
    const resumed = await cli(indexDir, [dir, '--out', out]);
    expect(resumed.stdout).toMatch(/indexed 3 new image/);
  });

  it('embeds every image under DIR, subfolders included, keyed by relative path, 8 per request', async () => {
    const files = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`img/${i}.jpg`, `picture number ${i}`]));
    const dir = await photoFolder('index-all', { ...PETS, ...files });
    const out = join(work, 'all.bin');
    const { code, stdout } = await cli(indexDir, [dir, '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toBe(`indexed 13 new image(s) into ${out} (0 already there, 0 failed); 13 in the index\n`);
    const index = await EmbeddingIndex.load(out);
    expect(index.ids().sort()).toEqual(['boats/sailing.jpeg', 'dog.png', ...Object.keys(files), 'raccoon.jpg'].sort());
    const sizes = mock.requests.map((r) => [(r.body as { image: unknown }).image].flat().length);
    expect(sizes).toEqual([8, 5]);
  });

  it('is resumable: a second run embeds only the images not yet in the index', async () => {
    const dir = await photoFolder('index-resume', PETS);
    const out = join(work, 'resume.bin');
    expect((await cli(indexDir, [dir, '--out', out])).code).toBe(0);
    await writeFile(join(dir, 'cat.webp'), imageFile('a cat on a sofa'));
    mock.requests.length = 0;
    const second = await cli(indexDir, [dir, '--out', out]);
    expect(second.stdout).toBe(`indexed 1 new image(s) into ${out} (3 already there, 0 failed); 4 in the index\n`);
    expect(mock.requests.map((r) => (r.body as { image: unknown }).image)).toEqual([
      [{ type: 'base64', value: imageFile('a cat on a sofa').toString('base64') }],
    ]);
    mock.requests.length = 0;
    await cli(indexDir, [dir, '--out', out]);
    expect(mock.requests).toHaveLength(0);
  });

  it('draws a progress bar on stderr when it is a terminal, and nothing when it is not', async () => {
    const dir = await photoFolder('index-progress', PETS);
    const tty = await cli(indexDir, [dir, '--out', join(work, 'progress-tty.bin')], { tty: true });
    expect(tty.stderr).toMatch(/\r\[#+\] 3\/3 images\n$/);
    const piped = await cli(indexDir, [dir, '--out', join(work, 'progress-pipe.bin')]);
    expect(piped.stderr).toBe('');
  });

  it('an unreadable file is reported and skipped, the rest indexed, and the exit code is 1', async () => {
    const dir = await photoFolder('index-empty-file', { ...PETS, 'empty.jpg': '' });
    const out = join(work, 'empty-file.bin');
    const { code, stdout, stderr } = await cli(indexDir, [dir, '--out', out]);
    expect(code).toBe(1);
    expect(stderr).toBe(`skipped empty.jpg: image file is empty: ${join(dir, 'empty.jpg')}\n`);
    expect(stdout).toContain('indexed 3 new image(s)');
    expect((await EmbeddingIndex.load(out)).size).toBe(3);
  });

  it('an image the server rejects costs only itself: the others of its batch are retried alone and kept', async () => {
    const stub = await startStub((req, res) => {
      const body = JSON.parse(req.rawBody) as { image: { value: string } | { value: string }[] };
      const broken = [body.image].flat().some((image) => Buffer.from(image.value, 'base64').toString().includes('corrupt'));
      if (broken) return res.writeHead(400, { 'content-type': 'application/json' }).end('{"message":"Could not load input image."}');
      const answer = handleClipRequest({ method: req.method, url: req.url, headers: {}, body: req.rawBody });
      res.writeHead(answer.status, answer.headers).end(answer.body);
    });
    try {
      const dir = await photoFolder('index-rejected', { ...PETS, 'bad.jpg': 'corrupt bytes' });
      const out = join(work, 'rejected.bin');
      const { code, stderr } = await cli(indexDir, [dir, '--out', out, '--base-url', stub.url]);
      expect(code).toBe(1);
      expect(stderr).toBe('skipped bad.jpg: HTTP 400 from /clip/embed_image: Could not load input image.\n');
      expect((await EmbeddingIndex.load(out)).ids().sort()).toEqual(['boats/sailing.jpeg', 'dog.png', 'raccoon.jpg']);
    } finally {
      await stub.close();
    }
  });

  it('a FILE named .json is saved as JSON', async () => {
    const dir = await photoFolder('index-json', PETS);
    const out = join(work, 'pets.json');
    expect((await cli(indexDir, [dir, '--out', out])).code).toBe(0);
    const json = JSON.parse(await readFile(out, 'utf8')) as { entries: unknown[] };
    expect(json.entries).toHaveLength(3);
  });

  it('records --clip-version in a new index and refuses another version for an existing one', async () => {
    const dir = await photoFolder('index-version', PETS);
    const out = join(work, 'version.bin');
    expect((await cli(indexDir, [dir, '--out', out, '--clip-version', 'ViT-L-14'])).code).toBe(0);
    const index = await EmbeddingIndex.load(out);
    expect([index.clipVersion, index.dimension]).toEqual(['ViT-L-14', 768]);
    const again = await cli(indexDir, [dir, '--out', out, '--clip-version', 'ViT-B-32']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^roboflow-clip index: index was built with clipVersion ViT-L-14, expected ViT-B-32\n$/);
  });

  it('without DIR or --out it exits 2', async () => {
    expect((await cli(indexDir, ['--out', 'x.bin'])).code).toBe(2);
    expect((await cli(indexDir, [work])).code).toBe(2);
    expect((await cli(indexDir, [work, '--out', 'x.bin', '--batch', '9'])).code).toBe(2);
  });
});

describe('roboflow-clip search', () => {
  it('prints the entries most similar to the query, best first, with their scores', async () => {
    const dir = await photoFolder('search', PETS);
    const out = join(work, 'search.bin');
    await cli(indexDir, [dir, '--out', out]);
    const { code, stdout } = await cli(search, [out, 'a raccoon', '-k', '2']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^0\.\d{4} {2}raccoon\.jpg$/);
  });

  it('--json prints the hits', async () => {
    const dir = await photoFolder('search-json', PETS);
    const out = join(work, 'search-json.bin');
    await cli(indexDir, [dir, '--out', out]);
    const hits = JSON.parse((await cli(search, [out, 'a boat', '--json'])).stdout) as { id: string; score: number }[];
    expect(hits.map((h) => h.id)).toHaveLength(3);
    expect(hits[0]!.id).toBe('boats/sailing.jpeg');
  });

  it('embeds the query with the CLIP version the index was built with', async () => {
    const dir = await photoFolder('search-version', PETS);
    const out = join(work, 'search-version.bin');
    await cli(indexDir, [dir, '--out', out, '--clip-version', 'ViT-L-14']);
    mock.requests.length = 0;
    expect((await cli(search, [out, 'a dog'])).code).toBe(0);
    expect((mock.requests[0]!.body as { clip_version_id?: string }).clip_version_id).toBe('ViT-L-14');
  });

  it('a --clip-version other than the index\'s is refused before any request', async () => {
    const dir = await photoFolder('search-mismatch', PETS);
    const out = join(work, 'search-mismatch.bin');
    await cli(indexDir, [dir, '--out', out, '--clip-version', 'ViT-L-14']);
    mock.requests.length = 0;
    const { code, stderr } = await cli(search, [out, 'a dog', '--clip-version', 'ViT-B-16']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^roboflow-clip search: index was built with clipVersion ViT-L-14 but this client embeds with ViT-B-16/);
    expect(mock.requests).toHaveLength(0);
  });

  it('a missing index file is one line and exit 1', async () => {
    const { code, stderr } = await cli(search, [join(work, 'nope.bin'), 'a dog']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^roboflow-clip search: ENOENT: no such file or directory.*nope\.bin'\n$/);
  });

  it('without FILE and QUERY it exits 2', async () => {
    expect((await cli(search, ['only-one-argument'])).code).toBe(2);
  });
});
