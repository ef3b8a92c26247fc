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

export { CLIP_VERSIONS, DEFAULT_CLIP_VERSION, EMBEDDING_DIMENSIONS, type ClipVersion };

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
  apiKey?: string | undefined;
}

export interface MockImage {
  type: 'url' | 'base64';
  value: string;
}

/** The server's batch limit for images and compare prompts; it enforces it only by failing with 500. */
export const MAX_BATCH_SIZE = 8;
/** CLIP's context length. The mock counts words, which only approximates CLIP's BPE tokens. */
export const MAX_TEXT_TOKENS = 77;
export const MOCK_INFERENCE_ENGINE = 'roboflow-clip-mock';
/** Fixed so that identical requests get byte-identical responses. */
export const MOCK_INFERENCE_TIME = 0.0123;

const INTERNAL_ERROR = { message: 'Internal error.' };
const AUTH_HELP_URL = 'https://docs.roboflow.com/api-reference/authentication#retrieve-an-api-key';
const UNAUTHORIZED = {
  message: `Unauthorized access to roboflow API - check API key and visit ${AUTH_HELP_URL} to learn how to retrieve one.`,
  help_url: AUTH_HELP_URL,
};
// The real server sends no help_url with image errors; the mock adds one because clients must cope with both.
const IMAGE_HELP_URL = 'https://inference.roboflow.com/';

