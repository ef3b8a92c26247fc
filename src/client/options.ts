/**
 * The client's options: their types and documented defaults, the environment variables they read,
 * and the checks that refuse a bad value where it is given.
 */
import type { Dispatcher } from 'undici';
import { invalidOption, type ClipError } from '../errors/errors.js';
import {
  checkNumberOption,
  DEADLINE_RULE,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  RETRIES_RULE,
  signalProblem,
  TIMEOUT_RULE,
  warnPlainHttpKey,
} from '../request/guards.js';
import { IMAGE_BATCHING_MODES, type ImageBatchingMode } from '../request/image-batching.js';
import { LOG_LEVELS, resolveLogger, type ClipLogger, type LogLevel } from '../request/logger.js';
import type { CallLimits, SenderConfig } from '../request/pipeline.js';
import { resolveRetryPolicy, type BackoffOptions, type RetryOn } from '../request/retry.js';
import { createTransport } from '../transport/default.js';
import type { FetchFunction } from '../transport/fetch.js';
import { CLIP_VERSIONS, isClipVersion, type ClipVersion } from '../wire/clip-versions.js';
import { apiKeyQuery } from '../wire/schemas.js';
import { AS_FLOAT32, ON_ANSWER } from '../jobs/embeddings.js';
import { checkBrowserKey, isHostedRoboflow, missingKeyError } from './key-checks.js';
import { TransportLease } from './lifecycle.js';
import { checkOptionNames, CLIENT_OPTION_NAMES, REQUEST_OPTION_NAMES } from './option-names.js';
import { VERSION } from './version.js';

/** Where the API key travels. */
export type ApiKeyTransport = 'query' | 'header' | 'body';

export interface ClipClientOptions {
  /**
   * Roboflow API key. Default: `process.env.ROBOFLOW_API_KEY`. Optional: a self-hosted server may need
   * none, while a client of Roboflow's hosted API (`*.roboflow.com`) without one fails each call before
   * sending, saying how to set it. Pass `null` to send no key even when the variable is set.
   */
  apiKey?: string | null | undefined;
  /**
   * Server URL. Default: `process.env.ROBOFLOW_CLIP_URL`, else `https://infer.roboflow.com`.
   * A list of URLs (several self-hosted servers) spreads requests across them with undici's
   * `BalancedPool`; they may differ only in scheme, host and port, not in path.
   */
  baseUrl?: string | readonly string[] | undefined;
  /**
   * How the key is sent: `'query'` (`?api_key=`, as Roboflow's docs show), `'header'`
   * (`Authorization: Bearer`, servers 1.5.0 and newer) or `'body'` (`"api_key"`). Default: `'query'`.
   */
  apiKeyTransport?: ApiKeyTransport | undefined;
  /** CLIP model sent as `clip_version_id` when a call names none. Default: unset (the server uses `ViT-B-16`). */
  clipVersion?: ClipVersion | undefined;
  /** Time limit of each attempt in milliseconds, response body included. Default: 60000. */
  timeoutMs?: number | undefined;
  /** Time limit of the whole call in milliseconds, retries and waits included. Default: none. */
  deadlineMs?: number | undefined;
  /** Retries after a retryable failure (connection error, timeout, 408/429/502/503/504). Default: 2. */
  maxRetries?: number | undefined;
  /** What is retried: `{ statuses?, timeouts? }`. Default: 408/429/502/503/504 and timeouts; connection errors always. */
  retryOn?: RetryOn | undefined;
  /** Backoff between retries, exponential with full jitter: `{ baseMs?, capMs? }`. Default: `{ baseMs: 500, capMs: 8000 }`. */
  backoff?: BackoffOptions | undefined;
  /** A request body larger than this (UTF-8 bytes) is refused before sending. `Infinity` disables. Default: 20 MiB. */
  maxRequestBytes?: number | undefined;
  /** A response body larger than this is cut off with `ClipResponseError`. `Infinity` disables. Default: 64 MiB. */
  maxResponseBytes?: number | undefined;
  /**
   * Receives one line per attempt and warnings; `console` fits, and so does an object with only some
   * of the methods. The key is never logged, and a logger that throws is ignored. Default: `console`
   * when `logLevel` (or `ROBOFLOW_CLIP_LOG`) is set, else silent.
   */
  logger?: ClipLogger | undefined;
  /**
   * The least severe level logged: `'debug'` (each successful attempt), `'info'` (a failure that is
   * retried), `'warn'` (a call's final failure, warnings), `'error'`, or `'off'`. Default:
   * `process.env.ROBOFLOW_CLIP_LOG`, else `'debug'` when a `logger` is given (every line), else `'off'`.
   */
  logLevel?: LogLevel | undefined;
  /** undici Dispatcher (proxy, mTLS, custom pool). Default: a keep-alive Agent owned and closed by the client. */
  dispatcher?: Dispatcher | undefined;
  /**
   * A WHATWG `fetch` to send with instead of undici (the global one, undici's, or a wrapper), e.g. so
   * that msw sees the requests. Default: undici on Node; `globalThis.fetch` in the edge build
   * (Workers, Deno, Bun, browsers), looked up at each call.
   */
  fetch?: FetchFunction | undefined;
  /** Extra headers sent with every request. Default: none. */
  headers?: Record<string, string> | undefined;
  /**
   * Allow an API key in a browser, where every visitor of the page can read it. Only for a key that is
   * meant to be public; otherwise call Roboflow from your server. Default: false.
   */
  dangerouslyAllowBrowser?: boolean | undefined;
  /** Label text embeddings `classify` keeps (least recently used dropped first); 0 disables the cache. Default: 4096. */
  labelCacheSize?: number | undefined;
  /**
   * How a call of several images (`embedImage` with a list, `compare` with image prompts) is sent.
   * `'auto'`: in one request; when the server answers fewer results than images, or HTTP 500 (the
   * default backend of inference 1.5.0 does), the images are re-sent one per request and, once that
   * worked, that server gets one image per request from then on (logged once at `warn`). `'never'`:
   * always one image per request. `'always'`: one request, never re-sent. Texts are always batched.
   * Default: `'auto'`.
   */
  imageBatching?: ImageBatchingMode | undefined;
}

