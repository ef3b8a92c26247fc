/**
 * A pure imitation of Roboflow's CLIP HTTP endpoints, as served by the hosted inference server 1.5.0:
 * request in, response out, no I/O. The loopback server and the msw handlers both delegate here, so
 * they answer alike. The mock never downloads anything and never decodes pixels: embeddings are
 * derived from the words of a text or of an image's URL, so related content scores higher.
 *
 * This module shares no logic with the SDK, only the table of CLIP versions: a test that checks the
 * SDK against it must not be able to agree with itself.
 */

import { CLIP_VERSIONS, DEFAULT_CLIP_VERSION, EMBEDDING_DIMENSIONS, type ClipVersion } from '../wire/clip-versions.js';
import { mockImageEmbedding, mockTextEmbedding, WORD } from './embeddings.js';
import { loadImage } from './inputs.js';
import { fail, INTERNAL_ERROR, Reply } from './reply.js';
import { checkFields, COMMON_FIELDS, dict, image, imageOrText, isRecord, issue, list, literal, str, union, type Fields, type Json } from './validation.js';

export { CLIP_VERSIONS, DEFAULT_CLIP_VERSION, EMBEDDING_DIMENSIONS, type ClipVersion };
export { mockImageEmbedding, mockTextEmbedding, type MockImage } from './embeddings.js';

export interface MockRequest {
  method: string;
  /** Path plus query string, e.g. `/clip/embed_text?api_key=k`. */
  url: string;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: string;
}

export interface MockResponse {
  status: number;
  headers: Record<string, string>;
  /** Serialized JSON. */
  body: string;
}

export interface MockOptions {
  /** The key every request must present (query, Bearer header or body). Default: none (any key, or none, is accepted). */
  apiKey?: string;
}

/** The server's batch limit for images and compare prompts; it enforces it only by failing with 500. */
export const MAX_BATCH_SIZE = 8;
/** CLIP's context length. The mock counts words, which only approximates CLIP's BPE tokens. */
export const MAX_TEXT_TOKENS = 77;
export const MOCK_INFERENCE_ENGINE = 'roboflow-clip-mock';
/** Fixed so that identical requests get byte-identical responses. */
export const MOCK_INFERENCE_TIME = 0.0123;

const AUTH_HELP_URL = 'https://docs.roboflow.com/api-reference/authentication#retrieve-an-api-key';
const UNAUTHORIZED = {
  message: `Unauthorized access to roboflow API - check API key and visit ${AUTH_HELP_URL} to learn how to retrieve one.`,
  help_url: AUTH_HELP_URL,
};

function respond(reply: Reply): MockResponse {
  return {
    status: reply.status,
    headers: { 'content-type': 'application/json', 'x-inference-engine': MOCK_INFERENCE_ENGINE, ...reply.headers },
    body: JSON.stringify(reply.payload),
  };
}

function textEmbedding(text: string, version: ClipVersion): number[] {
  if ((text.match(WORD) ?? []).length > MAX_TEXT_TOKENS) fail(500, INTERNAL_ERROR);
  return mockTextEmbedding(text, version);
}

/** A value of the wrong kind for its declared type makes the server's model code throw: 500. */
function embedAs(value: unknown, kind: unknown, version: ClipVersion): number[] {
  if (kind === 'text' && typeof value === 'string') return textEmbedding(value, version);
  if (kind === 'image' && isRecord(value)) return mockImageEmbedding(loadImage(value), version);
  fail(500, INTERNAL_ERROR);
}

/** An empty batch makes the server's model code fail (nothing to concatenate): 500. */
function checkBatch(items: unknown[], limit = Infinity): void {
  if (items.length === 0 || items.length > limit) fail(500, INTERNAL_ERROR);
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(aa * bb);
}

// ---------------------------------------------------------------------------------------------
// Routes.

interface Route {
  fields: Fields;
  run(body: Json, version: ClipVersion): Json;
}

