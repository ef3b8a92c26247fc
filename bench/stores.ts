/**
 * The vector stores side by side, on clustered 512-d vectors (real CLIP embeddings are clustered;
 * uniform random ones make any HNSW index look broken): writes into PostgreSQL through the store
 * against a bare binary COPY of the same rows through pg, the same into PGlite and EmbeddingIndex;
 * then HNSW recall@10 against exact search, and query latency, for all three.
 * Run alone: npx tsx bench/stores.ts (ROBOFLOW_CLIP_BENCH_STORE_ROWS sets the row count, default
 * 100,000; ROBOFLOW_CLIP_TEST_PG names the server, else scripts/ci/postgres.sh starts one).
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { PgVectorStore } from '../src/pgvector.js';
import { binaryCopyChunks } from '../src/vectors/pg/copy.js';
import { EmbeddingIndex } from '../src/vectors.js';
import { clusteredVectors } from '../test/helpers/clustered.js';
import { fmt, median, postgresUrl, type BenchRow } from './lib.js';

export interface StoreBenchOptions {
  count?: number;
  queries?: number;
  /** HNSW build parameters, the same for PostgreSQL and PGlite. */
  m?: number;
  efConstruction?: number;
  efSearch?: number;
  serverUrl?: string;
}

const DIM = 512;
const BATCH = 10_000;
const log = (line: string) => process.stderr.write(`    ${line}\n`);

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const at = performance.now();
  const result = await work();
  return [result, (performance.now() - at) / 1000];
}

