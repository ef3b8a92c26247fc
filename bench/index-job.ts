/**
 * Whole `indexImages` jobs, embedding included, against the bench server: into PostgreSQL (next to
 * a bare binary COPY of the same rows through pg, to the same embedding job with no store, and to
 * that job's requests sent by hand on raw undici, in the same run), into PGlite and into EmbeddingIndex.
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
import { Agent } from 'undici';
import { ClipClient, type VectorStore } from 'roboflow-clip';
import { PgVectorStore } from 'roboflow-clip/pgvector';
import { EmbeddingIndex } from 'roboflow-clip/vectors';
import { binaryCopyChunks } from '../src/vectors/pg/copy.js';
import { fmt, median, postgresUrl, runInFlight, startBenchServer, type BenchRow } from './lib.js';

export interface IndexJobBenchOptions {
  images?: number;
  rounds?: number;
  serverUrl?: string;
}

const DIM = 512;
/** The client's defaults for image jobs, which `indexImages` runs with here. */
const BATCH = 8;
const LANES = 4;
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
  /**
   * The job's requests by hand on raw undici: the same batches and lanes, each answer's text read
   * and, when `parse`, turned into Float32Arrays by JSON.parse (what any JSON client must do before
   * a store can take the vectors). Without `parse`, the answers' bytes are read and dropped: the wire alone.
   */
  const agent = new Agent({ keepAliveTimeout: 4_000 });
  const rawEmbedding = (parse: boolean) => async () => {
    let next = 0;
    let vectors = 0;
    await runInFlight(LANES, Math.ceil(count / BATCH), async () => {
      const batch = source.slice(next, (next += BATCH));
      const payload = { image: batch.map((entry) => ({ type: 'url', value: entry.image })) };
      const { body } = await agent.request({ origin: server.urls[0]!, path: '/clip/embed_image', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      const text = await body.text();
      vectors += parse ? (JSON.parse(text) as { embeddings: number[][] }).embeddings.map((v) => Float32Array.from(v)).length : batch.length;
    });
    if (vectors !== count) throw new Error('bench: wrong number of embeddings');
  };
  try {
    await embedOnly(); // warm-up: connections, JIT
    await rawEmbedding(true)();

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
      const rawParsed: number[] = [];
      const rawWire: number[] = [];
      for (let round = 0; round < rounds; round++) {
        bare.push(await seconds(bareCopy));
        const store = await fresh('bench_job_store');
        job.push(await seconds(() => indexInto(store)));
        alone.push(await seconds(embedOnly));
        rawParsed.push(await seconds(rawEmbedding(true)));
        rawWire.push(await seconds(rawEmbedding(false)));
        log(
          `round ${round + 1}: bare COPY ${fmt(bare[round]!, 2)} s, indexImages ${fmt(job[round]!, 2)} s, embedding alone ${fmt(alone[round]!, 2)} s, ` +
            `raw undici ${fmt(rawParsed[round]!, 2)} s (${fmt(rawWire[round]!, 2)} s unparsed)`,
        );
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
        detail:
          `bare COPY ${fmt(rate(median(bare)), 0)} vectors/s; the same embedding job with no store (embedImagesStream) ${fmt(rate(median(alone)), 0)} vectors/s; ` +
          `its requests by hand on raw undici (${BATCH} per request, ${LANES} in flight, no store) ${fmt(rate(median(rawParsed)), 0)} vectors/s ` +
          `with JSON.parse (${fmt(median(bare) / median(rawParsed), 2)}x the bare COPY), ${fmt(rate(median(rawWire)), 0)} vectors/s reading the answers unparsed (${fmt(median(bare) / median(rawWire), 2)}x)`,
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
    await agent.close();
    await server.close();
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const images = Number(process.env.ROBOFLOW_CLIP_BENCH_INDEX_IMAGES ?? 20_000);
  for (const row of await runIndexJobBench({ images })) console.log(`${row.figure}: ${row.shown ?? row.value} (target ${row.target})${row.detail ? ` [${row.detail}]` : ''}`);
}
