/**
 * A pure imitation of Roboflow's CLIP HTTP endpoints, as served by the inference server 1.5.0: request
 * in, response out, no I/O. The loopback server and the msw handlers both delegate here, so they answer
 * alike. It follows the server's rules as its recorded answers show them (test/conformance.test.ts
 * replays them); it never downloads anything and never decodes pixels: embeddings are derived from the
 * words of a text, of an image's URL or of the text an image file carries (see mockPng).
 *
 * This module shares no logic with the SDK but the table of CLIP versions and CLIP's piece rule, both
 * checked against the real server's answers: a test that checks the SDK against the mock must not be
 * able to agree with itself.
 */

import { CLIP_VERSIONS, DEFAULT_CLIP_VERSION, EMBEDDING_DIMENSIONS, type ClipVersion } from '../wire/clip-versions.js';
import { corsHeaders, corsPreflight } from './cors.js';
import type { MockUrlSettings } from './inputs.js';
import { PythonJsonError, parsePythonJson } from './python-json.js';
import { fail, Reply } from './reply.js';
import { ROUTES, type MockBackend } from './routes.js';
import { checkFields, isRecord, issue, ROUTE_FIELDS, type Json } from './validation.js';

export { CLIP_VERSIONS, DEFAULT_CLIP_VERSION, EMBEDDING_DIMENSIONS, type ClipVersion };
export { mockImageBatchEmbedding, mockImageEmbedding, mockTextEmbedding, type MockImage } from './embeddings.js';
export { MAX_BATCH_SIZE, type MockBackend } from './routes.js';
export type { MockUrlSettings } from './inputs.js';

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
  /** Serialized JSON (plain text for a CORS preflight). */
  body: string;
}

export interface MockOptions extends MockUrlSettings {
  /** The key every request must present (query, Bearer header or body). Default: none (any key, or none, is accepted). */
  apiKey?: string | undefined;
  /**
   * Which CLIP implementation of server 1.5.0 to imitate: `'legacy'` (the default; `USE_INFERENCE_MODELS=False`)
   * or `'inference-models'` (the server's own default on Linux), with its batching bugs: a list of
   * same-size images gets one embedding, images of different sizes a 500, several image prompts one
   * similarity, and `text: []` an empty list of embeddings.
   */
  backend?: MockBackend | undefined;
  /**
   * The models loaded so far (`clip/ViT-B-16`, ...). A request for a model not in the set loads it and
   * says so in its headers (`x-model-cold-start: true`, `x-model-load-time`); the set is updated.
   * Default: none, every model counts as loaded, as on a warm server. The mock server and the msw
   * handlers keep one set each.
   */
  loadedModels?: Set<string> | undefined;
  /**
   * Origins allowed to call from a browser, as the server's `ALLOW_ORIGINS` setting; `'*'` allows any.
   * Default: none, and like the server the mock then sends no CORS headers.
   */
  corsOrigins?: readonly string[] | undefined;
}

/** CLIP's context length in tokens, its start and end tokens included. */
export const MAX_TEXT_TOKENS = 77;
export const MOCK_INFERENCE_ENGINE = 'roboflow-clip-mock';
/** Fixed so that identical requests get byte-identical responses. */
export const MOCK_INFERENCE_TIME = 0.0123;
const MOCK_MODEL_LOAD_TIME = '0.5';

const AUTH_HELP_URL = 'https://docs.roboflow.com/api-reference/authentication#retrieve-an-api-key';
const UNAUTHORIZED = {
  message: `Unauthorized access to roboflow API - check API key and visit ${AUTH_HELP_URL} to learn how to retrieve one.`,
  help_url: AUTH_HELP_URL,
};
const MODEL_NOT_FOUND = {
  message: 'Requested Roboflow resource not found. Make sure that workspace, project or model you referred in request exists.',
};

const newRequestId = () => globalThis.crypto.randomUUID().replaceAll('-', '');

