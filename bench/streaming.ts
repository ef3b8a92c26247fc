/**
 * Memory of batch jobs, each reading in its own process, run with --expose-gc so that readings are
 * taken after a full collection:
 *   node --expose-gc --import tsx bench/streaming.ts stream COUNT
 *   node --expose-gc --import tsx bench/streaming.ts list COUNT number|float32|matrix
 * prints one JSON line; runStreamingBench() spawns them.
 *
 * - stream: embedTextsStream over COUNT texts made as they are read; RSS is sampled throughout, and
 *   the figure is the peak growth over the reading taken before the job.
 * - list: embedTexts over a list of COUNT texts; the figure is what the results hold once the job
 *   is done: heap plus ArrayBuffer memory (a Float32Array's numbers live outside the JS heap).
 *   'matrix' holds one EmbeddingMatrix, 'number' and 'float32' a list of one vector per text.
 */
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ClipClient } from 'roboflow-clip';
import { fmt, startBenchServer, type BenchRow } from './lib.js';

const MB = 1024 * 1024;
const root = new URL('..', import.meta.url).pathname;
const SAMPLE_MS = 50;
/** What 100,000 texts through `embedTexts` held as number[] before streaming, measured for issue 13. */
const NUMBER_LIST_BASELINE_MB = 398;

interface StreamReading {
  count: number;
  seconds: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  rssAfterMb: number;
}

type ListFormat = 'number' | 'float32' | 'matrix';

interface ListReading {
  count: number;
  format: ListFormat;
  heldMb: number;
  heapMb: number;
  arrayBuffersMb: number;
}

function collect(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  return process.memoryUsage();
}

function* texts(count: number): Generator<string> {
  for (let i = 0; i < count; i++) yield `a photo of thing number ${i}`;
}

async function withClient<T>(run: (clip: ClipClient) => Promise<T>): Promise<T> {
  const server = await startBenchServer({ answer: 'fixed' });
  const clip = new ClipClient({ baseUrl: server.urls[0]!, apiKey: null, maxRetries: 0 });
  try {
    // Warm-up: connections, JIT, and the allocator's steady state.
    for await (const item of clip.embedTextsStream(texts(20_000), { concurrency: 8 })) void item;
    return await run(clip);
  } finally {
    await clip.close();
    await server.close();
  }
}

async function measureStream(count: number): Promise<StreamReading> {
  return withClient(async (clip) => {
    const before = collect().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), SAMPLE_MS);
    const started = performance.now();
    let seen = 0;
    let checksum = 0;
    for await (const { index, embedding } of clip.embedTextsStream(texts(count), { concurrency: 8 })) {
      if (index !== seen++) throw new Error(`out of order: ${index} after ${seen - 1}`);
      checksum += embedding[0]!;
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    if (seen !== count || !Number.isFinite(checksum)) throw new Error(`stream gave ${seen} of ${count}`);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { count, seconds, rssBeforeMb: before / MB, rssPeakMb: peak / MB, rssAfterMb: collect().rss / MB };
  });
}

async function measureList(count: number, format: ListFormat): Promise<ListReading> {
  return withClient(async (clip) => {
    const list = Array.from(texts(count));
    const before = collect();
    const results = await clip.embedTexts(list, { concurrency: 8, embeddingFormat: format });
    const after = collect();
    const length = 'count' in results ? results.count : results.length;
    if (length !== count) throw new Error(`list gave ${length} of ${count}`);
    const heapMb = (after.heapUsed - before.heapUsed) / MB;
    const arrayBuffersMb = (after.arrayBuffers - before.arrayBuffers) / MB;
    return { count, format, heldMb: heapMb + arrayBuffersMb, heapMb, arrayBuffersMb };
  });
}

async function child<T>(args: string[]): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', `${root}bench/streaming.ts`, ...args], {
    cwd: root,
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout) as T;
}

export async function runStreamingBench(options: { streamed?: number; listed?: number } = {}): Promise<BenchRow[]> {
  const { streamed = 1_000_000, listed = 100_000 } = options;
  const stream = await child<StreamReading>(['stream', String(streamed)]);
  const numbers = await child<ListReading>(['list', String(listed), 'number']);
  const floats = await child<ListReading>(['list', String(listed), 'float32']);
  const matrix = await child<ListReading>(['list', String(listed), 'matrix']);
  const growth = stream.rssPeakMb - stream.rssBeforeMb;
  // Targets scale with the count, so that --quick's shorter runs are judged alike.
  const streamTarget = 300;
  const listTarget = (NUMBER_LIST_BASELINE_MB / 2) * (listed / 100_000);
  const held = (reading: ListReading) =>
    `heap ${fmt(reading.heapMb, 1)} MB + ArrayBuffers ${fmt(reading.arrayBuffersMb, 1)} MB`;
  const numbersAlone = `the 512 float32 numbers alone take ${fmt((listed * 512 * 4) / MB, 1)} MB`;
  return [
    {
      figure: `embedTextsStream: peak RSS growth over ${streamed.toLocaleString('en-US')} texts (32 per request, 8 in flight)`,
      value: growth,
      shown: `${fmt(growth, 1)} MB`,
      target: `< ${streamTarget} MB`,
      pass: growth < streamTarget,
      detail:
        `RSS ${fmt(stream.rssBeforeMb, 1)} MB before, peak ${fmt(stream.rssPeakMb, 1)} MB, ${fmt(stream.rssAfterMb, 1)} MB after (gc); ` +
        `${fmt(stream.count / stream.seconds, 0)} texts/s`,
    },
    {
      figure: `embedTexts of ${listed.toLocaleString('en-US')} texts, embeddingFormat 'number': memory the results hold`,
      value: numbers.heldMb,
      shown: `${fmt(numbers.heldMb, 1)} MB`,
      target: 'reference',
      pass: undefined,
      detail: held(numbers),
    },
    {
      figure: `embedTexts of ${listed.toLocaleString('en-US')} texts, embeddingFormat 'float32': memory the results hold`,
      value: floats.heldMb,
      shown: `${fmt(floats.heldMb, 1)} MB (${fmt(floats.heldMb / numbers.heldMb, 2)}x number[])`,
      // Each Float32Array object costs ~110-125 B besides its numbers: a list of them cannot hold under half of number[].
      target: 'reported',
      pass: undefined,
      detail: `${held(floats)}; ${numbersAlone}`,
    },
    {
      figure: `embedTexts of ${listed.toLocaleString('en-US')} texts, embeddingFormat 'matrix': memory the results hold`,
      value: matrix.heldMb,
      shown: `${fmt(matrix.heldMb, 1)} MB (${fmt(matrix.heldMb / numbers.heldMb, 2)}x number[])`,
      target: `< ${fmt(listTarget, 0)} MB`,
      pass: matrix.heldMb < numbers.heldMb / 2 && matrix.heldMb < listTarget,
      detail: `${held(matrix)}; ${numbersAlone}`,
    },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [mode, count, format] = process.argv.slice(2);
  const listFormat: ListFormat = format === 'float32' || format === 'matrix' ? format : 'number';
  const reading = mode === 'stream' ? await measureStream(Number(count)) : await measureList(Number(count), listFormat);
  process.stdout.write(`${JSON.stringify(reading)}\n`);
}
