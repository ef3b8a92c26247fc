import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import {
  checkBatchInputs,
  compareInBatches,
  DEFAULT_TEXT_BATCH_SIZE,
  firstPrompts,
  resolveBatchOptions,
  runBatches,
  type BatchInputs,
  type BatchOptions,
} from '../jobs/batch.js';
import {
  LabelEmbeddingCache,
  parseClassifyRequest,
  rankLabels,
  type Classification,
  type ClassifyOptions,
  type Labels,
} from '../jobs/classify.js';
import type { EmbeddingIndex, SearchHit } from '../vectors/embedding-index.js';
import {
  ClipAbortError,
  ClipApiError,
  ClipBatchError,
  ClipConnectionError,
  ClipError,
  ClipResponseError,
  ClipTimeoutError,
  ClipValidationError,
  invalidOption,
  redact,
  redactCause,
  type ResponseHeaders,
} from '../errors/errors.js';
import { readBlobs, type ImageInput } from '../wire/images.js';
import {
  checkEmbeddings,
  checkSimilarity,
  withMeta,
  type CompareResult,
  type EmbeddingResult,
  type ResponseMeta,
} from '../wire/responses.js';
import {
  checkNumberOption,
  checkRequestSize,
  DEADLINE_RULE,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  RETRIES_RULE,
  TIMEOUT_RULE,
  warnPlainHttpKey,
} from '../request/guards.js';
import { attemptLine, outcomeLabel, type ClipLogger } from '../request/logger.js';
import {
  resolveRetryPolicy,
  retryWait,
  STALE_SOCKET_CODES,
  type AttemptFailure,
  type BackoffOptions,
  type RetryOn,
  type RetryPolicy,
} from '../request/retry.js';
import { checkIndexMatchesClient, checkK, checkQueryDimension } from '../jobs/search.js';
import {
  apiKeyQuery,
  clipVersionField,
  compareRequestSchema,
  completeWirePayload,
  embedImageRequestSchema,
  embedTextRequestSchema,
  expectedEmbeddingCount,
  expectedSimilarityShape,
  MAX_ITEMS_PER_REQUEST,
  type CompareRequest,
  type EmbedImageRequest,
  type EmbedTextRequest,
  type NamedImagePrompts,
} from '../wire/schemas.js';
import type { ClipVersion } from '../wire/clip-versions.js';
import { createTransport } from '../transport/default.js';
import { AttemptTimeout } from '../transport/failures.js';
import type { FetchFunction } from '../transport/fetch.js';
import type { Transport, TransportRequest, TransportResponse } from '../transport/types.js';
import { VERSION } from './version.js';

/** Where the API key travels. */
export type ApiKeyTransport = 'query' | 'header' | 'body';

