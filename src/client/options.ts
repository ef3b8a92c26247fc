/**
 * The client's options: their types and documented defaults, the environment variables they read,
 * and the checks that refuse a bad value where it is given.
 */
import type { Dispatcher } from 'undici';
import { invalidOption } from '../errors/errors.js';
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
import type { ClipLogger } from '../request/logger.js';
import type { CallLimits, SenderConfig } from '../request/pipeline.js';
import { resolveRetryPolicy, type BackoffOptions, type RetryOn } from '../request/retry.js';
import { createTransport } from '../transport/default.js';
import type { FetchFunction } from '../transport/fetch.js';
import type { ClipVersion } from '../wire/clip-versions.js';
import { apiKeyQuery } from '../wire/schemas.js';
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

const DEFAULT_BASE_URL = 'https://infer.roboflow.com';
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 2;

/** A client's options resolved once: what its requests share, and the limits a call starts from. */
export interface ResolvedOptions extends SenderConfig, Omit<CallLimits, 'signal'> {
  baseUrls: readonly string[];
  clipVersion: ClipVersion | undefined;
  /** The key when it travels in the body, else undefined. */
  bodyApiKey: string | undefined;
  labelCacheSize: number | undefined;
}

/** Reads the environment, applies the defaults and checks every option; throws `ClipValidationError` on a bad one. */
export function resolveOptions(options: ClipClientOptions): ResolvedOptions {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  const apiKey = (options.apiKey === undefined ? env.ROBOFLOW_API_KEY : options.apiKey) || undefined;
  const keyTransport = options.apiKeyTransport ?? 'query';
  if (!['query', 'header', 'body'].includes(keyTransport)) throw invalidOption('apiKeyTransport', 'must be "query", "header" or "body"');
  checkApiKey(apiKey);
  checkTimeOptions(options, 'Invalid client options');
  checkNumberOption('maxRequestBytes', options.maxRequestBytes, { min: 0, infinity: true });
  checkNumberOption('maxResponseBytes', options.maxResponseBytes, { min: 0, infinity: true });
  checkNumberOption('labelCacheSize', options.labelCacheSize, { min: 0, integer: true });
  const retryPolicy = resolveRetryPolicy(options.retryOn, options.backoff);

  const bases = parseBaseUrls(options.baseUrl ?? (env.ROBOFLOW_CLIP_URL || DEFAULT_BASE_URL), options.dispatcher !== undefined);
  const base = bases[0]!;
  if (apiKey) for (const url of bases) warnPlainHttpKey(url, options.logger);
  const prefix = pathPrefix(base);
  const query = apiKey && keyTransport === 'query' ? apiKeyQuery(apiKey) : '';
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': `roboflow-clip/${VERSION}`,
  };
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  if (apiKey && keyTransport === 'header') headers.authorization = `Bearer ${apiKey}`;

  return {
    baseUrls: bases.map((url) => url.href),
    clipVersion: options.clipVersion,
    bodyApiKey: keyTransport === 'body' ? apiKey : undefined,
    transport: createTransport(options, bases.map((url) => url.origin)),
    requestBase: { origin: base.origin, headers, maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES },
    path: (route) => prefix + route + query,
    secrets: apiKey ? [...new Set([apiKey, encodeURIComponent(apiKey)])] : [],
    retryPolicy,
    maxRequestBytes: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
    logger: options.logger,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    deadlineMs: options.deadlineMs ?? Number.POSITIVE_INFINITY,
    maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    labelCacheSize: options.labelCacheSize,
  };
}

/** A call's limits: its own options over the client's, checked before anything is sent. */
export function callLimits(defaults: CallLimits, options: RequestOptions | undefined): CallLimits {
  if (!options) return defaults;
  checkTimeOptions(options, 'Invalid request options');
  const badSignal = signalProblem(options.signal);
  if (badSignal) throw invalidOption('signal', badSignal, 'Invalid request options');
  const { signal, timeoutMs = defaults.timeoutMs, deadlineMs = defaults.deadlineMs, maxRetries = defaults.maxRetries } = options;
  return { signal, timeoutMs, deadlineMs, maxRetries };
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