/** Per-call overrides. */
export interface RequestOptions {
  /** Aborts the call, also while it waits to retry; it then rejects with `ClipAbortError`. Default: none. */
  signal?: AbortSignal | undefined;
  /** Time limit of each attempt of this call, in milliseconds. Default: the client's `timeoutMs`. */
  timeoutMs?: number | undefined;
  /** Time limit of this call, retries and waits included, in milliseconds. Default: the client's `deadlineMs`. */
  deadlineMs?: number | undefined;
  /** Retries for this call. Default: the client's `maxRetries`. */
  maxRetries?: number | undefined;
  /** Headers for this call (a trace id, a tenant id), over the client's `headers`. Default: none. */
  headers?: Record<string, string> | undefined;
  /**
   * Body fields sent as they are, unchecked, for what this SDK does not know yet: a newer server's
   * field, or a CLIP version newer than `CLIP_VERSIONS` (`{ clip_version_id: 'ViT-H-14' }`). A field
   * the request already has, or `api_key`, is refused. Default: none.
   */
  extraBody?: Record<string, unknown> | undefined;
}

const DEFAULT_BASE_URL = 'https://infer.roboflow.com';
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 2;

/** A client's options resolved once: what its requests share, and the limits a call starts from. */
export interface ResolvedOptions extends SenderConfig, Omit<CallLimits, 'signal' | 'headers'> {
  transport: TransportLease;
  baseUrls: readonly string[];
  /** What every call fails with before sending: a hosted Roboflow URL and no key. */
  missingKey: ClipError | undefined;
  /** The header that carries the key, which a call's own headers do not replace. */
  keyHeaders: Record<string, string>;
  clipVersion: ClipVersion | undefined;
  /** The key when it travels in the body, else undefined. */
  bodyApiKey: string | undefined;
  labelCacheSize: number | undefined;
  imageBatching: ImageBatchingMode;
}

/**
 * Reads the environment, applies the defaults and checks every option; throws `ClipValidationError`
 * on a bad one. `lease`: the connection pool of the client a `withOptions` copy is made from.
 */