export interface ClipClientOptions {
  /**
   * Roboflow API key. Default: `process.env.ROBOFLOW_API_KEY`. Optional: a self-hosted server may need none.
   * Pass `null` to send no key even when the variable is set.
   */
  apiKey?: string | null;
  /**
   * Server URL. Default: `process.env.ROBOFLOW_CLIP_URL`, else `https://infer.roboflow.com`.
   * A list of URLs (several self-hosted servers) spreads requests across them with undici's
   * `BalancedPool`; they may differ only in scheme, host and port, not in path.
   */
  baseUrl?: string | readonly string[];
  /**
   * How the key is sent: `'query'` (`?api_key=`, as Roboflow's docs show), `'header'`
   * (`Authorization: Bearer`, servers 1.5.0 and newer) or `'body'` (`"api_key"`). Default: `'query'`.
   */
  apiKeyTransport?: ApiKeyTransport;
  /** CLIP model sent as `clip_version_id` when a call names none. Default: unset (the server uses `ViT-B-16`). */
  clipVersion?: ClipVersion;
  /** Time limit of each attempt in milliseconds, response body included. Default: 60000. */
  timeoutMs?: number;
  /** Time limit of the whole call in milliseconds, retries and waits included. Default: none. */
  deadlineMs?: number;
  /** Retries after a retryable failure (connection error, timeout, 408/429/502/503/504). Default: 2. */
  maxRetries?: number;
  /** What is retried: `{ statuses?, timeouts? }`. Default: 408/429/502/503/504 and timeouts; connection errors always. */
  retryOn?: RetryOn;
  /** Backoff between retries, exponential with full jitter: `{ baseMs?, capMs? }`. Default: `{ baseMs: 500, capMs: 8000 }`. */
  backoff?: BackoffOptions;
  /** A request body larger than this (UTF-8 bytes) is refused before sending. `Infinity` disables. Default: 20 MiB. */
  maxRequestBytes?: number;
  /** A response body larger than this is cut off with `ClipResponseError`. `Infinity` disables. Default: 64 MiB. */
  maxResponseBytes?: number;
  /** Receives one line per attempt and warnings; `console` fits. The key is never logged. Default: silent. */
  logger?: ClipLogger;
  /** undici Dispatcher (proxy, mTLS, custom pool). Default: a keep-alive Agent owned and closed by the client. */
  dispatcher?: Dispatcher;
  /**
   * A WHATWG `fetch` to send with instead of undici (the global one, undici's, or a wrapper), e.g. so
   * that msw sees the requests. Default: undici on Node; `globalThis.fetch` in the edge build
   * (Workers, Deno, Bun, browsers), looked up at each call.
   */
  fetch?: FetchFunction;
  /** Extra headers sent with every request. Default: none. */
  headers?: Record<string, string>;
  /** Label text embeddings `classify` keeps (least recently used dropped first); 0 disables the cache. Default: 4096. */
  labelCacheSize?: number;
}

/** Per-call overrides. */
export interface RequestOptions {
  /** Aborts the call, also while it waits to retry; it then rejects with `ClipAbortError`. Default: none. */
  signal?: AbortSignal;
  /** Time limit of each attempt of this call, in milliseconds. Default: the client's `timeoutMs`. */
  timeoutMs?: number;
  /** Time limit of this call, retries and waits included, in milliseconds. Default: the client's `deadlineMs`. */
  deadlineMs?: number;
  /** Retries for this call. Default: the client's `maxRetries`. */
  maxRetries?: number;
}

/** The prompts of a compare call given as a name map: the result is keyed the same way. */
type NamedPromptRequest =
  | (CompareRequest & { prompt: Record<string, string>; prompt_type?: 'text' })
  | (CompareRequest & { prompt: NamedImagePrompts; prompt_type: 'image' });

type Route = '/clip/embed_image' | '/clip/embed_text' | '/clip/compare';

const DEFAULT_BASE_URL = 'https://infer.roboflow.com';
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 2;
/** setTimeout's largest delay; a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;
const IMAGE_FIELDS = ['image'] as const;
const COMPARE_IMAGE_FIELDS = ['subject', 'prompt'] as const;

/** Options of a batch job: see `BatchOptions`; `clipVersion` applies to every request of the job. */
export interface BatchJobOptions extends BatchOptions {
  /** CLIP model for every request of the job. Default: the client's `clipVersion`. */
  clipVersion?: ClipVersion;
}

const IMAGE_BATCHES = { defaultBatchSize: MAX_ITEMS_PER_REQUEST, maxBatchSize: MAX_ITEMS_PER_REQUEST };
const TEXT_BATCHES = { defaultBatchSize: DEFAULT_TEXT_BATCH_SIZE, maxBatchSize: Number.POSITIVE_INFINITY };

/** Client of the Roboflow CLIP routes: `embed_image`, `embed_text` and `compare`. */
export class ClipClient {
  /** The server URL; the first one when several were given. */
  readonly baseUrl: string;
  /** Every server URL requests are spread across. */
  readonly baseUrls: readonly string[];
  readonly #bodyApiKey: string | undefined;
  /** The key as given and URL-encoded: the forms a server may echo, removed from everything the caller sees. */
  readonly #secrets: string[];
  readonly #clipVersion: ClipVersion | undefined;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #deadlineMs: number;
  readonly #retryPolicy: RetryPolicy;
  readonly #maxRequestBytes: number;
  readonly #logger: ClipLogger | undefined;
  /** What every request of this client shares: server origin, headers and response size limit. */
  readonly #requestBase: Pick<TransportRequest, 'origin' | 'headers' | 'maxResponseBytes'>;
  /** A route's path on this client's server, with the key's query string on the query channel. */
  readonly #path: (route: Route) => string;
  readonly #transport: Transport;
  readonly #labelEmbeddings: LabelEmbeddingCache;

