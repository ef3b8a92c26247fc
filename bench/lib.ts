/** Shared pieces of the benchmark: the server process, statistics, and a bounded in-flight driver. */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { BenchServerConfig } from './server.js';

export interface BenchRow {
  figure: string;
  value: number;
  /** How the value reads, e.g. "0.97" or "3.9x". */
  shown?: string;
  target: string;
  pass: boolean | undefined;
  detail?: string;
}

export interface BenchServer {
  urls: string[];
  close(): Promise<void>;
}

const root = new URL('..', import.meta.url).pathname;

/** Starts bench/server.ts in a child process and waits for its URLs. */
export async function startBenchServer(config: Partial<BenchServerConfig>): Promise<BenchServer> {
  const full: BenchServerConfig = { servers: 1, latencyMs: 0, serial: false, answer: 'fixed', ...config };
  const child = spawn(process.execPath, ['--import', 'tsx', `${root}bench/server.ts`, JSON.stringify(full)], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => { throw new Error('bench server exited'); })])) as [string];
  lines.close();
  const { urls } = JSON.parse(line) as { urls: string[] };
  return {
    urls,
    async close() {
      const exited = once(child, 'exit');
      child.stdin!.end();
      await exited;
    },
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `total` calls with `inFlight` of them outstanding at any time; resolves to the wall time in ms. */
export async function runInFlight(inFlight: number, total: number, call: () => Promise<unknown>): Promise<number> {
  let started = 0;
  const start = performance.now();
  const lane = async () => {
    while (started < total) {
      started++;
      await call();
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, lane));
  return performance.now() - start;
}

/** Latency of each of `total` calls made one after another, in ms. */
export async function latencies(total: number, call: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < total; i++) {
    const start = performance.now();
    await call();
    out.push(performance.now() - start);
  }
  return out;
}

export const fmt = (value: number, digits = 2) => value.toFixed(digits);

/** The PostgreSQL server of the store figures: the one given, else one that scripts/ci/postgres.sh starts (as root); undefined when neither. */
export function postgresUrl(given: string | undefined): string | undefined {
  if (given) return given;
  try {
    return execFileSync('bash', [`${root}scripts/ci/postgres.sh`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch {
    return undefined;
  }
}
