/**
 * The benchmark's server, run in its own process so that its CPU time is not the client's:
 *   node --import tsx bench/server.ts '{"servers":1,"latencyMs":0,"serial":false,"answer":"fixed"}'
 * It prints `{"urls":[...]}` on one line once listening, and exits when its stdin closes.
 *
 * - answer "fixed": precomputed embedding bodies (n x 512 numbers, n = the number of inputs sent), so
 *   the server costs as little as possible and the client is what is measured.
 * - answer "mock": the package's protocol imitation (`handleClipRequest`): real validation and
 *   content-derived embeddings, for figures where the server's CPU time is not what limits.
 * - latencyMs with serial false: every request waits latencyMs, any number at once.
 * - latencyMs with serial true: each server works on one request at a time, latencyMs each, as an
 *   inference server that runs one batch after another on its accelerator.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleClipRequest } from 'roboflow-clip/testing';

export interface BenchServerConfig {
  servers: number;
  latencyMs: number;
  serial: boolean;
  answer: 'fixed' | 'mock';
}

const DIMENSION = 512;
const SMALL_BODY = 64 * 1024;

function embedding(seed: number): number[] {
  return Array.from({ length: DIMENSION }, (_, i) => Math.fround(Math.sin(seed * 1000 + i) * 0.9));
}

const fixedBodies = new Map<number, Buffer>();
function fixedBody(count: number): Buffer {
  let body = fixedBodies.get(count);
  if (!body) {
    const embeddings = Array.from({ length: count }, (_, i) => embedding(i + 1));
    body = Buffer.from(JSON.stringify({ inference_id: null, frame_id: null, time: 0.0123, embeddings }));
    fixedBodies.set(count, body);
  }
  return body;
}

/** How many inputs a request carries; large bodies (base64 images) are counted without parsing them. */
function inputCount(raw: Buffer): number {
  if (raw.length > SMALL_BODY) {
    let count = 0;
    for (let at = raw.indexOf('"type"'); at !== -1; at = raw.indexOf('"type"', at + 6)) count++;
    return Math.max(count, 1);
  }
  const body = JSON.parse(raw.toString('utf8')) as { image?: unknown; text?: unknown };
  const items = body.image ?? body.text;
  return Array.isArray(items) ? items.length : 1;
}

function answer(config: BenchServerConfig, req: IncomingMessage, raw: Buffer): { status: number; headers: Record<string, string>; body: Buffer | string } {
  if (config.answer === 'mock') {
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    return handleClipRequest({ method: req.method ?? 'POST', url: req.url ?? '/', headers, body: raw.toString('utf8') });
  }
  return { status: 200, headers: { 'content-type': 'application/json', 'x-model-id': 'clip/ViT-B-16' }, body: fixedBody(inputCount(raw)) };
}

function handler(config: BenchServerConfig) {
  let busyUntil = 0;
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = answer(config, req, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      const send = () => res.writeHead(reply.status, reply.headers).end(reply.body);
      if (config.latencyMs <= 0) return send();
      const now = performance.now();
      busyUntil = config.serial ? Math.max(busyUntil, now) + config.latencyMs : now + config.latencyMs;
      setTimeout(send, busyUntil - now);
    });
  };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as BenchServerConfig;
  const urls: string[] = [];
  for (let i = 0; i < config.servers; i++) {
    const server = createServer({ keepAliveTimeout: 30_000 }, handler(config));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  process.stdout.write(`${JSON.stringify({ urls })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
}

await main();