  constructor(options: ClipClientOptions = {}) {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
    const apiKey = (options.apiKey === undefined ? env.ROBOFLOW_API_KEY : options.apiKey) || undefined;
    const keyTransport = options.apiKeyTransport ?? 'query';
    if (!['query', 'header', 'body'].includes(keyTransport)) throw invalidOption('apiKeyTransport', 'must be "query", "header" or "body"');
    this.#secrets = apiKey ? [...new Set([apiKey, encodeURIComponent(apiKey)])] : [];
    this.#bodyApiKey = keyTransport === 'body' ? apiKey : undefined;
    this.#clipVersion = options.clipVersion;
    checkApiKey(apiKey);
    checkTimeOptions(options, 'Invalid client options');
    checkNumberOption('maxRequestBytes', options.maxRequestBytes, { min: 0, infinity: true });
    checkNumberOption('maxResponseBytes', options.maxResponseBytes, { min: 0, infinity: true });
    checkNumberOption('labelCacheSize', options.labelCacheSize, { min: 0, integer: true });
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#deadlineMs = options.deadlineMs ?? Number.POSITIVE_INFINITY;
    this.#maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.#retryPolicy = resolveRetryPolicy(options.retryOn, options.backoff);
    this.#maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    this.#logger = options.logger;

    const bases = parseBaseUrls(options.baseUrl ?? (env.ROBOFLOW_CLIP_URL || DEFAULT_BASE_URL), options.dispatcher !== undefined);
    const base = bases[0]!;
    if (apiKey) for (const url of bases) warnPlainHttpKey(url, this.#logger);
    this.baseUrl = base.href;
    this.baseUrls = bases.map((url) => url.href);
    const prefix = pathPrefix(base);
    const query = apiKey && keyTransport === 'query' ? apiKeyQuery(apiKey) : '';
    this.#path = (route) => prefix + route + query;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': `roboflow-clip/${VERSION}`,
    };
    for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
    if (apiKey && keyTransport === 'header') headers.authorization = `Bearer ${apiKey}`;
    this.#requestBase = { origin: base.origin, headers, maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES };
    this.#transport = createTransport(options, bases.map((url) => url.origin));
    this.#labelEmbeddings = new LabelEmbeddingCache(options.labelCacheSize);
  }

  /** The CLIP model this client requests (`clipVersion` option), or undefined for the server's default. */
  get clipVersion(): ClipVersion | undefined {
    return this.#clipVersion;
  }

  /** Embeds 1 to 8 images; resolves to one embedding per image, in order. */
  async embedImage(request: EmbedImageRequest, options?: RequestOptions): Promise<EmbeddingResult> {
    const payload = validate(embedImageRequestSchema(), await readBlobs(asObject(request), IMAGE_FIELDS));
    const expected = expectedEmbeddingCount(payload);
    return this.#send('/clip/embed_image', payload, (body) => checkEmbeddings(body, expected), options);
  }

  /** Embeds one text or a list of texts; resolves to one embedding per text, in order. */
  async embedText(request: EmbedTextRequest, options?: RequestOptions): Promise<EmbeddingResult> {
    const payload = validate(embedTextRequestSchema(), asObject(request));
    const expected = expectedEmbeddingCount(payload);
    return this.#send('/clip/embed_text', payload, (body) => checkEmbeddings(body, expected), options);
  }

