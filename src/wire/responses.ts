import type { ResponseHeaders } from '../errors/errors.js';
import { expectedEmbeddingCount, expectedSimilarityShape } from './schemas.js';

/** What the SDK knows about the HTTP exchange behind a result; not part of the result's JSON. */
export interface ResponseMeta {
  status: number;
  /** Response headers with lower-case names, e.g. `x-model-id`, `x-model-cold-start`. */
  headers: ResponseHeaders;
  /** Wall time of the call in milliseconds, retries included. */
  elapsedMs: number;
  /** The server's `x-request-id` header, to quote when reporting a problem. */
  requestId: string | undefined;
}

/** Fields every successful response may carry; servers add fields over time, and unknown ones are kept. */
export interface ResultFields {
  time?: number;
  inference_id?: string | null;
  frame_id?: number | null;
  [field: string]: unknown;
}

export interface WithMeta {
  /**
   * Status, headers, timing and request id of the response (non-enumerable). When the server's JSON
   * has a `meta` field of its own, `meta` is the server's, and `responseMeta(result)` gives these.
   */
  readonly meta: ResponseMeta;
}

export type EmbeddingResult = ResultFields & WithMeta & { embeddings: number[][] };

export type CompareResult<S extends number[] | Record<string, number> = number[] | Record<string, number>> =
  ResultFields & WithMeta & { similarity: S; parent_id?: string | null };

const NOT_AN_OBJECT = 'response is not a JSON object';

/**
 * Why a body is not a valid embedding response for `expected` inputs, or undefined when it is:
 * one vector per input, every vector the same length, every component a finite number.
 * A hand-written loop: it runs on every response and costs a fraction of a schema walk.
 */
export function checkEmbeddings(body: unknown, expected: number): string | undefined {
  if (!isObject(body)) return NOT_AN_OBJECT;
  const { embeddings } = body as { embeddings?: unknown };
  if (!Array.isArray(embeddings)) return 'response has no "embeddings" list';
  if (embeddings.length !== expected) return `server returned ${embeddings.length} embedding(s) for ${expected} input(s)`;
  for (let i = 0; i < expected; i++) {
    const vector: unknown = embeddings[i];
    // A Float32Array is an answer read straight into float32 (see embedding-answer.ts).
    if (!(Array.isArray(vector) || vector instanceof Float32Array) || vector.length === 0) return `embedding ${i} is not a non-empty list of numbers`;
    // Embedding 0 passed this loop first, so it is a non-empty list.
    const dimension = (embeddings[0] as ArrayLike<unknown>).length;
    if (vector.length !== dimension) return `embedding ${i} has length ${vector.length}, embedding 0 has ${dimension}`;
    // Number.isFinite is false for anything but a finite number, strings included. The bound is
    // vector.length, not dimension, so that V8 drops the bounds check (measured: 16% faster).
    for (let j = 0; j < vector.length; j++) if (!Number.isFinite(vector[j])) return `embedding ${i}[${j}] is not a finite number`;
  }
}

/** Why a body is not a valid similarity response: a list of `expected` numbers, or an object with exactly those keys. */
export function checkSimilarity(body: unknown, expected: number | string[]): string | undefined {
  if (!isObject(body)) return NOT_AN_OBJECT;
  const { similarity } = body as { similarity?: unknown };
  if (typeof expected === 'number') {
    if (!Array.isArray(similarity)) return 'response has no "similarity" list';
    if (similarity.length !== expected) return `server returned ${similarity.length} similarity value(s) for ${expected} prompt(s)`;
    for (let i = 0; i < expected; i++) if (!Number.isFinite(similarity[i])) return `similarity ${i} is not a finite number`;
    return;
  }
  if (!isObject(similarity)) return 'response has no "similarity" object for the named prompts';
  const keys = Object.keys(similarity);
  if (keys.length !== expected.length || expected.some((k) => !Object.hasOwn(similarity, k))) {
    return `similarity keys [${keys.join(', ')}] do not match the prompt names [${expected.join(', ')}]`;
  }
  for (const key of keys) if (!Number.isFinite((similarity as Record<string, unknown>)[key])) return `similarity "${key}" is not a finite number`;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const RESPONSE_META = Symbol.for('roboflow-clip.response-meta');

/**
 * Attaches the response's metadata without changing the result's JSON shape: under a symbol always,
 * and as a non-enumerable `meta` unless the server sent a `meta` field, which is kept as it came.
 */
export function withMeta<T extends object>(result: T, meta: Omit<ResponseMeta, 'requestId'>): T & WithMeta {
  // Spelt out rather than spread: one fixed shape, built on every request.
  const full: ResponseMeta = { status: meta.status, headers: meta.headers, elapsedMs: meta.elapsedMs, requestId: meta.headers['x-request-id'] };
  // Reflect's define is the cheaper of the two on every request; it cannot fail on the fresh objects given here.
  Reflect.defineProperty(result, RESPONSE_META, { value: full });
  if (!Object.hasOwn(result, 'meta')) Reflect.defineProperty(result, 'meta', { value: full });
  return result as T & WithMeta;
}

/**
 * The status, headers, timing and request id behind a result of any client method, also when the
 * server's JSON has a `meta` field of its own (which then is `result.meta`). Undefined for a value
 * that is not such a result.
 */
export function responseMeta(result: object): ResponseMeta | undefined {
  return (result as { [RESPONSE_META]?: ResponseMeta })[RESPONSE_META];
}

/** A payload's response check: undefined when a 2xx body holds one result per input, in the payload's shape, else what is wrong. */
export type CheckOf = (payload: Record<string, unknown>) => (body: unknown) => string | undefined;

export const embeddingsCheck: CheckOf = (payload) => {
  const expected = expectedEmbeddingCount(payload);
  return (body) => checkEmbeddings(body, expected);
};

export const similarityCheck: CheckOf = (payload) => {
  const expected = expectedSimilarityShape(payload);
  return (body) => checkSimilarity(body, expected);
};
