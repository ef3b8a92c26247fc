/**
 * Per-request cost of the client against raw undici on the same Agent settings, and against
 * globalThis.fetch. Run alone: node --import tsx bench/http.ts [--quick]
 */
import { pathToFileURL } from 'node:url';
import { Agent } from 'undici';
import { ClipClient } from 'roboflow-clip';
import { mockPng } from 'roboflow-clip/testing';
import { fmt, latencies, median, percentile, runInFlight, startBenchServer, type BenchRow } from './lib.js';

export interface HttpBenchOptions {
  rounds?: number;
  /** Requests per contender per round at 64 in flight. */
  requests?: number;
  /** Sequential requests per contender per round for the latency figure. */
  sequential?: number;
  /** Requests per contender per round with the 4 MiB image. */
  largeRequests?: number;
}

const TEXT = 'a photo of a raccoon';
const HEADERS = { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'bench' };
/** The client's own default Agent settings, so raw undici gets the same pool. */
const agentOptions = { keepAliveTimeout: 4_000 };

type Call = () => Promise<unknown>;

function rawUndici(agent: Agent, origin: string, path: string, payload: object): Call {
  return async () => {
    const { statusCode, body } = await agent.request({ origin, path, method: 'POST', headers: HEADERS, body: JSON.stringify(payload) });
    const json = JSON.parse(await body.text()) as { embeddings?: unknown };
    if (statusCode !== 200 || !Array.isArray(json.embeddings)) throw new Error(`raw undici: status ${statusCode}`);
  };
}

function rawFetch(url: string, payload: object): Call {
  return async () => {
    const response = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(payload) });
    const json = (await response.json()) as { embeddings?: unknown };
    if (response.status !== 200 || !Array.isArray(json.embeddings)) throw new Error(`fetch: status ${response.status}`);
  };
}

/**
 * Rounds of every contender. Within a round the contenders take turns in short blocks (the order
 * rotating), so that load from elsewhere on the machine falls on all of them alike; each round
 * yields one value per contender: `blocks` results combined by `combine`.
 */
async function interleave<K extends string>(
  rounds: number,
  blocks: number,
  contenders: Record<K, () => Promise<number[]>>,
  combine: (values: number[]) => number,
): Promise<Record<K, number[]>> {
  const names = Object.keys(contenders) as K[];
  const out = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < rounds; r++) {
    const collected = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
    for (let b = 0; b < blocks; b++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(b + i) % names.length]!;
        collected[name].push(...(await contenders[name]()));
      }
    }
    for (const name of names) out[name].push(combine(collected[name]));
  }
  return out;
}

function ratios(a: number[], b: number[]): number[] {
  return a.map((x, i) => x / b[i]!);
}

const BLOCKS = 10;
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export async function runHttpBench(options: HttpBenchOptions = {}): Promise<BenchRow[]> {
  const { rounds = 7, requests = 10_000, sequential = 2_000, largeRequests = 80 } = options;
  const server = await startBenchServer({ answer: 'fixed' });
  const origin = server.urls[0]!;
  const agent = new Agent(agentOptions);
  const clip = new ClipClient({ baseUrl: origin, apiKey: null, maxRetries: 0 });
  const textPayload = { text: TEXT };
  const client: Call = () => clip.embedText(textPayload);
  const raw = rawUndici(agent, origin, '/clip/embed_text', textPayload);
  const viaFetch = rawFetch(`${origin}/clip/embed_text`, textPayload);
  const rows: BenchRow[] = [];

  /** A block of `count` calls at `inFlight`; a round's blocks combine into requests per second. */
  const rate = (inFlight: number, count: number) => ({
    block: (call: Call) => async () => [await runInFlight(inFlight, count, call)],
    perSecond: (ms: number[]) => (ms.length * count) / (sum(ms) / 1000),
  });
  try {
    for (const call of [client, raw, viaFetch]) await runInFlight(64, 2_000, call);

    const r = rate(64, Math.ceil(requests / BLOCKS));
    const r64 = await interleave(rounds, BLOCKS, { client: r.block(client), raw: r.block(raw), fetch: r.block(viaFetch) }, r.perSecond);
    const vsRaw = median(ratios(r64.client, r64.raw));
    const vsFetch = median(ratios(r64.client, r64.fetch));
    rows.push({
      figure: 'embedText (1 text, 1x512 answer) at 64 in flight: req/s vs raw undici',
      value: vsRaw,
      target: '>= 1.00',
      pass: vsRaw >= 1,
      detail: `client ${fmt(median(r64.client), 0)} req/s, raw undici ${fmt(median(r64.raw), 0)} req/s`,
    });
    rows.push({
      figure: 'embedText at 64 in flight: req/s vs globalThis.fetch',
      value: vsFetch,
      shown: `${fmt(vsFetch)}x`,
      target: '>= 2.5x',
      pass: vsFetch >= 2.5,
      detail: `fetch ${fmt(median(r64.fetch), 0)} req/s`,
    });

    const seq = Math.ceil(sequential / BLOCKS);
    const lat = await interleave(rounds, BLOCKS, { client: () => latencies(seq, client), raw: () => latencies(seq, raw) }, (v) => percentile(v, 50));
    const latRatio = median(ratios(lat.client, lat.raw));
    rows.push({
      figure: 'embedText at 1 in flight: p50 latency vs raw undici',
      value: latRatio,
      target: '<= 1.00',
      pass: latRatio <= 1,
      detail: `client ${fmt(median(lat.client) * 1000, 0)} us, raw undici ${fmt(median(lat.raw) * 1000, 0)} us`,
    });

    // 4 MiB of base64: a PNG's header, which is all the mock reads of an image, then filler bytes.
    const base64 = Buffer.concat([mockPng('a large picture'), Buffer.alloc(3 * 1024 * 1024, 'roboflow')]).toString('base64');
    const imagePayload = { image: { type: 'base64' as const, value: base64 } };
    const largeClient: Call = () => clip.embedImage(imagePayload);
    const largeRaw = rawUndici(agent, origin, '/clip/embed_image', imagePayload);
    for (const call of [largeClient, largeRaw]) await runInFlight(4, 8, call);
    const l = rate(4, Math.max(4, Math.ceil(largeRequests / BLOCKS)));
    const large = await interleave(rounds, BLOCKS, { client: l.block(largeClient), raw: l.block(largeRaw) }, l.perSecond);
    const largeRatio = median(ratios(large.client, large.raw));
    rows.push({
      figure: 'embedImage, 4 MiB base64 image, 4 in flight: req/s vs raw undici',
      value: largeRatio,
      target: '>= 0.90',
      pass: largeRatio >= 0.9,
      detail: `client ${fmt(median(large.client), 1)} req/s, raw undici ${fmt(median(large.raw), 1)} req/s`,
    });
  } finally {
    await clip.close();
    await agent.close();
    await server.close();
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const rows = await runHttpBench(quick ? { rounds: 3, requests: 4_000, sequential: 500, largeRequests: 20 } : {});
  for (const row of rows) console.log(`${row.pass ? 'PASS' : 'FAIL'}  ${row.figure}: ${row.shown ?? fmt(row.value)} (target ${row.target}) ${row.detail ?? ''}`);
}