  /**
   * Cosine similarity of one subject against 1 to 8 prompts, in prompt order, or keyed like a
   * name-map prompt. `subject_type` defaults to `'image'`, `prompt_type` to `'text'`.
   */
  compare(request: NamedPromptRequest, options?: RequestOptions): Promise<CompareResult<Record<string, number>>>;
  compare(request: CompareRequest, options?: RequestOptions): Promise<CompareResult<number[]>>;
  async compare(request: CompareRequest, options?: RequestOptions): Promise<CompareResult> {
    const payload = validate(compareRequestSchema(), await readBlobs(asObject(request), COMPARE_IMAGE_FIELDS));
    const expected = expectedSimilarityShape(payload);
    return this.#send('/clip/compare', payload, (body) => checkSimilarity(body, expected), options);
  }

  /**
   * Zero-shot classification of one image: resolves to every label with its CLIP probability
   * (`score`, softmax of 100 x cosine over the labels) and `similarity`, best first. Label
   * embeddings are cached, so once they are known a call sends just the image request.
   */
  async classify<L extends string>(
    image: ImageInput,
    labels: Labels<L>,
    options: ClassifyOptions & RequestOptions = {},
  ): Promise<Classification<L>[]> {
    const { template, topK, ...request } = options;
    const { names, texts } = parseClassifyRequest(image, labels, { template, topK });
    // Validated up front, so that a bad image fails before any request, and then sent alongside the labels.
    const imagePayload = validate(embedImageRequestSchema(), await readBlobs({ image }, IMAGE_FIELDS));
    const [{ embeddings }, vectors] = await Promise.all([
      this.#send<EmbeddingResult>('/clip/embed_image', imagePayload, (body) => checkEmbeddings(body, 1), request),
      this.#labelEmbeddings.embed(this.#clipVersion ?? '', texts, (missing) => this.#embedLabels(missing, request)),
    ]);
    return rankLabels(embeddings[0]!, names as L[], vectors, topK);
  }

