/**
 * Load test: many calls at high concurrency against the mock server with injected 503s and resets,
 * retries on. Every call must end with its own correct embedding or a typed error; none may be lost or
 * get another call's answer; no rejection may go unhandled; the heap must stay flat.
 * Run: npm run test:load (node --expose-gc); LOAD_CALLS=n changes the number of calls. Prints its
 * figures; exits non-zero on any failure.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ClipClient, ClipError } from '../../src/index.js';
import { mockTextEmbedding, type MockServerStats } from '../../src/testing.js';

const CALLS = Number(process.env.LOAD_CALLS ?? 20_000);
const IN_FLIGHT = 128;
const MAX_RETRIES = 2;
const FAULT_RATE = 0.05;
const TIME_LIMIT_MS = 120_000;
/** Warm-up calls before the first heap reading; the rest is split in two equal halves. */
const WARM_UP = Math.floor(CALLS / 10);
const KEY = 'load-test-key';
/** Heap growth tolerated over the measured run: far below what keeping each call's 2 KB result would cost. */
const MAX_HEAP_GROWTH_BYTES = 8 * 1024 * 1024;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run test:load)');

const problems: string[] = [];
const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

const server = fork(fileURLToPath(new URL('./mock-server-process.ts', import.meta.url)), [
  JSON.stringify({ apiKey: KEY, faults: { rate: FAULT_RATE, kinds: ['503', 'reset'], seed: 42, retryAfter: 0 } }),
], { execArgv: ['--import', 'tsx'] });
const watchdog = setTimeout(() => {
  console.error(`FAIL: the load test did not finish within ${TIME_LIMIT_MS / 1000} s`);
  server.kill();
  process.exit(1);
}, TIME_LIMIT_MS);
watchdog.unref();

const { url } = await nextMessage<{ url: string }>(server, 'url');
const client = new ClipClient({ baseUrl: url, apiKey: KEY, maxRetries: MAX_RETRIES });

/** Unique text per call, so that an answer delivered to the wrong call cannot match. */
const textOf = (i: number) => `load call ${i} of the fault run`;
const outcomes = { ok: 0, typedErrors: 0, byError: {} as Record<string, number> };

async function one(i: number): Promise<void> {
  const texts = i % 4 === 0 ? [textOf(i), `${textOf(i)} second`] : textOf(i);
  try {
    const { embeddings } = await client.embedText({ text: texts });
    const expected = Array.isArray(texts) ? texts : [texts];
    if (embeddings.length !== expected.length) return void problems.push(`call ${i}: ${embeddings.length} embeddings`);
    for (let k = 0; k < expected.length; k++) {
      const want = mockTextEmbedding(expected[k]!);
      const got = embeddings[k]!;
      if (got.length !== want.length || got.some((x, j) => x !== want[j])) return void problems.push(`call ${i}: embedding ${k} is not its own`);
    }
    outcomes.ok++;
  } catch (error) {
    if (!(error instanceof ClipError)) return void problems.push(`call ${i}: untyped error ${String(error)}`);
    // Only a call whose every attempt met a fault may fail.
    const attempts = (error as { attempts?: number }).attempts;
    if (attempts !== MAX_RETRIES + 1) problems.push(`call ${i}: ${error.name} after ${attempts} attempt(s)`);
    outcomes.typedErrors++;
    const label = `${error.name}${'status' in error ? ` ${String(error.status)}` : ''}`;
    outcomes.byError[label] = (outcomes.byError[label] ?? 0) + 1;
  }
}

/** Calls `from` to `to` (exclusive), IN_FLIGHT at a time. */
async function run(from: number, to: number): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) await one(next++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

function heapAfterGc(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

const started = performance.now();
await run(0, WARM_UP);
const heapStart = heapAfterGc();
const measuredFrom = performance.now();
const middle = WARM_UP + Math.floor((CALLS - WARM_UP) / 2);
await run(WARM_UP, middle);
const heapMiddle = heapAfterGc();
await run(middle, CALLS);
const heapEnd = heapAfterGc();
const finished = performance.now();

server.send('stats');
const { stats } = await nextMessage<{ stats: MockServerStats }>(server, 'stats');
server.send('close');
await client.close();
await new Promise((resolve) => setImmediate(resolve));

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const seconds = (finished - started) / 1000;
const figures = {
  calls: CALLS,
  inFlight: IN_FLIGHT,
  seconds: Number(seconds.toFixed(2)),
  callsPerSecond: Math.round(CALLS / seconds),
  ok: outcomes.ok,
  typedErrors: outcomes.typedErrors,
  errorsByKind: outcomes.byError,
  serverRequests: stats.requests,
  retries: stats.requests - CALLS,
  injectedFaults: stats.faults,
  heap: { afterWarmUp: mib(heapStart), middle: mib(heapMiddle), end: mib(heapEnd), growth: mib(heapEnd - heapStart) },
  measuredSeconds: Number(((finished - measuredFrom) / 1000).toFixed(2)),
};
console.log(JSON.stringify(figures, null, 2));

if (outcomes.ok + outcomes.typedErrors + problems.length !== CALLS) problems.push(`calls lost: ${CALLS - outcomes.ok - outcomes.typedErrors - problems.length}`);
if (unhandled.length > 0) problems.push(`${unhandled.length} unhandled rejection(s), first: ${String(unhandled[0])}`);
if (heapEnd - heapStart > MAX_HEAP_GROWTH_BYTES) problems.push(`heap grew by ${mib(heapEnd - heapStart)} (limit ${mib(MAX_HEAP_GROWTH_BYTES)})`);
if (stats.faults['503'] + stats.faults.reset < CALLS * FAULT_RATE * 0.8) problems.push('fewer faults were injected than planned');
if (outcomes.typedErrors > CALLS * 0.001) problems.push(`${outcomes.typedErrors} calls failed despite retries`);

if (problems.length > 0) {
  console.error(`FAIL\n  ${problems.slice(0, 20).join('\n  ')}`);
  process.exitCode = 1;
} else {
  console.log('PASS: every call got its own answer or a typed error; no unhandled rejection; heap flat');
}

function nextMessage<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (message && typeof message === 'object' && key in message) {
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolve(message as T);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`mock server process exited (${code}) before sending ${key}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
