/**
 * The client's own CPU time per call against raw undici's, with the network taken out: a dispatcher
 * in the same process answers every request at once (a new-style handler goes through undici's own
 * adapter, as a real Agent does). Calls one after another, in alternating blocks.
 * Run alone: node --import tsx bench/in-process.ts (DIM sets the answer's vector length, default 512).
 */
import { createRequire } from 'node:module';
import { Dispatcher } from 'undici';
import { ClipClient } from 'roboflow-clip';
import { median } from './lib.js';

const UnwrapHandler = createRequire(import.meta.url)('undici/lib/handler/unwrap-handler.js') as { unwrap(handler: object): Record<string, (...args: unknown[]) => unknown> };

const dimension = Number(process.env.DIM ?? 512);
const vector = Array.from({ length: dimension }, (_, i) => Math.fround(Math.sin(1000 + i) * 0.9));
const body = Buffer.from(JSON.stringify({ inference_id: null, frame_id: null, time: 0.0123, embeddings: [vector] }));
const rawHeaders = ['content-type', 'application/json', 'x-model-id', 'clip/ViT-B-16', 'content-length', String(body.length)].map((h) => Buffer.from(h));

/** Answers every request in a microtask, through undici's handler interface of the kind the handler has. */
class Instant extends Dispatcher {
  override dispatch(_options: Dispatcher.DispatchOptions, given: Dispatcher.DispatchHandler): boolean {
    const handler = UnwrapHandler.unwrap(given);
    queueMicrotask(() => {
      handler.onConnect!(() => {});
      handler.onHeaders!(200, rawHeaders, () => {}, 'OK');
      handler.onData!(body);
      handler.onComplete!([]);
    });
    return true;
  }
  override async close(): Promise<void> {}
}

const dispatcher = new Instant();
const origin = 'http://127.0.0.1:9';
const clip = new ClipClient({ baseUrl: origin, apiKey: null, maxRetries: 0, dispatcher });
const payload = { text: 'a photo of a raccoon' };
const headers = { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'bench' };
const raw = async () => {
  const { statusCode, body: answer } = await dispatcher.request({ origin, path: '/clip/embed_text', method: 'POST', headers, body: JSON.stringify(payload) });
  const json = JSON.parse(await answer.text()) as { embeddings?: unknown };
  if (statusCode !== 200 || !Array.isArray(json.embeddings)) throw new Error('raw undici: unexpected answer');
};
const client = () => clip.embedText(payload);

async function perCall(call: () => Promise<unknown>, calls: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < calls; i++) await call();
  return ((performance.now() - start) / calls) * 1000;
}

const blocks = 30;
const calls = 3_000;
const rawUs: number[] = [];
const clientUs: number[] = [];
const differences: number[] = [];
for (let b = 0; b < blocks; b++) {
  const r = await perCall(raw, calls);
  const c = await perCall(client, calls);
  rawUs.push(r);
  clientUs.push(c);
  differences.push(c - r);
}
console.log(
  `answer of ${dimension} numbers, ${blocks} blocks of ${calls} calls: raw undici ${median(rawUs).toFixed(2)} us a call, ` +
    `client ${median(clientUs).toFixed(2)} us, client - raw ${median(differences).toFixed(2)} us (medians)`,
);
await clip.close();
