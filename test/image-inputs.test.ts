import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClipClient, imageFromFile, type ImageInput, type WireImage } from '../src/index.js';
import { startMockServer } from '../src/testing.js';
import { PNG_BASE64, PNG_BYTES } from './fixtures/images.js';

type Mock = Awaited<ReturnType<typeof startMockServer>>;
let mock: Mock;
let clip: ClipClient;
let tempDir: string;
let pngPath: string;

beforeAll(async () => {
  mock = await startMockServer();
  clip = new ClipClient({ baseUrl: mock.url, apiKey: null, maxRetries: 0 });
  tempDir = await mkdtemp(join(tmpdir(), 'roboflow-clip-test-'));
  pngPath = join(tempDir, 'pixel.png');
  await writeFile(pngPath, PNG_BYTES);
});
afterAll(async () => {
  await clip.close();
  await mock.close();
  await rm(tempDir, { recursive: true, force: true });
});
beforeEach(() => {
  mock.requests.length = 0;
});

const HTTPS = 'https://example.com/cats/tabby.jpg';
const HTTP = 'http://example.com/cats/tabby.jpg';
const asBase64: WireImage = { type: 'base64', value: PNG_BASE64 };

function viewWithOffset(bytes: Uint8Array): Uint8Array {
  const larger = new Uint8Array(bytes.length + 8).fill(0xff);
  larger.set(bytes, 3);
  return larger.subarray(3, 3 + bytes.length);
}

/** Each accepted form of an image, and the wire image it must become. Built lazily: imageFromFile needs the temp file. */
const FORMS: [name: string, input: () => ImageInput | Promise<ImageInput>, wire: WireImage][] = [
  ['wire url object', () => ({ type: 'url', value: HTTPS }), { type: 'url', value: HTTPS }],
  ['wire base64 object', () => ({ type: 'base64', value: PNG_BASE64 }), asBase64],
  ['https:// string', () => HTTPS, { type: 'url', value: HTTPS }],
  ['http:// string', () => HTTP, { type: 'url', value: HTTP }],
  ['data:image/png;base64, string (prefix removed)', () => `data:image/png;base64,${PNG_BASE64}`, asBase64],
  ['URL object', () => new URL(HTTPS), { type: 'url', value: HTTPS }],
  ['Uint8Array', () => new Uint8Array(PNG_BYTES), asBase64],
  ['Uint8Array view into a larger buffer', () => viewWithOffset(PNG_BYTES), asBase64],
  ['Buffer', () => Buffer.from(PNG_BYTES), asBase64],
  ['ArrayBuffer', () => new Uint8Array(PNG_BYTES).buffer, asBase64],
  ['Blob', () => new Blob([new Uint8Array(PNG_BYTES)], { type: 'image/png' }), asBase64],
  ['imageFromFile(path)', () => imageFromFile(pngPath), asBase64],
];

/** Runs the call whatever the server answers (the mock refuses http:// URLs) and returns the one body it sent. */
async function sentBody(call: Promise<unknown>): Promise<Record<string, unknown>> {
  await call.catch(() => undefined);
  expect(mock.requests).toHaveLength(1);
  return mock.requests[0]!.body as Record<string, unknown>;
}

describe('embed_image', () => {
  it.each(FORMS)('sends a %s as its wire image', async (_name, input, wire) => {
    const body = await sentBody(clip.embedImage({ image: await input() }));
    expect(body).toEqual({ image: wire });
  });

  it('sends a mixed list as wire images in order', async () => {
    const inputs = await Promise.all(FORMS.slice(0, 8).map(([, input]) => input()));
    const body = await sentBody(clip.embedImage({ image: inputs }));
    expect(body).toEqual({ image: FORMS.slice(0, 8).map(([, , wire]) => wire) });
  });

  it('embeds a mixed list of forms the server accepts, one vector per image', async () => {
    const result = await clip.embedImage({ image: [HTTPS, new URL(HTTPS), PNG_BYTES, new Blob([new Uint8Array(PNG_BYTES)])] });
    expect(result.embeddings).toHaveLength(4);
  });
});

describe('compare', () => {
  it.each(FORMS)('sends a %s subject as its wire image', async (_name, input, wire) => {
    const body = await sentBody(clip.compare({ subject: await input(), prompt: 'a tabby cat' }));
    expect(body).toEqual({ subject: wire, prompt: 'a tabby cat' });
  });

  it.each(FORMS)('sends a %s in a list of image prompts as its wire image', async (_name, input, wire) => {
    const body = await sentBody(clip.compare({ subject: 'a cat', subject_type: 'text', prompt: [HTTPS, await input()], prompt_type: 'image' }));
    expect(body.prompt).toEqual([{ type: 'url', value: HTTPS }, wire]);
  });

  it.each(FORMS)('sends a %s in a name map of image prompts as its wire image, keys kept', async (_name, input, wire) => {
    const prompt = { zebra: HTTPS, apple: await input() };
    const body = await sentBody(clip.compare({ subject: 'a cat', subject_type: 'text', prompt, prompt_type: 'image' }));
    expect(body.prompt).toEqual({ zebra: { type: 'url', value: HTTPS }, apple: wire });
    expect(Object.keys(body.prompt as object)).toEqual(['zebra', 'apple']);
  });

  it('reads an image object {type, value} as prompt as one image, not as a name map', async () => {
    const result = await clip.compare({ subject: 'a cat', subject_type: 'text', prompt: { type: 'url', value: HTTPS }, prompt_type: 'image' });
    expect(mock.requests[0]!.body).toMatchObject({ prompt: { type: 'url', value: HTTPS } });
    expect(result.similarity).toEqual([expect.any(Number)]);
  });
});
