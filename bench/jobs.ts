/**
 * Whole jobs through the batch helpers against servers with latency: wall time against the ideal,
 * and one server against four. Run alone: node --import tsx bench/jobs.ts [--quick]
 */
import { pathToFileURL } from 'node:url';
import { Agent } from 'undici';
import { ClipClient } from 'roboflow-clip';
import { fmt, median, runInFlight, startBenchServer, type BenchRow } from './lib.js';

export interface JobsBenchOptions {
  rounds?: number;
  images?: number;
}

const LATENCY_MS = 20;
const BATCH = 8;
const CONCURRENCY = 8;

const images = (n: number) => Array.from({ length: n }, (_, i) => `https://example.com/library/photo-${i}.jpg`);

async function timeJob(baseUrl: string | string[], inputs: string[]): Promise<number> {
  const clip = new ClipClient({ baseUrl, apiKey: null, maxRetries: 0 });
  try {
    // A request per lane first, so that the figure is the job and not connection setup.
    await Promise.all(Array.from({ length: CONCURRENCY }, () => clip.embedImage({ image: inputs[0]! })));
    const start = performance.now();
    const embeddings = await clip.embedImages(inputs, { batchSize: BATCH, concurrency: CONCURRENCY });
    const elapsed = performance.now() - start;
    if (embeddings.length !== inputs.length) throw new Error('bench: wrong number of embeddings');
    return elapsed;
  } finally {
    await clip.close();
  }
}

/** The same job by hand on raw undici (same batches, same lanes, JSON.parse of each answer): the floor. */
async function timeRawJob(origin: string, inputs: string[]): Promise<number> {
  const agent = new Agent({ keepAliveTimeout: 4_000 });
  const request = async (batch: string[]) => {
    const payload = { image: batch.map((value) => ({ type: 'url', value })) };
    const { body } = await agent.request({ origin, path: '/clip/embed_image', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    return (JSON.parse(await body.text()) as { embeddings: number[][] }).embeddings;
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, () => request(inputs.slice(0, 1))));
    const start = performance.now();
    const results: number[][] = [];
    let next = 0;
    await runInFlight(CONCURRENCY, Math.ceil(inputs.length / BATCH), async () => {
      const at = next;
      next += BATCH;
      results.splice(at, BATCH, ...(await request(inputs.slice(at, at + BATCH))));
    });
    return performance.now() - start;
  } finally {
    await agent.close();
  }
}

export async function runJobsBench(options: JobsBenchOptions = {}): Promise<BenchRow[]> {
  const { rounds: runs = 5, images: count = 1_000 } = options;
  const inputs = images(count);
  const batches = Math.ceil(count / BATCH);
  const rows: BenchRow[] = [];

  // Latency only: the server answers any number of requests at once, each after 20 ms.
  const parallel = await startBenchServer({ answer: 'fixed', latencyMs: LATENCY_MS });
  try {
    // Each lane sends its requests one after another, so the lane with the most batches sets the floor.
    const perLane = Math.ceil(batches / CONCURRENCY);
    const ideal = perLane * LATENCY_MS;
    const walls: number[] = [];
    const rawWalls: number[] = [];
    for (let r = 0; r < runs; r++) {
      walls.push(await timeJob(parallel.urls[0]!, inputs));
      rawWalls.push(await timeRawJob(parallel.urls[0]!, inputs));
    }
    const ratio = median(walls) / ideal;
    rows.push({
      figure: `embedImages of ${count} images, server latency ${LATENCY_MS} ms, batch ${BATCH}, concurrency ${CONCURRENCY}: wall time vs ideal`,
      value: ratio,
      target: '<= 1.20',
      pass: ratio <= 1.2,
      detail:
        `median ${fmt(median(walls), 0)} ms, ideal ${fmt(ideal, 0)} ms (${batches} batches over ${CONCURRENCY} lanes: ${perLane} requests one after another x ${LATENCY_MS} ms); ` +
        `the same job on raw undici: ${fmt(median(rawWalls), 0)} ms (${fmt(median(rawWalls) / ideal)} of ideal)`,
    });
  } finally {
    await parallel.close();
  }

  // Capacity: each server works on one request at a time, 20 ms each, like an accelerator.
  const serial = await startBenchServer({ answer: 'fixed', latencyMs: LATENCY_MS, serial: true, servers: 5 });
  try {
    const [single, ...pool] = serial.urls as [string, ...string[]];
    const ratios: number[] = [];
    const one: number[] = [];
    const four: number[] = [];
    for (let r = 0; r < runs; r++) {
      const a = await timeJob(single, inputs);
      const b = await timeJob(pool, inputs);
      one.push(a);
      four.push(b);
      ratios.push(a / b);
    }
    const speedup = median(ratios);
    rows.push({
      figure: `baseUrl with 4 servers vs 1 server (each ${LATENCY_MS} ms per request, one at a time), same job`,
      value: speedup,
      shown: `${fmt(speedup)}x`,
      target: '>= 3.5x',
      pass: speedup >= 3.5,
      detail: `1 server ${fmt(median(one), 0)} ms, 4 servers ${fmt(median(four), 0)} ms`,
    });
  } finally {
    await serial.close();
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await runJobsBench(process.argv.includes('--quick') ? { rounds: 3 } : {});
  for (const row of rows) console.log(`${row.pass ? 'PASS' : 'FAIL'}  ${row.figure}: ${row.shown ?? fmt(row.value)} (target ${row.target}) ${row.detail ?? ''}`);
}
