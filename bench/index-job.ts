/**
 * Whole `indexImages` jobs, embedding included, against the bench server: into PostgreSQL (next to
 * a bare binary COPY of the same rows through pg, and to the same embedding job with no store, in
 * the same run), into PGlite and into EmbeddingIndex.
 * Run alone: npx tsx bench/index-job.ts (ROBOFLOW_CLIP_BENCH_INDEX_IMAGES sets the image count,
 * default 20,000; ROBOFLOW_CLIP_TEST_PG names the server, else scripts/ci/postgres.sh starts one).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ClipClient, type VectorStore } from 'roboflow-clip';
import { PgVectorStore } from 'roboflow-clip/pgvector';
import { EmbeddingIndex } from 'roboflow-clip/vectors';
import { binaryCopyChunks } from '../src/vectors/pg/copy.js';
import { fmt, median, postgresUrl, startBenchServer, type BenchRow } from './lib.js';

export interface IndexJobBenchOptions {
  images?: number;
  rounds?: number;
  serverUrl?: string;
}

const DIM = 512;
const log = (line: string) => process.stderr.write(`    ${line}\n`);

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const at = performance.now();
  await work();
  return (performance.now() - at) / 1000;
}

export async function runIndexJobBench(options: IndexJobBenchOptions = {}): Promise<BenchRow[]> {
  const { images: count = 20_000, rounds = 3 } = options;
  const source = Array.from({ length: count }, (_, i) => ({ id: `photo-${i}`, image: `https://example.com/library/photo-${i}.jpg`, metadata: { n: i } }));
  const server = await startBenchServer({ answer: 'fixed' });
  const clip = new ClipClient({ baseUrl: server.urls[0]!, apiKey: null, maxRetries: 0 });
  const rows: BenchRow[] = [];
  const rate = (s: number) => count / s;
  const indexInto = async (store: VectorStore<{ n: number }>) => {
    const report = await clip.indexImages(store, source);
    if (report.added !== count) throw new Error(`bench: ${report.added} of ${count} added`);
  };
  const embedOnly = async () => {
    let n = 0;
    for await (const item of clip.embedImagesStream(source.map((entry) => entry.image))) n += item.embedding.length > 0 ? 1 : 0;
    if (n !== count) throw new Error('bench: wrong number of embeddings');
  };
  try {
    await embedOnly(); // warm-up: connections, JIT

    const url = postgresUrl(options.serverUrl);
    if (!url) {
      log('no PostgreSQL server: the PostgreSQL figures are skipped');
    } else {
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      const fresh = async (name: string) => {
        await pool.query(`DROP TABLE IF EXISTS ${name}`);
        return PgVectorStore.open<{ n: number }>({ pool, table: name, dimension: DIM, create: true });
      };
      // The rows the job writes (the bench server's vectors), written by hand in one binary COPY.
      const vectors = (await clip.embedImages(source.slice(0, 8).map((entry) => entry.image))).map((v) => Float32Array.from(v));
      const copyRows = source.map((entry, i) => ({ id: entry.id, vector: vectors[i % vectors.length]!, metadataJson: JSON.stringify(entry.metadata) }));
      const bareCopy = async () => {
        const store = await fresh('bench_job_bare');
        const connection = await pool.connect();
        try {
          await pipeline(Readable.from(binaryCopyChunks(copyRows, DIM)), connection.query(copyFrom(`COPY ${store.table} (id, embedding, metadata) FROM STDIN (FORMAT binary)`)));
        } finally {
          connection.release();
        }
      };
      const bare: number[] = [];
      const job: number[] = [];
      const alone: number[] = [];
      for (let round = 0; round < rounds; round++) {
        bare.push(await seconds(bareCopy));
        const store = await fresh('bench_job_store');
        job.push(await seconds(() => indexInto(store)));
        alone.push(await seconds(embedOnly));
        log(`round ${round + 1}: bare COPY ${fmt(bare[round]!, 2)} s, indexImages ${fmt(job[round]!, 2)} s, embedding alone ${fmt(alone[round]!, 2)} s`);
      }
      await pool.query('DROP TABLE IF EXISTS bench_job_bare');
      await pool.query('DROP TABLE IF EXISTS bench_job_store');
      await pool.end();
      const vsCopy = median(bare) / median(job);
      const vsEmbedding = median(alone) / median(job);
      rows.push({
        figure: `indexImages of ${count} images into PostgreSQL, embedding included: vectors/s vs a bare binary COPY of the same rows`,
        value: vsCopy,
        shown: `${fmt(rate(median(job)), 0)} vectors/s (${fmt(vsCopy, 2)}x)`,
        target: '>= 0.8x',
        pass: vsCopy >= 0.8,
        detail: `bare COPY ${fmt(rate(median(bare)), 0)} vectors/s; the same embedding job with no store (embedImagesStream) ${fmt(rate(median(alone)), 0)} vectors/s`,
      });
      rows.push({
        figure: 'indexImages into PostgreSQL vs the same embedding job with no store',
        value: vsEmbedding,
        shown: `${fmt(vsEmbedding, 2)}x`,
        target: 'reported',
        pass: undefined,
      });
    }

    const db = await PGlite.create({ extensions: { vector } });
    const lite = await PgVectorStore.open<{ n: number }>({ pglite: db, table: 'bench_job', dimension: DIM, create: true });
    const liteSeconds = await seconds(() => indexInto(lite));
    await db.close();
    rows.push({ figure: `indexImages of ${count} images into PGlite, embedding included`, value: rate(liteSeconds), shown: `${fmt(rate(liteSeconds), 0)} vectors/s`, target: 'reported', pass: undefined });

    const index = new EmbeddingIndex<{ n: number }>({ dimension: DIM });
    const indexSeconds = await seconds(() => indexInto(index));
    rows.push({ figure: `indexImages of ${count} images into EmbeddingIndex, embedding included`, value: rate(indexSeconds), shown: `${fmt(rate(indexSeconds), 0)} vectors/s`, target: 'reported', pass: undefined });
  } finally {
    await clip.close();
    await server.close();
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const images = Number(process.env.ROBOFLOW_CLIP_BENCH_INDEX_IMAGES ?? 20_000);
  for (const row of await runIndexJobBench({ images })) console.log(`${row.figure}: ${row.shown ?? row.value} (target ${row.target})${row.detail ? ` [${row.detail}]` : ''}`);
}
