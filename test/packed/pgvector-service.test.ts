// examples/pgvector-service against a real PostgreSQL server (ROBOFLOW_CLIP_TEST_PG; CI starts one with
// scripts/ci/postgres.sh) and the mock: the indexer, then two service processes searching the same table.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../../src/testing.js';

const root = new URL('../..', import.meta.url).pathname;
const serverUrl = process.env.ROBOFLOW_CLIP_TEST_PG;
const KEY = 'pgvector-service-key';
const PHOTOS = 10;

if (!serverUrl) {
  console.warn(
    '\n**********************************************************************\n' +
      '* examples/pgvector-service test SKIPPED: set ROBOFLOW_CLIP_TEST_PG  *\n' +
      '* to a connection string (CI starts one with scripts/ci/postgres.sh).*\n' +
      '**********************************************************************\n',
  );
}

// CI always starts a server (.ci/run): there a missing one is a failure, not a skip.
it.runIf(process.env.CI && !serverUrl)('CI gives the pgvector service example a PostgreSQL server in ROBOFLOW_CLIP_TEST_PG', () => {
  expect(serverUrl).toBeTruthy();
});

interface Hit {
  id: string;
  score: number;
  metadata: { album: string; url: string };
}

describe.runIf(serverUrl)('examples/pgvector-service', () => {
  const table = `photos_${process.pid}_${Date.now().toString(36)}`;
  let mock: MockServer;
  let pool: pg.Pool;
  const services: ChildProcess[] = [];
  beforeAll(async () => {
    mock = await startMockServer({ apiKey: KEY });
    pool = new pg.Pool({ connectionString: serverUrl, max: 1 });
  });
  afterAll(async () => {
    await Promise.all(services.filter((child) => child.exitCode === null).map((child) => (child.kill('SIGKILL'), once(child, 'exit'))));
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
    await mock.close();
  });

  const env = (extra: Record<string, string> = {}) => ({
    ...process.env,
    DATABASE_URL: serverUrl!,
    PHOTOS_TABLE: table,
    ROBOFLOW_CLIP_URL: mock.url,
    ROBOFLOW_API_KEY: KEY,
    ...extra,
  });
  /** Runs one of the example's scripts as its README says: node with tsx, `roboflow-clip` resolving to the built package. */
  const start = (script: string, extra?: Record<string, string>) =>
    spawn(process.execPath, ['--import', 'tsx', `examples/pgvector-service/${script}`], { cwd: root, env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] });

  async function indexer(): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = start('indexer.ts');
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
    const [code] = await once(child, 'exit');
    return { code, stdout, stderr };
  }

  /** Starts a service on a free port and resolves to its URL once it listens. */
  async function service(): Promise<string> {
    const child = start('service.ts', { PORT: '0' });
    services.push(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
    let stdout = '';
    return new Promise((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk;
        const listening = /listening on (http:\/\/\S+)/.exec(stdout);
        if (listening) resolve(listening[1]!);
      });
      child.once('exit', (code) => reject(new Error(`the service exited with ${code} before listening: ${stderr}`)));
    });
  }

  const get = async (base: string, query: string): Promise<{ status: number; body: { hits?: Hit[]; error?: string } }> => {
    const response = await fetch(`${base}/search?${query}`);
    return { status: response.status, body: await response.json() };
  };

  it('indexes the collection, then two processes at once answer the same hits; a second run adds nothing', async () => {
    const first = await indexer();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(`added ${PHOTOS}, skipped 0 already there, failed 0; ${PHOTOS} photos in "${table}"\n`);
    const embedded = mock.requests.filter((r) => r.path === '/clip/embed_image').flatMap((r) => (r.body as { image: unknown[] }).image);
    expect(embedded).toHaveLength(PHOTOS);

    const [a, b] = await Promise.all([service(), service()]);
    expect(a).not.toBe(b);
    const queries = ['q=a+raccoon&k=3', 'q=a+red+car&k=2', 'q=a+dog&k=10', 'q=a+raccoon&k=2&album=city', 'q=a+cat&k=20'];
    // Every query to both services at the same time.
    const answers = await Promise.all(queries.map((query) => Promise.all([get(a, query), get(b, query)])));
    for (const [i, [fromA, fromB]] of answers.entries()) {
      expect(fromA.status, queries[i]).toBe(200);
      expect(fromA.body, queries[i]).toEqual(fromB.body);
    }
    const [raccoons, cars, dogs, cityRaccoons, cats] = answers.map(([answer]) => answer.body.hits!);
    expect(raccoons!.map((hit) => hit.id).sort()).toEqual(['city/raccoon-on-a-bin.jpg', 'zoo/raccoon-at-night.jpg', 'zoo/raccoon-in-a-tree.jpg']);
    expect(raccoons!.map((hit) => hit.score)).toEqual([...raccoons!.map((hit) => hit.score)].sort((x, y) => y - x));
    expect(cars![0]).toMatchObject({ id: 'city/red-car.jpg', metadata: { album: 'city', url: 'https://images.example.com/city/red-car.jpg' } });
    expect(dogs).toHaveLength(PHOTOS);
    expect(cityRaccoons!.map((hit) => hit.id)).toEqual(['city/raccoon-on-a-bin.jpg', expect.stringMatching(/^city\//)]);
    expect(cats).toHaveLength(PHOTOS);
    expect(cats![0]!.id).toBe('home/sleeping-cat.jpg');
    expect(await get(a, 'k=3')).toEqual({ status: 400, body: { error: 'give the text to search for as ?q=' } });

    const sentBefore = mock.requests.length;
    const second = await indexer();
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(`added 0, skipped ${PHOTOS} already there, failed 0; ${PHOTOS} photos in "${table}"\n`);
    expect(mock.requests.slice(sentBefore).filter((r) => r.path === '/clip/embed_image')).toEqual([]);
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows).toEqual([{ n: PHOTOS }]);
    expect(await get(b, queries[0]!)).toEqual(answers[0]![1]);

    // Both stop cleanly on SIGTERM, closing the client and the pool.
    const exits = services.map((child) => once(child, 'exit'));
    for (const child of services) child.kill('SIGTERM');
    expect((await Promise.all(exits)).map(([code]) => code)).toEqual([0, 0]);
  });
});