export async function runStoreBench(options: StoreBenchOptions = {}): Promise<BenchRow[]> {
  const { count = 100_000, queries: queryCount = 100, m = 16, efConstruction = 64, efSearch = 100 } = options;
  const all = clusteredVectors({ count: count + queryCount, dimension: DIM, seed: 2026 });
  const vectors = all.slice(0, count);
  const queries = all.slice(count);
  const entries = vectors.map((v, i) => ({ id: `img-${i}`, vector: v, metadata: { n: i } }));
  const rows: BenchRow[] = [];
  const perSecond = (seconds: number) => count / seconds;
  const hnsw = `HNSW m ${m}, ef_construction ${efConstruction}, ef_search ${efSearch}`;

  // Exact top 10 from EmbeddingIndex, the reference for recall.
  const index = new EmbeddingIndex<{ n: number }>({ dimension: DIM });
  const [, indexSeconds] = await timed(async () => {
    for (let at = 0; at < count; at += BATCH) index.addMany(entries.slice(at, at + BATCH));
  });
  const exact = queries.map((q) => new Set(index.search(q, 10).map((h) => h.id)));
  const indexLatency = queries.map((q) => {
    const at = performance.now();
    index.search(q, 10);
    return performance.now() - at;
  });
  rows.push({ figure: `EmbeddingIndex addMany, ${count} x ${DIM}`, value: perSecond(indexSeconds), shown: `${fmt(perSecond(indexSeconds), 0)} vectors/s`, target: 'reported', pass: undefined });
  rows.push({ figure: `EmbeddingIndex search (exact) top-10 latency, ${count} x ${DIM}`, value: median(indexLatency), shown: `${fmt(median(indexLatency), 1)} ms`, target: 'reported', pass: undefined });

  const recallOf = async (search: (q: Float32Array) => Promise<{ id: string }[]>) => {
    let found = 0;
    const latency: number[] = [];
    for (let i = 0; i < queries.length; i++) {
      const at = performance.now();
      const hits = await search(queries[i]!);
      latency.push(performance.now() - at);
      found += hits.filter((h) => exact[i]!.has(h.id)).length;
    }
    return { recall: found / (queries.length * 10), latencyMs: median(latency) };
  };

  const url = postgresUrl(options.serverUrl);
  if (!url) {
    log('no PostgreSQL server (set ROBOFLOW_CLIP_TEST_PG or run as root for scripts/ci/postgres.sh): server figures skipped');
  } else {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const table = (name: string) => `bench_${name}`;
    const fresh = async (name: string) => {
      await pool.query(`DROP TABLE IF EXISTS ${table(name)}`);
      return PgVectorStore.open<{ n: number }>({ pool, table: table(name), dimension: DIM, create: true });
    };
    const bareCopy = async () => {
      const store = await fresh('bare');
      const client = await pool.connect();
      try {
        const copyRows = entries.map((e) => ({ id: e.id, vector: e.vector, metadataJson: JSON.stringify(e.metadata) }));
        await pipeline(Readable.from(binaryCopyChunks(copyRows, DIM)), client.query(copyFrom(`COPY ${store.table} (id, embedding, metadata) FROM STDIN (FORMAT binary)`)));
      } finally {
        client.release();
      }
    };
    const storeWrite = async () => {
      const store = await fresh('store');
      for (let at = 0; at < count; at += BATCH) await store.addMany(entries.slice(at, at + BATCH));
      return store;
    };
    // Taking turns, four times each, the one to go first alternating, so that load on the shared
    // machine falls on both alike.
    const bare: number[] = [];
    const viaStore: number[] = [];
    let store: PgVectorStore<{ n: number }> | undefined;
    // Each write starts after a checkpoint, so that none pays for flushing the one before it
    // (a role without the right to CHECKPOINT skips it).
    const checkpoint = () => pool.query('CHECKPOINT').catch(() => undefined);
    for (let round = 0; round < 4; round++) {
      const storeRound = async () => {
        await checkpoint();
        const [written, seconds] = await timed(storeWrite);
        store = written;
        viaStore.push(seconds);
      };
      const bareRound = async () => {
        await checkpoint();
        bare.push((await timed(bareCopy))[1]);
      };
      if (round % 2 === 0) {
        await bareRound();
        await storeRound();
      } else {
        await storeRound();
        await bareRound();
      }
      log(`round ${round + 1}: bare COPY ${fmt(bare[round]!, 2)} s, store ${fmt(viaStore[round]!, 2)} s`);
    }
    await pool.query(`DROP TABLE IF EXISTS ${table('bare')}`);
    const ratio = median(bare) / median(viaStore);
    rows.push({ figure: `PostgreSQL: bare binary COPY through pg, ${count} x ${DIM}`, value: perSecond(median(bare)), shown: `${fmt(perSecond(median(bare)), 0)} vectors/s`, target: 'reported', pass: undefined });
    rows.push({
      figure: `PostgreSQL: store addMany (batches of ${BATCH}) vs bare COPY`,
      value: ratio,
      shown: `${fmt(perSecond(median(viaStore)), 0)} vectors/s (${fmt(ratio, 2)}x)`,
      target: '>= 0.8x',
      pass: ratio >= 0.8,
    });
    const exactLatency: number[] = [];
    for (const q of queries.slice(0, 10)) exactLatency.push((await timed(() => store!.search(q, 10)))[1] * 1000);
    rows.push({ figure: `PostgreSQL: exact (no index) top-10 latency, ${count} x ${DIM}`, value: median(exactLatency), shown: `${fmt(median(exactLatency), 0)} ms`, target: 'reported', pass: undefined });
    const [, buildSeconds] = await timed(() => store!.createIndex({ m, efConstruction }));
    log(`PostgreSQL HNSW build ${fmt(buildSeconds, 1)} s`);
    const tuned = await PgVectorStore.open<{ n: number }>({ pool, table: table('store'), efSearch });
    const server = await recallOf((q) => tuned.search(q, 10));
    rows.push({ figure: `PostgreSQL: HNSW recall@10 vs exact, ${count} x ${DIM}`, value: server.recall, shown: fmt(server.recall, 3), target: '>= 0.95', pass: server.recall >= 0.95, detail: `${hnsw}; index build ${fmt(buildSeconds, 0)} s` });
    rows.push({ figure: `PostgreSQL: HNSW top-10 latency`, value: server.latencyMs, shown: `${fmt(server.latencyMs, 1)} ms`, target: 'reported', pass: undefined });
    await pool.query(`DROP TABLE IF EXISTS ${table('store')}`);
    await pool.end();
  }

  const db = await PGlite.create({ extensions: { vector } });
  const lite = await PgVectorStore.open<{ n: number }>({ pglite: db, table: 'bench', dimension: DIM, create: true });
  const [, liteSeconds] = await timed(async () => {
    for (let at = 0; at < count; at += BATCH) await lite.addMany(entries.slice(at, at + BATCH));
  });
  rows.push({ figure: `PGlite: store addMany (multi-row INSERT), ${count} x ${DIM}`, value: perSecond(liteSeconds), shown: `${fmt(perSecond(liteSeconds), 0)} vectors/s`, target: 'reported', pass: undefined });
  await db.query("SET maintenance_work_mem = '512MB'");
  const [, liteBuild] = await timed(() => lite.createIndex({ m, efConstruction }));
  log(`PGlite HNSW build ${fmt(liteBuild, 1)} s`);
  const liteTuned = await PgVectorStore.open<{ n: number }>({ pglite: db, table: 'bench', efSearch });
  const embedded = await recallOf((q) => liteTuned.search(q, 10));
  rows.push({ figure: `PGlite: HNSW recall@10 vs exact, ${count} x ${DIM}`, value: embedded.recall, shown: fmt(embedded.recall, 3), target: '>= 0.95', pass: embedded.recall >= 0.95, detail: `${hnsw}; index build ${fmt(liteBuild, 0)} s` });
  rows.push({ figure: `PGlite: HNSW top-10 latency`, value: embedded.latencyMs, shown: `${fmt(embedded.latencyMs, 1)} ms`, target: 'reported', pass: undefined });
  await db.close();
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const count = Number(process.env.ROBOFLOW_CLIP_BENCH_STORE_ROWS ?? 100_000);
  for (const row of await runStoreBench({ count })) console.log(`${row.figure}: ${row.shown ?? row.value} (target ${row.target})${row.detail ? ` [${row.detail}]` : ''}`);
}
