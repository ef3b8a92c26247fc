import { ClipValidationError, invalidOption } from '../errors/errors.js';
import type { Logger } from './logger.js';

/** setTimeout's largest delay; a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** The hosted API's request size limit. */
export const DEFAULT_MAX_REQUEST_BYTES = 20 * 1024 * 1024;
/** Far above any CLIP answer (8 embeddings of 1024 numbers are about 200 KB): only a broken server sends more. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;

/**
 * Refuses a body whose UTF-8 size is above `limit`. A UTF-16 unit never takes more than 3 UTF-8
 * bytes, so most bodies pass on their length alone and are never measured.
 */
export function checkRequestSize(body: string, limit: number): void {
  if (body.length * 3 <= limit) return;
  const bytes = NodeBuffer ? NodeBuffer.byteLength(body, 'utf8') : new TextEncoder().encode(body).length;
  if (bytes <= limit) return;
  throw new ClipValidationError(
    [{ path: [], message: `the encoded body is ${bytes} bytes (${mebibytes(bytes)}), above maxRequestBytes of ${limit} bytes (${mebibytes(limit)})` }],
    'Request too large',
  );
}

function mebibytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * `localhost`, `*.localhost`, 127.0.0.0/8 and `::1`: traffic that never leaves the machine. Takes a
 * URL's hostname, which the URL parser has lower-cased and put in canonical form (`127.1` is `127.0.0.1`).
 */
const LOOPBACK_HOSTNAME = /^(.+\.)?localhost$|^\[::1\]$|^127\.\d+\.\d+\.\d+$/;

const warnedOrigins = new Set<string>();

/**
 * Warns, once per origin and process, that the key travels in clear text: through the logger when the
 * client has one, else as a Node process warning.
 */
export function warnPlainHttpKey(url: URL, logger: Logger | undefined): void {
  if (url.protocol !== 'http:' || LOOPBACK_HOSTNAME.test(url.hostname) || warnedOrigins.has(url.origin)) return;
  warnedOrigins.add(url.origin);
  const message = `roboflow-clip: the API key goes over plain http:// to ${url.host}, readable on the network; use https://`;
  if (logger) return logger.warn(message);
  const node = (globalThis as { process?: { emitWarning?: (message: string, options: object) => void } }).process;
  node?.emitWarning?.(message, { type: 'SecurityWarning', code: 'ROBOFLOW_CLIP_PLAIN_HTTP_KEY' });
}

/**
 * Why a `signal` option is unusable, or undefined when it is absent or an AbortSignal. Checked before
 * anything is armed: the AbortController itself, a common slip, would otherwise fail only inside a
 * transport or a retry timer. Any object that behaves as a signal passes, so signals of another realm
 * or a polyfill do too.
 */
export function signalProblem(value: unknown): string | undefined {
  if (value === undefined || isAbortSignal(value)) return undefined;
  if (isAbortSignal((value as { signal?: unknown } | null)?.signal)) return 'must be an AbortSignal: pass controller.signal, not the AbortController';
  return `must be an AbortSignal, got ${value === null ? 'null' : typeof value}`;
}

export function isAbortSignal(value: unknown): value is AbortSignal {
  const signal = value as Partial<AbortSignal> | null | undefined;
  return (
    typeof signal === 'object' &&
    signal !== null &&
    typeof signal.aborted === 'boolean' &&
    typeof signal.addEventListener === 'function' &&
    typeof signal.removeEventListener === 'function'
  );
}

/** How a numeric option may look: at least `min`; `Infinity` only when allowed; whole when `integer`. */
export interface NumberRule {
  min: number;
  infinity?: boolean;
  integer?: boolean;
}

/** A numeric option, checked where it is given: a client's at construction, a call's before anything is sent. */
export function checkNumberOption(name: string, value: number | undefined, rule: NumberRule, context = 'Invalid client options'): void {
  if (value === undefined) return;
  const { min, infinity, integer } = rule;
  // Number.isFinite and Number.isInteger are false for anything that is not a number.
  const finite = Number.isFinite(value) || (infinity && value === Infinity);
  if (finite && (!integer || Number.isInteger(value)) && value >= min) return;
  const bound = `${integer ? 'a whole number' : 'a number'} >= ${min}${infinity ? ' or Infinity' : ''}`;
  throw invalidOption(name, `must be ${bound}, got ${String(value)}`, context);
}

/** The rules of the time and retry options a client and each call may set. */
export const TIMEOUT_RULE: NumberRule = { min: 1 };
export const DEADLINE_RULE: NumberRule = { min: 1, infinity: true };
export const RETRIES_RULE: NumberRule = { min: 0, integer: true };
