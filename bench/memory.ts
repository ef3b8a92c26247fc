/**
 * RSS growth of a process over many requests. Runs in its own process, with --expose-gc so that
 * both readings are taken after a full collection:
 *   node --expose-gc --import tsx bench/memory.ts [requests]
 * prints one JSON line; runMemoryBench() spawns it.
 */
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ClipClient } from 'roboflow-clip';
import { fmt, runInFlight, startBenchServer, type BenchRow } from './lib.js';

const MB = 1024 * 1024;
const root = new URL('..', import.meta.url).pathname;

interface MemoryReading {
  requests: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  heapBeforeMb: number;
  heapAfterMb: number;
}

async function measure(requests: number): Promise<MemoryReading> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const server = await startBenchServer({ answer: 'fixed' });
  const clip = new ClipClient({ baseUrl: server.urls[0]!, apiKey: null, maxRetries: 0 });
  const payload = { text: 'a photo of a raccoon' };
  try {
    // Warm-up: connections, JIT, and the allocator's steady state.
    await runInFlight(64, 10_000, () => clip.embedText(payload));
    gc();
    gc();
    const before = process.memoryUsage();
    await runInFlight(64, requests, () => clip.embedText(payload));
    gc();
    gc();
    const after = process.memoryUsage();
    return { requests, rssBeforeMb: before.rss / MB, rssAfterMb: after.rss / MB, heapBeforeMb: before.heapUsed / MB, heapAfterMb: after.heapUsed / MB };
  } finally {
    await clip.close();
    await server.close();
  }
}

export async function runMemoryBench(options: { requests?: number } = {}): Promise<BenchRow[]> {
  const { requests = 100_000 } = options;
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', `${root}bench/memory.ts`, String(requests)], {
    cwd: root,
  });
  const reading = JSON.parse(stdout) as MemoryReading;
  const growth = reading.rssAfterMb - reading.rssBeforeMb;
  return [
    {
      figure: `RSS growth over ${reading.requests.toLocaleString('en-US')} requests (embedText, 64 in flight)`,
      value: growth,
      shown: `${fmt(growth, 1)} MB`,
      target: '< 20 MB',
      pass: growth < 20,
      detail:
        `RSS ${fmt(reading.rssBeforeMb, 1)} -> ${fmt(reading.rssAfterMb, 1)} MB, ` +
        `heap used ${fmt(reading.heapBeforeMb, 1)} -> ${fmt(reading.heapAfterMb, 1)} MB (after warm-up and gc)`,
    },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await measure(Number(process.argv[2] ?? 100_000)))}\n`);
}
