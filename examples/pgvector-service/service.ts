// A search service over the table the indexer fills: `GET /search?q=a+raccoon&k=3` answers the k photos
// nearest to the text, best first; any other parameter filters by metadata (`&album=zoo`). Run as many
// processes as you like, on one machine or several: they share nothing but the database.
// Reads DATABASE_URL (and PHOTOS_TABLE), ROBOFLOW_API_KEY, ROBOFLOW_CLIP_URL, PORT (default 3000) and HOST (default 127.0.0.1).
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClipClient, ClipError, ClipValidationError } from 'roboflow-clip';
import { CLIP_VERSION, openPhotoStore } from './store.js';

const MAX_K = 100;

const clip = new ClipClient({ clipVersion: CLIP_VERSION, timeoutMs: 10_000 });
// Opened, not created: a service that starts before the indexer has run says so and stops.
const store = await openPhotoStore();

async function search(query: URLSearchParams) {
  const q = query.get('q')?.trim();
  const k = Number(query.get('k') ?? 10);
  if (!q) return { status: 400, body: { error: 'give the text to search for as ?q=' } };
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) return { status: 400, body: { error: `k must be an integer from 1 to ${MAX_K}` } };
  const filter = Object.fromEntries([...query].filter(([name]) => name !== 'q' && name !== 'k'));
  if (Object.keys(filter).length === 0) return { status: 200, body: { hits: await clip.searchText(store, q, k) } };
  // searchText ranks the whole table; a filter goes to the store's own search, with the query embedded by the same model.
  const { embeddings } = await clip.embedText({ text: q });
  return { status: 200, body: { hits: await store.search(embeddings[0]!, k, { filter }) } };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://service');
  if (req.method !== 'GET' || url.pathname !== '/search') return send(res, 404, { error: 'GET /search?q=...&k=...' });
  try {
    const { status, body } = await search(url.searchParams);
    send(res, status, body);
  } catch (error) {
    if (error instanceof ClipValidationError) return send(res, 400, { error: error.message });
    console.error(error);
    send(res, error instanceof ClipError ? 502 : 500, { error: error instanceof ClipError ? error.name : 'internal error' });
  }
});

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST || '127.0.0.1', () => {
  const { address, port } = server.address() as AddressInfo;
  console.log(`listening on http://${address}:${port}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // Requests in flight finish; then the client's connections and the store's pool close.
    server.close(async () => {
      await clip.close();
      await store.close();
    });
    server.closeIdleConnections();
  });
}
