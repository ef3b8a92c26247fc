import { invalidOption } from '../errors/errors.js';
import { checkNumberOption } from './guards.js';

/**
 * HTTP statuses retried by default: request timeout, rate limit, and the gateway/overload family.
 * 500 is left out on purpose: the server maps deterministic input errors (too many prompts, text too
 * long) to 500, so a retry only repeats the failure.
 */
export const DEFAULT_RETRY_STATUSES: readonly number[] = [408, 429, 502, 503, 504];

/** First backoff step in milliseconds; doubles each retry. */
export const BACKOFF_BASE_MS = 500;
/** Largest backoff step in milliseconds. */
export const BACKOFF_CAP_MS = 8_000;
/** A server-requested delay above this is ignored in favour of the computed backoff. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** What is retried, and how long to wait: resolved once from the client options. */
export interface RetryPolicy {
  statuses: ReadonlySet<number>;
  /** Whether an attempt that ran out of `timeoutMs` is retried. */
  timeouts: boolean;
  baseMs: number;
  capMs: number;
}

/** How an attempt failed, as far as the retry policy cares. */
export type AttemptFailure =
  | { kind: 'status'; status: number; headers: Record<string, string | undefined> }
  /** `staleSocket`: reset or closed before any response header, the mark of a dead keep-alive socket. */
  | { kind: 'connection'; staleSocket: boolean }
  | { kind: 'timeout' }
  /** Anything else: a bad 2xx body, an oversized response, the caller's abort. */
  | { kind: 'final' };

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(cap, base * 2^retry)). `retry`
 * counts from 0.
 */
export function backoffDelay(retry: number, random: () => number, baseMs = BACKOFF_BASE_MS, capMs = BACKOFF_CAP_MS): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** retry));
}

/** A header as a number: NaN when absent or blank (which `Number` would read as 0) or not a number. */
function numeric(header: string | undefined): number {
  return header?.trim() ? Number(header) : Number.NaN;
}

/**
 * The delay the server asked for, in milliseconds: `retry-after-ms`, else `Retry-After` as seconds or
 * an HTTP date. Undefined when absent, unparseable, negative or above 60 s.
 */
export function retryAfterDelay(headers: Record<string, string | undefined>, now: number = Date.now()): number | undefined {
  const ms = numeric(headers['retry-after-ms']);
  if (Number.isFinite(ms)) return inRange(ms);
  const header = headers['retry-after'] ?? '';
  const seconds = numeric(header);
  // An unparseable date is NaN, which inRange refuses.
  return inRange(Number.isFinite(seconds) ? seconds * 1000 : Math.max(0, Date.parse(header) - now));
}

function inRange(ms: number): number | undefined {
  return ms >= 0 && ms <= MAX_RETRY_AFTER_MS ? ms : undefined;
}

/**
 * The wait in milliseconds before the next attempt, or undefined when the failure is final.
 * `attempt` is the number of the attempt that just failed (from 1). A call makes at most
 * `maxRetries + 1` attempts, with one exception: a stale-socket failure of the first attempt is
 * retried at once, even when `maxRetries` is 0 (a pooled connection the server or a frozen process
 * dropped says nothing about the next one).
 */
export function retryWait(
  policy: RetryPolicy,
  failure: AttemptFailure,
  attempt: number,
  maxRetries: number,
  random: () => number = Math.random,
  now?: number,
): number | undefined {
  const { kind } = failure;
  if (kind === 'final') return undefined;
  if (attempt === 1 && kind === 'connection' && failure.staleSocket) return 0;
  if (attempt > maxRetries || (kind === 'timeout' && !policy.timeouts)) return undefined;
  if (kind === 'status') {
    if (!policy.statuses.has(failure.status)) return undefined;
    const requested = retryAfterDelay(failure.headers, now);
    if (requested !== undefined) return requested;
  }
  return backoffDelay(attempt - 1, random, policy.baseMs, policy.capMs);
}

/**
 * Error codes of a connection the peer closed or reset. Before any response header, on a first
 * attempt, they are taken as a stale keep-alive socket: undici does not say whether the socket was
 * reused, so a fresh connection reset that early is treated alike.
 */
export const STALE_SOCKET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** Statuses to retry, and whether timeouts are retried. Connection errors always are. */
export interface RetryOn {
  /** Default: `DEFAULT_RETRY_STATUSES` (408, 429, 502, 503, 504). */
  statuses?: readonly number[] | undefined;
  /** Retry an attempt that ran out of `timeoutMs`. Default: true (every CLIP route is safe to repeat). */
  timeouts?: boolean | undefined;
}

/** The exponential backoff's first step and ceiling, in milliseconds. */
export interface BackoffOptions {
  /** First backoff step in milliseconds; doubles each retry. Default: 500. */
  baseMs?: number | undefined;
  /** Largest backoff step in milliseconds. Default: 8000. */
  capMs?: number | undefined;
}

const NON_NEGATIVE = { min: 0 };

/** The client's retry options as one policy, checked once. */
export function resolveRetryPolicy(retryOn: RetryOn | undefined, backoff: BackoffOptions | undefined): RetryPolicy {
  const statuses = retryOn?.statuses ?? DEFAULT_RETRY_STATUSES;
  // The index of the first status out of range, -1 when there is none, -2 when it is not a list.
  const bad = Array.isArray(statuses) ? statuses.findIndex((s) => !Number.isInteger(s) || s < 100 || s > 599) : -2;
  if (bad !== -1) {
    const path = ['retryOn', 'statuses', ...(bad < 0 ? [] : [bad])];
    throw invalidOption(path, 'must be a list of HTTP statuses (100-599)');
  }
  checkNumberOption('backoff.baseMs', backoff?.baseMs, NON_NEGATIVE);
  checkNumberOption('backoff.capMs', backoff?.capMs, NON_NEGATIVE);
  return {
    statuses: new Set(statuses),
    timeouts: retryOn?.timeouts ?? true,
    baseMs: backoff?.baseMs ?? BACKOFF_BASE_MS,
    capMs: backoff?.capMs ?? BACKOFF_CAP_MS,
  };
}