  /** Labels not yet cached, sent like `embedTexts`; a failed request rejects with its own error, as `embedText` would. */
  async #embedLabels(texts: string[], options: RequestOptions): Promise<number[][]> {
    try {
      const job = resolveBatchOptions({ signal: options.signal }, TEXT_BATCHES);
      return await runBatches(texts, job, async (text, signal) => (await this.embedText({ text }, { ...options, signal })).embeddings);
    } catch (error) {
      throw error instanceof ClipBatchError ? error.cause : error;
    }
  }

  /** Embeds `query` and resolves to the `k` entries of `index` most similar to it, best first. */
  searchText<M>(index: EmbeddingIndex<M>, query: string, k = 10, options?: RequestOptions): Promise<SearchHit<M>[]> {
    return this.#search(index, k, (version) => this.embedText({ text: query, ...version }, options));
  }

  /** Embeds `image` and resolves to the `k` entries of `index` most similar to it, best first. */
  searchImage<M>(index: EmbeddingIndex<M>, image: ImageInput, k = 10, options?: RequestOptions): Promise<SearchHit<M>[]> {
    return this.#search(index, k, (version) => this.embedImage({ image, ...version }, options));
  }

  /**
   * Checks `k` and the index before any request, then embeds the query with the client's CLIP model,
   * or the index's when the client names none, so that the two always match.
   */
  async #search<M>(
    index: EmbeddingIndex<M>,
    k: number,
    embed: (version: { clip_version_id?: ClipVersion }) => Promise<EmbeddingResult>,
  ): Promise<SearchHit<M>[]> {
    checkK(k);
    checkIndexMatchesClient(index, this.#clipVersion);
    const version = clipVersionField(this.#clipVersion === undefined ? (index.clipVersion as ClipVersion | undefined) : undefined);
    const query = (await embed(version)).embeddings[0]!;
    checkQueryDimension(index, query);
    return index.search(query, k);
  }

  /**
   * Embeds any number of images, `batchSize` (at most 8) per request and `concurrency` requests at
   * a time; resolves to one embedding per image, in input order. An async iterable (a stream of
   * file reads, say) is read as the job goes. A failed request (after its retries) cancels the rest
   * and rejects with `ClipBatchError`, which names the failed inputs.
   */
  async embedImages(images: BatchInputs<ImageInput>, options: BatchJobOptions = {}): Promise<number[][]> {
    checkBatchInputs(images, 'images');
    const job = resolveBatchOptions(options, IMAGE_BATCHES);
    return runBatches(images, job, async (image, signal) => {
      const result = await this.embedImage({ image, ...clipVersionField(options.clipVersion) }, batchRequestOptions(options, signal));
      return result.embeddings;
    });
  }

  /** Like `embedImages`, for texts: 32 per request by default, any number allowed. */
  async embedTexts(texts: BatchInputs<string>, options: BatchJobOptions = {}): Promise<number[][]> {
    checkBatchInputs(texts, 'texts');
    const job = resolveBatchOptions(options, TEXT_BATCHES);
    return runBatches(texts, job, async (text, signal) => {
      const result = await this.embedText({ text, ...clipVersionField(options.clipVersion) }, batchRequestOptions(options, signal));
      return result.embeddings;
    });
  }

  /**
   * Like `compare`, for any number of prompts (a list or a name map): sent `batchSize` (at most 8)
   * prompts per request, `concurrency` requests at a time, merged back in prompt order (a name map
   * keeps its key order). Failures reject like `embedImages`.
   */
  compareMany(request: NamedPromptRequest, options?: BatchOptions): Promise<{ similarity: Record<string, number> }>;
  compareMany(request: CompareRequest, options?: BatchOptions): Promise<{ similarity: number[] }>;
  async compareMany(request: CompareRequest, options: BatchOptions = {}): Promise<{ similarity: number[] | Record<string, number> }> {
    const job = resolveBatchOptions(options, IMAGE_BATCHES);
    const body = asObject(request);
    // The subject and the first prompts are checked before any request, and a Blob subject is read once.
    const head = validate(compareRequestSchema(), await readBlobs(firstPrompts(body, MAX_ITEMS_PER_REQUEST), COMPARE_IMAGE_FIELDS));
    return compareInBatches({ ...body, subject: head.subject }, job, async (part, signal) => {
      const { similarity } = await this.compare(part as unknown as CompareRequest, batchRequestOptions(options, signal));
      return similarity;
    });
  }

  /** Releases the client's own connection pool; a dispatcher passed in options is left open. */
  close(): Promise<void> {
    return this.#transport.close();
  }

  /** The one path every route takes: serialise, send with retries, check and return the result. */
  async #send<T extends object>(
    route: Route,
    payload: Record<string, unknown>,
    check: (body: unknown) => string | undefined,
    options: RequestOptions | undefined,
  ): Promise<T & { readonly meta: ResponseMeta }> {
    const started = performance.now();
    const { signal, maxRetries = this.#maxRetries, timeoutMs = this.#timeoutMs, deadlineMs = this.#deadlineMs } = options ?? {};
    if (signal?.aborted) throw new ClipAbortError('Request was aborted before it was sent', { cause: signal.reason });
    if (options) checkTimeOptions(options, 'Invalid request options');
    const body = JSON.stringify(completeWirePayload(payload, this.#clipVersion, this.#bodyApiKey));
    checkRequestSize(body, this.#maxRequestBytes);
    const deadline = started + deadlineMs;
    const path = this.#path(route);

    // Each turn is one attempt: it returns the result, throws the call's final error, or waits to retry.
    for (let attempt = 1; ; attempt++) {
      const attemptStarted = attempt === 1 ? started : performance.now();
      const remaining = deadline - attemptStarted;
      const deadlineFirst = remaining < timeoutMs;
      let response: TransportResponse | ClipError;
      try {
        const attemptMs = Math.min(deadlineFirst ? remaining : timeoutMs, MAX_TIMER_MS);
        response = await this.#transport.send({ ...this.#requestBase, path, body, signal, timeoutMs: attemptMs });
      } catch (caught) {
        const timeout = deadlineFirst ? `Call reached its deadline of ${deadlineMs} ms` : `Request timed out after ${timeoutMs} ms`;
        response = this.#attemptFailure(caught, signal, attempt, timeout);
      }

      let error: ClipError;
      let failure: AttemptFailure = FINAL;
      if (response instanceof ClipError) {
        error = response;
        failure = classify(error, deadlineFirst);
      } else if (response.status >= 200 && response.status < 300) {
        const result = this.#parseResult(response, check, attempt);
        if (!(result instanceof ClipResponseError)) {
          this.#logger?.debug(attemptLine(route, `HTTP ${response.status}`, attempt, performance.now() - attemptStarted));
          return withMeta(result as T, { status: response.status, headers: response.headers, elapsedMs: performance.now() - started });
        }
        error = result;
      } else {
        error = new ClipApiError({ ...this.#failedResponse(response, attempt), body: parseJsonOr(this.#redact(response.body)), route });
        failure = { kind: 'status', status: response.status, headers: response.headers };
      }

      const wait = retryWait(this.#retryPolicy, failure, attempt, maxRetries);
      const now = performance.now();
      const retrying = wait !== undefined && now + wait < deadline;
      const level = retrying ? 'info' : error instanceof ClipAbortError ? 'debug' : 'warn';
      this.#logger?.[level](attemptLine(route, outcomeLabel(error), attempt, now - attemptStarted, retrying ? wait : undefined));
      if (wait === undefined) throw error;
      if (!retrying) {
        const message = `Next retry would pass the call's deadline of ${deadlineMs} ms; last failure: ${outcomeLabel(error)}`;
        throw new ClipTimeoutError(message, { cause: error, attempts: attempt });
      }
      if (wait > 0) await sleep(wait, signal);
    }
  }

  /** An attempt that got no usable response, as the caller will see it: typed, with the key redacted. */
  #attemptFailure(error: unknown, signal: AbortSignal | undefined, attempts: number, timeoutMessage: string): ClipError {
    if (error instanceof AttemptTimeout) return new ClipTimeoutError(timeoutMessage, { attempts });
    // Once the caller's signal fires, a transport rejects with anything.
    if (signal?.aborted) return new ClipAbortError(undefined, { cause: signal.reason });
    if (error instanceof ClipResponseError) {
      return new ClipResponseError(this.#redact(error.message), { status: error.status, headers: this.#redact(error.headers), attempts });
    }
    if (!(error instanceof ClipConnectionError)) {
      return new ClipConnectionError(this.#redact(`Connection failed: ${String(error)}`), { cause: this.#redact(error, redactCause), attempts });
    }
    const { code, beforeResponse } = error;
    return new ClipConnectionError(this.#redact(error.message), { cause: this.#redact(error.cause, redactCause), attempts, code, beforeResponse });
  }

  /** The checked result, or the ClipResponseError that says why the 2xx body is unusable. */
  #parseResult(response: TransportResponse, check: (body: unknown) => string | undefined, attempts: number): object | ClipResponseError {
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch (cause) {
      const text = this.#redact(response.body);
      return new ClipResponseError(`Response is not JSON (status ${response.status}): ${preview(text)}`, {
        ...this.#failedResponse(response, attempts),
        body: text,
        cause: this.#redact(String(cause)),
      });
    }
    const problem = check(body);
    if (problem === undefined) return body as object;
    return new ClipResponseError(`Unexpected response: ${problem}`, { ...this.#failedResponse(response, attempts), body: this.#redact(body) });
  }

  /** What the error of a failed response carries besides its body. */
  #failedResponse(response: TransportResponse, attempts: number) {
    return { status: response.status, headers: this.#redact(response.headers), attempts };
  }

  /** `value` with every form of the key replaced; an error is scrubbed with `redactCause`. */
  #redact<T>(value: T, scrub: (value: T, secret: string) => T = redact): T {
    return this.#secrets.reduce(scrub, value);
  }

  /** Keeps the key out of `console.log(client)` and `util.inspect`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ClipClient { baseUrl: '${this.baseUrl}', apiKey: ${this.#secrets.length > 0 ? "'***'" : 'none'} }`;
  }
}

const FINAL: AttemptFailure = { kind: 'final' };

/** A failed attempt as the retry policy sees it; a timeout set by the deadline ends the call. */
function classify(error: ClipError, deadlineFirst: boolean): AttemptFailure {
  if (error instanceof ClipConnectionError) {
    return { kind: 'connection', staleSocket: error.beforeResponse && STALE_SOCKET_CODES.has(error.code ?? '') };
  }
  return error instanceof ClipTimeoutError && !deadlineFirst ? { kind: 'timeout' } : FINAL;
}

/** The validated wire payload, its keys in the caller's order so the body reads as the caller wrote it. */
function validate<S extends z.ZodType>(schema: S, input: Record<string, unknown>): z.output<S> & Record<string, unknown> {
  const result = schema.safeParse(input);
  if (result.success) {
    const data = result.data as Record<string, unknown>;
    const ordered: Record<string, unknown> = {};
    for (const key in input) if (data[key] !== undefined) ordered[key] = data[key];
    return ordered as z.output<S> & Record<string, unknown>;
  }
  throw new ClipValidationError(
    result.error.issues.map((issue) => ({ path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message: issue.message })),
  );
}

function asObject(request: unknown): Record<string, unknown> {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw new ClipValidationError([{ path: [], message: 'the request must be an object' }]);
  }
  return request as Record<string, unknown>;
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function preview(text: string): string {
  if (text.length === 0) return '(empty body)';
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ClipAbortError('Request was aborted while waiting to retry', { cause: signal!.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.min(ms, MAX_TIMER_MS));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Several servers must serve the same path: one pool spreads identical requests across their origins. */
function parseBaseUrls(value: string | readonly string[], hasDispatcher: boolean): URL[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) throw invalidOption('baseUrl', 'must be a URL or a non-empty list of URLs');
  const urls = list.map((item) => parseBaseUrl(String(item)));
  if (urls.length > 1) {
    const prefix = pathPrefix(urls[0]!);
    if (urls.some((url) => pathPrefix(url) !== prefix)) {
      throw invalidOption('baseUrl', 'several URLs must differ only in scheme, host and port (same path)');
    }
    if (hasDispatcher) throw invalidOption('baseUrl', "several URLs need the client's own pool; with a dispatcher, pass one URL");
  }
  return urls;
}

function pathPrefix(url: URL): string {
  return url.pathname.replace(/\/+$/, '');
}

/** Per-request options of a batch job's requests. */
function batchRequestOptions(options: BatchOptions, signal: AbortSignal | undefined): RequestOptions {
  return { signal, timeoutMs: options.timeoutMs, maxRetries: options.maxRetries };
}

/**
 * The server's URL. A query string, fragment or user:password would be dropped from requests while
 * staying in `baseUrl` for all to print, so they are refused; the URL itself is not quoted back, as it
 * may hold a key.
 */
function parseBaseUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidOption('baseUrl', 'is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidOption('baseUrl', 'must be an http:// or https:// URL');
  if (url.search || url.hash || url.username || url.password) {
    throw invalidOption('baseUrl', 'must not carry a query string, fragment or credentials: pass the key as apiKey');
  }
  return url;
}

/** The time and retry options, wherever they are given. */
function checkTimeOptions(options: { timeoutMs?: number; deadlineMs?: number; maxRetries?: number }, context: string): void {
  checkNumberOption('timeoutMs', options.timeoutMs, TIMEOUT_RULE, context);
  checkNumberOption('deadlineMs', options.deadlineMs, DEADLINE_RULE, context);
  checkNumberOption('maxRetries', options.maxRetries, RETRIES_RULE, context);
}

/**
 * A key travels in a header, a URL or a body: a control character or non-ASCII one cannot go in a
 * header, and spaces at either end would be lost, so such a key is refused up front instead of failing
 * every request.
 */
function checkApiKey(apiKey: string | undefined): void {
  if (apiKey !== undefined && !/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(apiKey)) {
    throw invalidOption('apiKey', 'may hold only printable ASCII characters, with no space at either end');
  }
}


export type { ResponseHeaders };