export function resolveOptions(options: ClipClientOptions, lease?: TransportLease): ResolvedOptions {
  checkOptionNames(options, CLIENT_OPTION_NAMES, 'Invalid client options');
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  const apiKey = (options.apiKey === undefined ? env.ROBOFLOW_API_KEY : options.apiKey) || undefined;
  checkBrowserKey(apiKey, options.dangerouslyAllowBrowser);
  const logger = resolveLogger(options.logger ?? (options.logLevel ?? env.ROBOFLOW_CLIP_LOG ? console : undefined), logLevel(options, env));
  const keyTransport = options.apiKeyTransport ?? 'query';
  if (!['query', 'header', 'body'].includes(keyTransport)) throw invalidOption('apiKeyTransport', 'must be "query", "header" or "body"');
  checkApiKey(apiKey);
  checkTimeOptions(options, 'Invalid client options');
  checkNumberOption('maxRequestBytes', options.maxRequestBytes, { min: 0, infinity: true });
  checkNumberOption('maxResponseBytes', options.maxResponseBytes, { min: 0, infinity: true });
  checkNumberOption('labelCacheSize', options.labelCacheSize, { min: 0, integer: true });
  const imageBatching = options.imageBatching ?? 'auto';
  if (!IMAGE_BATCHING_MODES.includes(imageBatching)) throw invalidOption('imageBatching', 'must be "auto", "always" or "never"');
  if (options.clipVersion !== undefined && !isClipVersion(options.clipVersion)) {
    throw invalidOption('clipVersion', `must be one of ${CLIP_VERSIONS.join(', ')} (a version this SDK does not know yet goes in each call's extraBody)`);
  }
  checkHeaders(options.headers, 'Invalid client options');
  const retryPolicy = resolveRetryPolicy(options.retryOn, options.backoff);

  const bases = parseBaseUrls(options.baseUrl ?? (env.ROBOFLOW_CLIP_URL || DEFAULT_BASE_URL), options.dispatcher !== undefined);
  const base = bases[0]!;
  if (apiKey) for (const url of bases) warnPlainHttpKey(url, logger);
  const prefix = pathPrefix(base);
  const query = apiKey && keyTransport === 'query' ? apiKeyQuery(apiKey) : '';
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': `roboflow-clip/${VERSION}`,
  };
  Object.assign(headers, lowerCaseNames(options.headers ?? {}));
  const keyHeaders: Record<string, string> = apiKey && keyTransport === 'header' ? { authorization: `Bearer ${apiKey}` } : {};
  Object.assign(headers, keyHeaders);

  return {
    baseUrls: bases.map((url) => url.href),
    clipVersion: options.clipVersion,
    bodyApiKey: keyTransport === 'body' ? apiKey : undefined,
    transport: lease ?? new TransportLease(createTransport(options, bases.map((url) => url.origin))),
    missingKey: apiKey === undefined && isHostedRoboflow(base) ? missingKeyError(base) : undefined,
    keyHeaders,
    requestBase: { origin: base.origin, headers, maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES },
    path: (route) => prefix + route + query,
    secrets: apiKey ? [...new Set([apiKey, encodeURIComponent(apiKey)])] : [],
    retryPolicy,
    maxRequestBytes: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
    logger,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    deadlineMs: options.deadlineMs ?? Number.POSITIVE_INFINITY,
    maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    labelCacheSize: options.labelCacheSize,
    imageBatching,
  };
}

/**
 * A call's limits and headers: its own options over the client's, checked before anything is sent.
 * `startedAt`: when the call began, if its deadline counts from before the request (Blob reads).
 */
export function callLimits(defaults: ResolvedOptions, options: RequestOptions | undefined, startedAt?: number): CallLimits {
  if (!options) {
    if (startedAt === undefined) return defaults;
    return { timeoutMs: defaults.timeoutMs, deadlineMs: defaults.deadlineMs, maxRetries: defaults.maxRetries, startedAt };
  }
  checkOptionNames(options, REQUEST_OPTION_NAMES, 'Invalid request options');
  checkTimeOptions(options, 'Invalid request options');
  checkHeaders(options.headers, 'Invalid request options');
  const badSignal = signalProblem(options.signal);
  if (badSignal) throw invalidOption('signal', badSignal, 'Invalid request options');
  const { signal, timeoutMs = defaults.timeoutMs, deadlineMs = defaults.deadlineMs, maxRetries = defaults.maxRetries } = options;
  const headers = options.headers && { ...defaults.requestBase.headers, ...lowerCaseNames(options.headers), ...defaults.keyHeaders };
  const { [ON_ANSWER]: onAnswer, [AS_FLOAT32]: float32 } = options as { [ON_ANSWER]?: () => void; [AS_FLOAT32]?: boolean };
  return { signal, timeoutMs, deadlineMs, maxRetries, headers, startedAt, onAnswer, float32 };
}

/** `ROBOFLOW_CLIP_LOG` or the option, checked; every line when only a logger is given. */
function logLevel(options: ClipClientOptions, env: Record<string, string | undefined>): LogLevel {
  const level = options.logLevel ?? (env.ROBOFLOW_CLIP_LOG || undefined);
  if (level === undefined) return options.logger ? 'debug' : 'off';
  if (!LOG_LEVELS.includes(level as LogLevel)) {
    const where = options.logLevel === undefined ? 'ROBOFLOW_CLIP_LOG' : 'logLevel';
    throw invalidOption(where, `must be one of ${LOG_LEVELS.map((l) => `"${l}"`).join(', ')}, got ${JSON.stringify(level)}`);
  }
  return level as LogLevel;
}

/** Headers are sent as they are: a value that is not a string would fail every request, so it is refused here. */
function checkHeaders(headers: unknown, context: string): void {
  if (headers === undefined) return;
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) throw invalidOption('headers', 'must be an object of header names and values', context);
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') throw invalidOption(['headers', name], `must be a string, got ${typeof value}`, context);
  }
}

function lowerCaseNames(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
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