/** Thrown anywhere below to end the request with this answer, like the server's exception handlers. */
class Reply {
  constructor(
    readonly status: number,
    readonly payload: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

function fail(status: number, payload: unknown, headers?: Record<string, string>): never {
  throw new Reply(status, payload, headers);
}

function imageError(cause: string): never {
  fail(400, { message: `Could not load input image. Cause: ${cause}`, help_url: IMAGE_HELP_URL });
}

function respond(reply: Reply): MockResponse {
  return {
    status: reply.status,
    headers: { 'content-type': 'application/json', 'x-inference-engine': MOCK_INFERENCE_ENGINE, ...reply.headers },
    body: JSON.stringify(reply.payload),
  };
}

// ---------------------------------------------------------------------------------------------
// Request validation, shaped like FastAPI/pydantic v2 422 items.

type Loc = (string | number)[];
interface Issue {
  type: string;
  loc: Loc;
  msg: string;
  input: unknown;
  ctx?: Record<string, string>;
}
type Check = (value: unknown, loc: Loc) => Issue[];
type Fields = Record<string, { check: Check; required?: boolean }>;
type Json = Record<string, unknown>;

const issue = (type: string, loc: Loc, msg: string, input: unknown, ctx?: Record<string, string>): Issue =>
  ctx ? { type, loc, msg, input, ctx } : { type, loc, msg, input };

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const str: Check = (v, loc) => (typeof v === 'string' ? [] : [issue('string_type', loc, 'Input should be a valid string', v)]);
const nullableStr: Check = (v, loc) => (v === null ? [] : str(v, loc));

const list =
  (item: Check): Check =>
  (v, loc) =>
    Array.isArray(v) ? v.flatMap((x, i) => item(x, [...loc, i])) : [issue('list_type', loc, 'Input should be a valid list', v)];

const dict =
  (item: Check): Check =>
  (v, loc) =>
    isRecord(v)
      ? Object.entries(v).flatMap(([key, x]) => item(x, [...loc, key]))
      : [issue('dict_type', loc, 'Input should be a valid dictionary', v)];

function literal(options: readonly string[]): Check {
  const expected = options.map((o) => `'${o}'`).join(', ').replace(/, ([^,]*)$/, ' or $1');
  return (v, loc) =>
    typeof v === 'string' && options.includes(v) ? [] : [issue('literal_error', loc, `Input should be ${expected}`, v, { expected })];
}

/** Like pydantic's smart union: valid if any member is; otherwise every member's issues, tagged with its name. */
const union =
  (...members: [label: string, check: Check][]): Check =>
  (v, loc) => {
    const issues: Issue[] = [];
    for (const [label, check] of members) {
      const found = check(v, [...loc, label]);
      if (found.length === 0) return [];
      issues.push(...found);
    }
    return issues;
  };

/** pydantic reports a missing field with the whole containing object as `input`, so the body (api_key and all) is echoed. */
const checkFields = (fields: Fields, value: Json, loc: Loc): Issue[] =>
  Object.entries(fields).flatMap(([name, { check, required }]) =>
    value[name] === undefined
      ? required
        ? [issue('missing', [...loc, name], 'Field required', value)]
        : []
      : check(value[name], [...loc, name]),
  );

// `value` is Optional[Any] on the server, so only `type` is validated up front.
const image: Check = (v, loc) =>
  isRecord(v)
    ? checkFields({ type: { check: str, required: true } }, v, loc)
    : [
        issue('model_type', loc, 'Input should be a valid dictionary or instance of InferenceRequestImage', v, {
          class_name: 'InferenceRequestImage',
        }),
      ];
const imageOrText = union(['InferenceRequestImage', image], ['str', str]);

// The real server takes clip_version_id, subject_type and prompt_type as free strings and fails later
// (500 or 404); the mock rejects bad values early with 422 so that client bugs show up clearly.
const COMMON_FIELDS: Fields = {
  clip_version_id: { check: literal(CLIP_VERSIONS) },
  api_key: { check: nullableStr },
};

// ---------------------------------------------------------------------------------------------
// Embeddings: deterministic, content-derived, unnormalised.

const WORD = /[\p{L}\p{N}]+/gu;
// Words that say nothing about what a picture shows, including common URL noise.
const STOP_WORDS = new Set(
  'a an the of in on at to and or with for from by is are was be this that it its very some photo photos picture pictures image images jpg jpeg png gif webp'.split(
    ' ',
  ),
);
const SPECIFIC_WEIGHT = 0.3; // keeps different texts with the same words apart
const FOLDER_WEIGHT = 0.35; // a file name says more about a picture than the folders above it
const WORD_CACHE_LIMIT = 4096;
const wordCache = new Map<string, Float32Array>();

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** A random direction (mulberry32 seeded by the hash): uniform components are spread evenly enough in 512+ dimensions. */
function unitVector(seed: string, dimension: number): Float32Array {
  let state = fnv1a(seed);
  const vector = new Float32Array(dimension);
  let sumOfSquares = 0;
  for (let i = 0; i < dimension; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const x = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
    vector[i] = x;
    sumOfSquares += x * x;
  }
  const scale = 1 / Math.sqrt(sumOfSquares);
  for (let i = 0; i < dimension; i++) vector[i]! *= scale;
  return vector;
}

function wordVector(word: string, version: ClipVersion): Float32Array {
  const key = `${version}\u0000word:${word}`;
  let vector = wordCache.get(key);
  if (!vector) {
    if (wordCache.size >= WORD_CACHE_LIMIT) wordCache.delete(wordCache.keys().next().value!);
    vector = unitVector(key, EMBEDDING_DIMENSIONS[version]);
    wordCache.set(key, vector);
  }
  return vector;
}

function addWords(weights: Map<string, number>, text: string, weight: number): Map<string, number> {
  for (const raw of text.toLowerCase().match(WORD) ?? []) {
    if (STOP_WORDS.has(raw)) continue;
    // Crude plural folding, so that "raccoons.jpg" matches "a raccoon".
    const word = raw.length > 3 && raw.endsWith('s') && !raw.endsWith('ss') ? raw.slice(0, -1) : raw;
    weights.set(word, (weights.get(word) ?? 0) + weight);
  }
  return weights;
}

/** Sum of word directions plus a direction specific to the exact input, scaled to a norm in [9, 10) like ViT-B-16. */
function embed(words: Map<string, number>, specific: string, version: ClipVersion): number[] {
  const dimension = EMBEDDING_DIMENSIONS[version];
  const sum = new Float64Array(dimension);
  const add = (vector: Float32Array, weight: number) => {
    for (let i = 0; i < dimension; i++) sum[i]! += vector[i]! * weight;
  };
  for (const [word, weight] of words) add(wordVector(word, version), weight);
  const seed = `${version}\u0000${specific}`;
  add(unitVector(seed, dimension), SPECIFIC_WEIGHT);
  let norm = 0;
  for (const x of sum) norm += x * x;
  const scale = (9 + (fnv1a(seed) % 1000) / 1000) / Math.sqrt(norm);
  // The server sends float32 values printed as doubles.
  return Array.from(sum, (x) => Math.fround(x * scale));
}

export function mockTextEmbedding(text: string, clipVersion: string = DEFAULT_CLIP_VERSION): number[] {
  return embed(addWords(new Map(), text, 1), `text:${text}`, asVersion(clipVersion));
}

export function mockImageEmbedding(image: MockImage, clipVersion: string = DEFAULT_CLIP_VERSION): number[] {
  const version = asVersion(clipVersion);
  if (image.type === 'url') return embed(urlWords(image.value), `url:${image.value}`, version);
  const bytes = atob(stripDataPrefix(image.value).replace(/\s+/g, ''));
  // Test fixtures are often base64 of plain text: let its words count, so they behave like a described picture.
  return embed(looksLikeText(bytes) ? addWords(new Map(), bytes, 1) : new Map(), `base64:${bytes}`, version);
}

function asVersion(version: string): ClipVersion {
  if (!(CLIP_VERSIONS as readonly string[]).includes(version)) throw new Error(`roboflow-clip mock: unknown CLIP version ${version}`);
  return version as ClipVersion;
}

function urlWords(value: string): Map<string, number> {
  let path: string;
  try {
    path = decodeURIComponent(new URL(value).pathname);
  } catch {
    path = value;
  }
  const segments = path.split('/').filter(Boolean);
  const weights = new Map<string, number>();
  segments.forEach((segment, i) => addWords(weights, segment, i === segments.length - 1 ? 1 : FOLDER_WEIGHT));
  return weights;
}

function looksLikeText(bytes: string): boolean {
  let printable = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || (c >= 0x09 && c <= 0x0d)) printable++;
  }
  return bytes.length > 0 && printable >= bytes.length * 0.9;
}

