// A client against a server that cannot batch images, as the default backend of inference 1.5.0 (its
// inference_models CLIP adapter) answers in the recorded transcript: a list of same-size images gets ONE
// embedding, images of different sizes HTTP 500 {"message": "Internal error."}, and several image
// prompts one similarity. Texts it batches correctly.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClipApiError, ClipClient, ClipResponseError, ClipTimeoutError, type ClipClientOptions, type ClipLogger, type WireImage } from '../src/index.js';
import { cosineSimilarity, softmax } from '../src/vectors.js';
import { startStub, type StubServer } from './helpers/http.js';
import { PNG_BASE64 } from './fixtures/images.js';
import { upstreamCase, UPSTREAM_JPEGS } from './fixtures/upstream.js';

type Image = WireImage;
type Body = Record<string, unknown>;

const red: Image = { type: 'base64', value: UPSTREAM_JPEGS.red };
const blue: Image = { type: 'base64', value: UPSTREAM_JPEGS.blue };
const wide: Image = { type: 'base64', value: UPSTREAM_JPEGS.wide };
/** A PNG: this server fails it even alone (HTTP 500), as it does a bad image. */
const broken: Image = { type: 'base64', value: PNG_BASE64 };
const INTERNAL_ERROR = { message: 'Internal error.' };

/** Deterministic 16-number embeddings of a text or of an image's bytes. */
function vector(seed: string): number[] {
  const hash = createHash('sha256').update(seed).digest();
  return Array.from(hash.subarray(0, 16), (byte) => (byte - 127.5) / 127.5);
}
const textEmbedding = (text: string) => vector(`text:${text}`);
const imageEmbedding = (image: Image) => vector(`image:${image.value}`);

/** Width x height from a JPEG's frame header; a 500 for anything else, as for an image the server cannot load. */
function imageSize(image: Image): string {
  const bytes = Buffer.from(image.value, 'base64');
  const frame = bytes.indexOf(Buffer.from([0xff, 0xc0]));
  if (bytes[0] !== 0xff || frame < 0) throw new ServerError();
  return `${bytes.readUInt16BE(frame + 7)}x${bytes.readUInt16BE(frame + 5)}`;
}

class ServerError extends Error {}

const mean = (vectors: number[][]) => vectors[0]!.map((_, j) => vectors.reduce((sum, v) => sum + v[j]!, 0) / vectors.length);

/** The buggy batch: one embedding for a list of same-size images, a 500 for different sizes. */
function embedBatch(images: Image[]): number[] {
  if (new Set(images.map(imageSize)).size > 1) throw new ServerError();
  return mean(images.map(imageEmbedding));
}

function answer(path: string, body: Body): Body {
  const result = { inference_id: null, frame_id: null, time: 0.25 };
  if (path === '/clip/embed_text') return { ...result, embeddings: [body.text].flat().map((t) => textEmbedding(t as string)) };
  if (path === '/clip/embed_image') {
    const images = body.image as Image | Image[];
    return { ...result, embeddings: Array.isArray(images) ? [embedBatch(images)] : (imageSize(images), [imageEmbedding(images)]) };
  }
  const subject = body.subject_type === 'text' ? textEmbedding(body.subject as string) : (imageSize(body.subject as Image), imageEmbedding(body.subject as Image));
  const prompt = body.prompt as unknown;
  if (body.prompt_type !== 'image') {
    const texts = prompt as string | string[] | Record<string, string>;
    if (typeof texts === 'string' || Array.isArray(texts)) return { ...result, similarity: [texts].flat().map((t) => cosineSimilarity(subject, textEmbedding(t))) };
    return { ...result, similarity: Object.fromEntries(Object.entries(texts).map(([k, t]) => [k, cosineSimilarity(subject, textEmbedding(t))])) };
  }
  if (Array.isArray(prompt)) return { ...result, similarity: [cosineSimilarity(subject, embedBatch(prompt as Image[]))] };
  if ('type' in (prompt as Body)) return { ...result, similarity: [(imageSize(prompt as Image), cosineSimilarity(subject, imageEmbedding(prompt as Image)))] };
  const named = Object.entries(prompt as Record<string, Image>);
  return { ...result, similarity: { [named[0]![0]]: cosineSimilarity(subject, embedBatch(named.map(([, image]) => image))) } };
}

/** What a correct server answers: each image embedded by itself. */
const correctSimilarity = (subject: string, image: Image) => cosineSimilarity(textEmbedding(subject), imageEmbedding(image));

let server: StubServer;
/** Images per request, in the order the requests arrived. */
const imagesPerRequest = () =>
  server.requests.map((r) => {
    const body = JSON.parse(r.rawBody) as Body;
    const items = r.url.startsWith('/clip/embed_image') ? body.image : body.prompt_type === 'image' ? body.prompt : [];
    return Array.isArray(items) ? items.length : typeof items === 'object' && items && !('type' in items) ? Object.keys(items).length : 1;
  });