/** The headers the server sends on every answer, for a request that loaded no model. */
export function mockBaseHeaders(requestId: string = newRequestId()): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-inference-engine': MOCK_INFERENCE_ENGINE,
    'x-model-cold-start': 'false',
    'x-model-cold-start-count': '0',
    'x-request-id': requestId,
  };
}

/** FastAPI parses JSON only when the content type is absent or JSON; any other body is validated as raw text and fails. */
function parseBody(req: MockRequest): Json {
  if (req.body === '') fail(422, { detail: [issue('missing', ['body'], 'Field required', null)] });
  const mime = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  let body: unknown = req.body;
  if (mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'))) {
    try {
      body = JSON.parse(req.body);
    } catch {
      // Python also reads NaN and Infinity; for anything else it names the position of the fault.
      try {
        body = parsePythonJson(req.body);
      } catch (error) {
        if (!(error instanceof PythonJsonError)) throw error;
        fail(422, {
          detail: [issue('json_invalid', ['body', error.position], 'JSON decode error', {}, { error: error.message })],
        });
      }
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

/** The version as the server spells it into the model id (Python prints null as None). */
function versionOf(body: Json): string {
  const version = body.clip_version_id;
  return version === undefined ? DEFAULT_CLIP_VERSION : version === null ? 'None' : String(version);
}

/** Loads the model (404 for a version the server does not have) and answers its headers. */
function loadModel(version: string, loaded: Set<string> | undefined, headers: Record<string, string>): void {
  const modelId = `clip/${version}`;
  headers['x-model-id'] = modelId;
  // A server that reaches Roboflow's API learns there that the model does not exist.
  if (!(CLIP_VERSIONS as readonly string[]).includes(version)) fail(404, MODEL_NOT_FOUND);
  if (!loaded || loaded.has(modelId)) return;
  loaded.add(modelId);
  Object.assign(headers, { 'x-model-cold-start': 'true', 'x-model-cold-start-count': '1', 'x-model-load-time': MOCK_MODEL_LOAD_TIME });
}

export function handleClipRequest(req: MockRequest, options: MockOptions = {}): MockResponse {
  const origins = options.corsOrigins ?? [];
  const requestId = newRequestId();
  const headers = { ...mockBaseHeaders(requestId), ...(origins.length > 0 ? corsHeaders(req, origins) : {}) };
  const answer = (status: number, payload: unknown): MockResponse => ({ status, headers, body: JSON.stringify(payload) });
  try {
    const preflight = origins.length > 0 ? corsPreflight(req, origins) : undefined;
    if (preflight) return { ...preflight, headers: { ...preflight.headers, 'x-request-id': requestId } };
    const url = new URL(req.url, 'http://mock.invalid');
    const route = ROUTES[url.pathname];
    if (!route) fail(404, { detail: 'Not Found' });
    // Other methods fall through to the server's older model route, which first wants a JSON content type.
    if (req.method.toUpperCase() !== 'POST') {
      fail(400, {
        message:
          req.headers['content-type'] === undefined
            ? 'Content-Type header not provided with request.'
            : 'Invalid Content-Type header provided with request.',
      });
    }
    const body = parseBody(req);
    const issues = checkFields(ROUTE_FIELDS[url.pathname]!, body, ['body']);
    if (issues.length > 0) fail(422, { detail: issues });
    const version = versionOf(body);
    // The real server answers a missing key with 400; the mock uses 401 for missing and wrong alike.
    if (options.apiKey !== undefined && presentedKey(url, req.headers, body) !== options.apiKey) {
      headers['x-model-id'] = `clip/${version}`;
      fail(401, UNAUTHORIZED);
    }
    loadModel(version, options.loadedModels, headers);
    const result = route(body, { version, backend: options.backend ?? 'legacy', urls: options });
    return answer(200, { inference_id: null, frame_id: null, time: MOCK_INFERENCE_TIME, ...result });
  } catch (error) {
    if (error instanceof Reply) return answer(error.status, error.payload);
    throw error;
  }
}