const ROUTES: Record<string, Route> = {
  '/clip/embed_image': {
    fields: {
      ...COMMON_FIELDS,
      image: { required: true, check: union(['list[InferenceRequestImage]', list(image)], ['InferenceRequestImage', image]) },
    },
    run(body, version) {
      const images = Array.isArray(body.image) ? body.image : [body.image];
      checkBatch(images, MAX_BATCH_SIZE);
      return { embeddings: images.map((item) => embedAs(item, 'image', version)) };
    },
  },
  '/clip/embed_text': {
    fields: { ...COMMON_FIELDS, text: { required: true, check: union(['list[str]', list(str)], ['str', str]) } },
    run(body, version) {
      const texts = Array.isArray(body.text) ? body.text : [body.text];
      checkBatch(texts);
      return { embeddings: texts.map((text) => embedAs(text, 'text', version)) };
    },
  },
  '/clip/compare': {
    fields: {
      ...COMMON_FIELDS,
      subject: { required: true, check: imageOrText },
      subject_type: { check: literal(['image', 'text']) },
      prompt: {
        required: true,
        check: union(
          ['list[InferenceRequestImage]', list(image)],
          ['InferenceRequestImage', image],
          ['str', str],
          ['list[str]', list(str)],
          ['dict[str,union[InferenceRequestImage,str]]', dict(imageOrText)],
        ),
      },
      prompt_type: { check: literal(['text', 'image']) },
    },
    run(body, version) {
      const { subject_type = 'image', prompt_type = 'text', prompt } = body;
      const subject = embedAs(body.subject, subject_type, version);
      // An object with both `type` and `value` is one image; any other object is a name map.
      // (JSON.parse moves integer-like keys of a name map to the front; the Python server keeps them in place.)
      const isNameMap = isRecord(prompt) && !('type' in prompt && 'value' in prompt);
      const prompts = isNameMap ? Object.values(prompt) : Array.isArray(prompt) ? prompt : [prompt];
      checkBatch(prompts, MAX_BATCH_SIZE);
      const similarity = prompts.map((p) => cosine(subject, embedAs(p, prompt_type, version)));
      const keys = isNameMap ? Object.keys(prompt) : [];
      return {
        similarity: isNameMap ? Object.fromEntries(keys.map((key, i) => [key, similarity[i]])) : similarity,
        parent_id: null,
      };
    },
  },
};

// ---------------------------------------------------------------------------------------------
// The handler.

/** FastAPI parses JSON only when the content type is absent or JSON; any other body is validated as raw text and fails. */
function parseBody(req: MockRequest): Json {
  if (req.body === '') fail(422, { detail: [issue('missing', ['body'], 'Field required', null)] });
  const mime = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  let body: unknown = req.body;
  if (mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'))) {
    try {
      body = JSON.parse(req.body);
    } catch {
      // Python reports the offending character position and message; the mock always says position 0.
      fail(422, {
        detail: [{ ...issue('json_invalid', ['body', 0], 'JSON decode error', {}), ctx: { error: 'Expecting value' } }],
      });
    }
  }
  if (!isRecord(body)) {
    fail(422, {
      detail: [issue('model_attributes_type', ['body'], 'Input should be a valid dictionary or object to extract fields from', body)],
    });
  }
  return body;
}

/** Precedence query > Bearer header > body; empty values count as absent, as in the server's `or` chain. */
function presentedKey(url: URL, headers: MockRequest['headers'], body: Json): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
  const inBody = typeof body.api_key === 'string' ? body.api_key : undefined;
  return url.searchParams.get('api_key') || bearer || inBody || undefined;
}

export function handleClipRequest(req: MockRequest, options: MockOptions = {}): MockResponse {
  try {
    const url = new URL(req.url, 'http://mock.invalid');
    const route = ROUTES[url.pathname];
    if (!route) fail(404, { detail: 'Not Found' });
    if (req.method.toUpperCase() !== 'POST') fail(405, { detail: 'Method Not Allowed' }, { allow: 'POST' });
    const body = parseBody(req);
    const issues = checkFields(route.fields, body, ['body']);
    if (issues.length > 0) fail(422, { detail: issues });
    // The real server answers a missing key with 400; the mock uses 401 for missing and wrong alike.
    if (options.apiKey !== undefined && presentedKey(url, req.headers, body) !== options.apiKey) fail(401, UNAUTHORIZED);
    const version = (body.clip_version_id ?? DEFAULT_CLIP_VERSION) as ClipVersion;
    const result = route.run(body, version);
    return respond(
      new Reply(200, { inference_id: null, frame_id: null, time: MOCK_INFERENCE_TIME, ...result }, {
        'x-model-id': `clip/${version}`,
        'x-model-cold-start': 'false',
        'x-model-load-time': '0',
      }),
    );
  } catch (error) {
    if (error instanceof Reply) return respond(error);
    throw error;
  }
}
