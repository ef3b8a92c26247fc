/**
 * HTTP statuses retried by default: request timeout, rate limit, and the gateway/overload family.
 * 500 is left out on purpose: the server maps deterministic input errors (too many prompts, text too
 * long) to 500, so a retry only repeats the failure.
 */
export const DEFAULT_RETRY_STATUSES: readonly number[] = [408, 429, 502, 503, 504];

/** First backoff step in milliseconds; doubles each attempt. */
export const BACKOFF_BASE_MS = 500;
/** Largest backoff step in milliseconds. */
export const BACKOFF_CAP_MS = 8_000;
/** A server-requested delay above this is ignored in favour of the computed backoff. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Exponential backoff with full jitter: a uniform delay in [0, min(cap, base * 2^retry)). `retry` counts from 0. */
export function backoffDelay(retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/**
 * The delay the server asked for, in milliseconds: `retry-after-ms`, else `Retry-After` as seconds or
 * an HTTP date. Undefined when absent, unparseable, negative or above 60 s.
 */
export function retryAfterDelay(headers: Record<string, string | undefined>, now: number = Date.now()): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined) {
    const value = Number(ms);
    if (ms.trim() !== '' && Number.isFinite(value)) return inRange(value);
  }
  const header = headers['retry-after'];
  if (header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return inRange(seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : inRange(Math.max(0, date - now));
}

function inRange(ms: number): number | undefined {
  return ms >= 0 && ms <= MAX_RETRY_AFTER_MS ? ms : undefined;
}

/** The wait before retry number `retry` (from 0): the server's request when it is reasonable, else backoff. */
export function retryDelay(retry: number, headers: Record<string, string | undefined> | undefined): number {
  return (headers && retryAfterDelay(headers)) ?? backoffDelay(retry);
}
