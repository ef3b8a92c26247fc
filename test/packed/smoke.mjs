// The runtime matrix's smoke test: plain JavaScript, so that every runtime runs it as is. Run from a
// folder where the packed roboflow-clip is installed, with ROBOFLOW_CLIP_URL and ROBOFLOW_API_KEY set
// to the mock server's. SMOKE_BUILD says which build the runtime must pick ('node' or 'edge');
// SMOKE_TRANSPORT=fetch passes the runtime's fetch explicitly. Prints one JSON line; exits 1 on failure.
import { ClipApiError, ClipClient, ClipError, EmbeddingIndexError } from 'roboflow-clip';
import { EmbeddingIndex } from 'roboflow-clip/vectors';

const env = globalThis.process?.env ?? globalThis.Deno?.env.toObject() ?? {};
const WRONG_KEY = 'smoke-wrong-key-3b9d';
const IMAGE = 'https://example.com/raccoon.jpg';
// A valid 1x1 PNG: the server (and the mock) refuse bytes that are no image.
const PNG_BYTES = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='),
  (c) => c.charCodeAt(0),
);

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

const isVector = (v) => Array.isArray(v) && v.length === 512 && v.every(Number.isFinite);

async function smoke() {
  check(/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(env.ROBOFLOW_CLIP_URL ?? ''), 'ROBOFLOW_CLIP_URL is a loopback mock server');
  const resolved = import.meta.resolve('roboflow-clip');
  const build = /\/edge\/index\.js$/.test(resolved) ? 'edge' : 'node';
  check(build === env.SMOKE_BUILD, `expected the ${env.SMOKE_BUILD} build, loaded ${resolved}`);

  const transport = env.SMOKE_TRANSPORT === 'fetch' ? { fetch: (url, init) => fetch(url, init) } : {};
  const clip = new ClipClient({ maxRetries: 0, ...transport });
  try {
    const text = await clip.embedText({ text: ['a photo of a cat', 'a photo of a dog'] });
    check(text.embeddings.length === 2 && text.embeddings.every(isVector), 'embedText returns two 512-number vectors');
    check(text.meta.status === 200, 'embedText result has meta.status 200');

    const image = await clip.embedImage({ image: [IMAGE, PNG_BYTES] });
    check(image.embeddings.length === 2 && image.embeddings.every(isVector), 'embedImage returns one vector per image');

    const compared = await clip.compare({ subject: IMAGE, prompt: { raccoon: 'a raccoon', car: 'a red car' } });
    const { raccoon, car } = compared.similarity;
    check(Object.keys(compared.similarity).join() === 'raccoon,car', 'compare keys the result like the prompt');
    check(raccoon > car && raccoon <= 1 && car >= -1, `compare scores the raccoon higher (${raccoon} vs ${car})`);

    const index = new EmbeddingIndex();
    index.add('cat', text.embeddings[0]);
    index.add('dog', text.embeddings[1]);
    const [best] = await clip.searchText(index, 'a photo of a cat', 1);
    check(best?.id === 'cat', `searchText finds the cat first, got ${best?.id}`);
    const mismatch = (() => { try { index.add('short', [1, 2]); } catch (e) { return e; } })();
    check(mismatch instanceof EmbeddingIndexError && mismatch.code === 'dimension_mismatch', `the index throws the main entry's EmbeddingIndexError, got ${mismatch}`);
  } finally {
    await clip.close();
  }

  const wrong = new ClipClient({ apiKey: WRONG_KEY, maxRetries: 0, ...transport });
  const error = await wrong.embedText({ text: 'a cat' }).then(() => undefined, (e) => e);
  await wrong.close();
  check(error instanceof ClipApiError && error instanceof ClipError, `a wrong key rejects with ClipApiError, got ${error}`);
  check(error.status === 401, `a wrong key gets status 401, got ${error.status}`);
  check(!`${error.message}${error.stack}${JSON.stringify(error)}`.includes(WRONG_KEY), 'the key is not in the error');
  return build;
}

try {
  const build = await smoke();
  console.log(JSON.stringify({ ok: true, build, transport: env.SMOKE_TRANSPORT ?? 'default' }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, error: String(error?.stack ?? error) }));
  globalThis.process ? (globalThis.process.exitCode = 1) : globalThis.Deno?.exit(1);
}