beforeAll(async () => {
  server = await startStub((req, res) => {
    try {
      const reply = answer(req.url.split('?')[0]!, JSON.parse(req.rawBody) as Body);
      res.writeHead(200, { 'content-type': 'application/json', 'x-inference-engine': 'inference-models' }).end(JSON.stringify(reply));
    } catch (error) {
      if (!(error instanceof ServerError)) throw error;
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(INTERNAL_ERROR));
    }
  });
});
afterAll(() => server.close());

const clients: ClipClient[] = [];
let warnings: string[];
beforeEach(async () => {
  server.requests.length = 0;
  warnings = [];
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(() => Promise.all(clients.map((c) => c.close())));

/** The client's warning that it sends one image per request from now on; the attempt lines aside. */
const batchingWarnings = () => warnings.filter((line) => line.includes('one image per request from now on'));
const logger: ClipLogger = { debug() {}, info() {}, warn: (line) => warnings.push(line), error() {} };
/** A client of its own, which has learnt nothing of the server yet. */
function client(options: ClipClientOptions = {}): ClipClient {
  const made = new ClipClient({ baseUrl: server.url, apiKey: null, maxRetries: 0, logger, ...options });
  clients.push(made);
  return made;
}

describe('the server imitates the transcript', () => {
  it('as the recorded inferenceModels answers show', () => {
    expect(upstreamCase('img2').responses.inferenceModels.body).toMatchObject({ embeddings: { count: 1 } });
    expect(upstreamCase('img2diff').responses.inferenceModels).toMatchObject({ status: 500, body: INTERNAL_ERROR });
    expect(Object.keys((upstreamCase('cmpImgMap').responses.inferenceModels.body as { similarity: object }).similarity)).toEqual(['r']);
    expect(answer('/clip/embed_image', { image: [red, blue] }).embeddings).toHaveLength(1);
    expect(() => answer('/clip/embed_image', { image: [red, wide] })).toThrow(ServerError);
    expect(answer('/clip/compare', { subject: 'a', subject_type: 'text', prompt: { r: red, b: blue }, prompt_type: 'image' }).similarity).toEqual({
      r: expect.any(Number),
    });
  });
});

describe("imageBatching 'auto' (the default)", () => {
  it('embedImage: one embedding for two same-size images makes it re-send them one per request', async () => {
    const result = await client().embedImage({ image: [red, blue] });
    expect(result.embeddings).toEqual([imageEmbedding(red), imageEmbedding(blue)]);
    expect(imagesPerRequest()).toEqual([2, 1, 1]);
    // Each image alone, not as a list of one: the form the transcript shows the server answering right.
    expect(server.requests.slice(1).map((r) => (JSON.parse(r.rawBody) as Body).image)).toEqual([red, blue]);
    expect(result.time).toBeCloseTo(0.5);
    expect(result.meta.status).toBe(200);
  });

  it('embedImage: a 500 for images of different sizes makes it re-send them one per request', async () => {
    const result = await client().embedImage({ image: [red, wide, blue] });
    expect(result.embeddings).toEqual([red, wide, blue].map(imageEmbedding));
    expect(imagesPerRequest()).toEqual([3, 1, 1, 1]);
    expect(batchingWarnings()).toEqual([expect.stringContaining('answered HTTP 500 to a request of 3 images')]);
  });

  it('from then on sends that server one image per request, and says so once at warn', async () => {
    const c = client();
    await c.embedImage({ image: [red, blue] });
    await Promise.all([c.embedImage({ image: [wide, red] }), c.embedImage({ image: [blue, blue, red] })]);
    expect(imagesPerRequest()).toEqual([2, 1, 1, 1, 1, 1, 1, 1]);
    expect(batchingWarnings()).toHaveLength(1);
    expect(batchingWarnings()[0]).toContain(`${server.url} answered fewer results than images to a request of 2 images`);
    expect(batchingWarnings()[0]).toContain('(imageBatching: \'auto\')');
  });

  it('embedImages: every image gets its own embedding, in order', async () => {
    const images = [red, blue, wide, red, red, blue, wide, wide, blue, red, wide];
    const vectors = await client().embedImages(images, { concurrency: 1 });
    expect(vectors).toEqual(images.map(imageEmbedding));
    expect(imagesPerRequest()).toEqual([8, ...Array(11).fill(1)]);
  });

  it('compare: several image prompts, as a list and as a name map', async () => {
    const c = client();
    const list = await c.compare({ subject: 'a red square', subject_type: 'text', prompt: [red, blue, wide], prompt_type: 'image' });
    expect(list.similarity).toEqual([red, blue, wide].map((image) => correctSimilarity('a red square', image)));
    const named = await client().compare({ subject: 'a red square', subject_type: 'text', prompt: { r: red, b: blue }, prompt_type: 'image' });
    expect(named.similarity).toEqual({ r: correctSimilarity('a red square', red), b: correctSimilarity('a red square', blue) });
    expect(Object.keys(named.similarity)).toEqual(['r', 'b']);
    expect(server.requests.slice(-2).map((r) => (JSON.parse(r.rawBody) as Body).prompt)).toEqual([red, blue]);
  });

  it('compareMany: any number of image prompts, merged back in order', async () => {
    const prompt = Object.fromEntries([red, blue, wide, red, blue, wide, red, blue, wide, red].map((image, i) => [`p${i}`, image]));
    const { similarity } = await client().compareMany({ subject: 'a blue square', subject_type: 'text', prompt, prompt_type: 'image' });
    expect(similarity).toEqual(Object.fromEntries(Object.entries(prompt).map(([name, image]) => [name, correctSimilarity('a blue square', image)])));
  });

  it('classify: scores equal those computed from correct embeddings', async () => {
    const labels = ['cat', 'dog', 'red square'];
    const results = await client().classify(red, labels);
    // The client keeps label embeddings as float32, as the server computes them.
    const similarities = labels.map((label) => cosineSimilarity(imageEmbedding(red), Float32Array.from(textEmbedding(label))));
    const scores = softmax(similarities, 100);
    expect(results).toEqual(labels.map((label, i) => ({ label, score: scores[i]!, similarity: similarities[i]! })).sort((a, b) => b.score - a.score));
  });

  it('texts are sent as they were: a list of texts in one request, also once images go one by one', async () => {
    const c = client();
    await c.embedImage({ image: [red, blue] });
    server.requests.length = 0;
    const texts = Array.from({ length: 20 }, (_, i) => `text ${i}`);
    expect(await c.embedTexts(texts, { batchSize: 20 })).toEqual(texts.map(textEmbedding));
    const compared = await c.compare({ subject: red, prompt: ['a cat', 'a dog'] });
    expect(compared.similarity).toEqual(['a cat', 'a dog'].map((t) => cosineSimilarity(imageEmbedding(red), textEmbedding(t))));
    expect(server.requests.map((r) => JSON.parse(r.rawBody) as Body).map((b) => [b.text ?? b.prompt].flat().length)).toEqual([20, 2]);
  });

  it('a failure of an image sent alone is the call’s error, and teaches the client nothing', async () => {
    const c = client();
    const error = await c.embedImage({ image: [red, broken] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClipApiError);
    expect((error as ClipApiError).status).toBe(500);
    expect(imagesPerRequest()).toEqual([2, 1, 1]);
    expect(batchingWarnings()).toEqual([]);
    server.requests.length = 0;
    await c.embedImage({ image: [red, blue] });
    expect(imagesPerRequest()).toEqual([2, 1, 1]);
  });

  it('the requests of one image each share the call’s deadline', async () => {
    const slow = await startStub((req, res) => {
      const reply = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ embeddings: [imageEmbedding(red)] }));
      setTimeout(reply, 150);
    });
    const c = client({ baseUrl: slow.url, imageBatching: 'never' });
    try {
      const error = await c.embedImage({ image: [red, red, red, red] }, { deadlineMs: 400 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClipTimeoutError);
      expect(slow.requests.length).toBeLessThan(4);
    } finally {
      await slow.close();
    }
  });

  it('one image goes in one request, with no check of its own', async () => {
    const c = client();
    await c.embedImage({ image: [red, blue] });
    server.requests.length = 0;
    await c.embedImage({ image: red });
    await c.compare({ subject: 'a cat', subject_type: 'text', prompt: [red], prompt_type: 'image' });
    expect(imagesPerRequest()).toEqual([1, 1]);
  });
});

describe("imageBatching 'never' and 'always'", () => {
  it("'never' sends one image per request from the first call, silently", async () => {
    const result = await client({ imageBatching: 'never' }).embedImage({ image: [red, wide, blue] });
    expect(result.embeddings).toEqual([red, wide, blue].map(imageEmbedding));
    expect(imagesPerRequest()).toEqual([1, 1, 1]);
    expect(batchingWarnings()).toEqual([]);
  });

  it("'always' never re-sends: a short answer is a ClipResponseError, a 500 a ClipApiError", async () => {
    const c = client({ imageBatching: 'always' });
    await expect(c.embedImage({ image: [red, blue] })).rejects.toThrow(ClipResponseError);
    await expect(c.embedImage({ image: [red, wide] })).rejects.toThrow(ClipApiError);
    await expect(c.compare({ subject: 'a', subject_type: 'text', prompt: [red, blue], prompt_type: 'image' })).rejects.toThrow(/1 similarity value\(s\) for 2 prompt/);
    expect(imagesPerRequest()).toEqual([2, 2, 2]);
  });

  it('any other value is refused when the client is made', () => {
    expect(() => client({ imageBatching: 'auto ' as never })).toThrow(/imageBatching: must be "auto", "always" or "never"/);
  });
});
