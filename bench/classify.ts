/**
 * Requests sent per classify call once the labels are cached, counted at the mock server (so what
 * is counted is what arrived on the wire). Run: npx tsx bench/classify.ts
 */
import { pathToFileURL } from 'node:url';
import { ClipClient } from '../src/index.js';
import { startMockServer } from '../src/testing.js';
import type { BenchRow } from './lib.js';

export interface ClassifyBenchOptions {
  labels?: number;
  calls?: number;
}

export interface ClassifyBenchResult {
  rows: BenchRow[];
  /** Requests the server received for each call, first call first. */
  requestsPerCall: number[];
}

export async function runClassifyBench(options: ClassifyBenchOptions = {}): Promise<ClassifyBenchResult> {
  const { labels: labelCount = 20, calls = 5 } = options;
  const labels = Array.from({ length: labelCount }, (_, i) => `object number ${i}`);
  const mock = await startMockServer();
  const clip = new ClipClient({ baseUrl: mock.url, apiKey: null });
  const requestsPerCall: number[] = [];
  try {
    for (let call = 0; call < calls; call++) {
      const before = mock.requests.length;
      // A different image each time, so nothing but the labels could be reused.
      await clip.classify(`https://images.example.com/bench/picture-${call}.jpg`, labels, { template: 'a photo of a {}' });
      requestsPerCall.push(mock.requests.length - before);
    }
  } finally {
    await clip.close();
    await mock.close();
  }
  const later = requestsPerCall.slice(1);
  const worst = Math.max(...later);
  return {
    requestsPerCall,
    rows: [
      {
        figure: `classify with ${labelCount} labels, second call onwards: requests sent`,
        value: worst,
        target: 'exactly 1',
        pass: later.length > 0 && later.every((n) => n === 1),
      },
    ],
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows, requestsPerCall } = await runClassifyBench();
  console.log(`requests per call: ${requestsPerCall.join(', ')}`);
  for (const row of rows) console.log(`${row.pass ? 'PASS' : 'FAIL'}  ${row.figure}: ${row.value} (target ${row.target})`);
  if (rows.some((row) => !row.pass)) process.exitCode = 1;
}