// ---------------------------------------------------------------------------------------------
// Inputs as the server loads them.

// The server's own pattern: only lower-case subtypes without "+" are stripped.
const stripDataPrefix = (value: string) => value.replace(/^data:image\/[a-z]+;base64,/, '');

function checkBase64(value: string): void {
  const b64 = stripDataPrefix(value).replace(/\s+/g, '');
  if (b64 === '') imageError('Empty image payload.');
  // The mock does not decode pixels, so bytes that are valid base64 but no picture are accepted.
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) imageError('Malformed base64 input image.');
}

// Names that have no public suffix, which the server's tldextract check turns away like an IP literal.
const PRIVATE_TLDS = new Set(['localhost', 'local', 'localdomain', 'internal', 'lan', 'home', 'test', 'invalid', 'example']);

function checkUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    imageError('Provided image URL is invalid');
  }
  if (url.protocol !== 'https:') {
    imageError('Providing images via non https:// URL is not supported in this configuration of `inference`.');
  }
  const labels = url.hostname.toLowerCase().split('.');
  const tld = labels[labels.length - 1]!;
  if (labels.length < 2 || !/^([a-z]{2,}|xn--[a-z0-9-]+)$/.test(tld) || PRIVATE_TLDS.has(tld)) {
    imageError('Providing images via URL without FQDN is not supported in this configuration of `inference`.');
  }
}

/**
 * Hosted servers disable local files (a mapped 400) and numpy input; numpy, pil, multipart and unknown
 * types end in exceptions the server does not map, hence 500 Internal error.
 */
function loadImage(image: Json): MockImage {
  const type = String(image.type).toLowerCase();
  if (type === 'file') imageError('Loading images from local filesystem is disabled.');
  if ((type !== 'url' && type !== 'base64') || typeof image.value !== 'string') fail(500, INTERNAL_ERROR);
  if (type === 'url') checkUrl(image.value);
  else checkBase64(image.value);
  return { type, value: image.value };
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
