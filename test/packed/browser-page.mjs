// The browser check of the runtime matrix: bundled by esbuild from the packed package (its browser
// build) into a page, which calls the mock server named in its query (?mock=URL) across origins, with
// no API key, and keeps its verdict in window.verdict.
import { ClipClient } from 'roboflow-clip';
import { EmbeddingIndex } from 'roboflow-clip/vectors';

const IMAGE = 'https://example.com/raccoon.jpg';

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

const isVector = (v) => Array.isArray(v) && v.length === 512 && v.every(Number.isFinite);

async function run() {
  const baseUrl = new URLSearchParams(location.search).get('mock');
  const clip = new ClipClient({ baseUrl, apiKey: null, maxRetries: 0 });
  try {
    const text = await clip.embedText({ text: ['a photo of a cat', 'a photo of a dog', 'a raccoon at night'] });
    check(text.embeddings.length === 3 && text.embeddings.every(isVector), 'embedText returns three 512-number vectors');

    const compared = await clip.compare({ subject: IMAGE, prompt: { raccoon: 'a raccoon', car: 'a red car' } });
    const { raccoon, car } = compared.similarity;
    check(raccoon > car, `compare scores the raccoon higher (${raccoon} vs ${car})`);

    const [best] = await clip.classify(IMAGE, ['red car', 'raccoon', 'sailing boat']);
    check(best?.label === 'raccoon', `classify puts the raccoon first, got ${best?.label}`);

    const index = new EmbeddingIndex({ clipVersion: 'ViT-B-16' });
    ['cat', 'dog', 'raccoon'].forEach((id, i) => index.add(id, text.embeddings[i]));
    const image = await clip.embedImage({ image: IMAGE });
    const [hit] = index.search(image.embeddings[0], 1);
    check(hit?.id === 'raccoon', `the index finds the raccoon for the raccoon picture, got ${hit?.id}`);
    return { ok: true, userAgent: navigator.userAgent };
  } finally {
    await clip.close();
  }
}

window.verdict = run().catch((error) => ({ ok: false, error: String(error?.stack ?? error) }));
