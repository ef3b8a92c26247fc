import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClipValidationError } from '../src/index.js';
import {
  backoffDelay,
  resolveRetryPolicy,
  retryAfterDelay,
  retryWait,
  type AttemptFailure,
} from '../src/request/retry.js';

const status = (code: number, headers: Record<string, string> = {}): AttemptFailure => ({ kind: 'status', status: code, headers });
const stale: AttemptFailure = { kind: 'connection', staleSocket: true };
const connection: AttemptFailure = { kind: 'connection', staleSocket: false };
const timeout: AttemptFailure = { kind: 'timeout' };
const never = () => 0.5;
/** The policy of a client given no retry options. */
const DEFAULT_RETRY_POLICY = resolveRetryPolicy(undefined, undefined);

describe('backoff', () => {
  it('is full jitter below min(8 s, 0.5 s * 2^retry)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, r) => {
        const delay = backoffDelay(retry, () => r);
        const ceiling = Math.min(8_000, 500 * 2 ** retry);
        return Number.isInteger(delay) && delay >= 0 && delay < ceiling;
      }),
    );
  });

  it('spans the whole jitter range: 0 at the bottom, just under the ceiling at the top', () => {
    expect(backoffDelay(0, () => 0)).toBe(0);
    expect(backoffDelay(0, () => 0.9999)).toBe(499);
    expect(backoffDelay(3, () => 0.9999)).toBe(3_999);
    expect(backoffDelay(10, () => 0.9999)).toBe(7_999);
  });

  it('takes its base and cap from the policy', () => {
    expect(backoffDelay(0, () => 0.9999, 10, 25)).toBe(9);
    expect(backoffDelay(5, () => 0.9999, 10, 25)).toBe(24);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads retry-after-ms first', () => {
    expect(retryAfterDelay({ 'retry-after-ms': '250', 'retry-after': '5' }, now)).toBe(250);
  });

  it('reads Retry-After in seconds', () => {
    expect(retryAfterDelay({ 'retry-after': '1' }, now)).toBe(1_000);
    expect(retryAfterDelay({ 'retry-after': '0' }, now)).toBe(0);
  });

  it('reads Retry-After as an HTTP date, a past date meaning now', () => {
    expect(retryAfterDelay({ 'retry-after': 'Wed, 01 Jan 2025 00:00:03 GMT' }, now)).toBe(3_000);
    expect(retryAfterDelay({ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, now)).toBe(0);
  });

  it('ignores a delay above 60 s, a negative one, and garbage', () => {
    for (const headers of [
      { 'retry-after': '3600' },
      { 'retry-after': '61' },
      { 'retry-after-ms': '60001' },
      { 'retry-after': '-1' },
      { 'retry-after': 'soon' },
      { 'retry-after': '' },
      { 'retry-after': 'Wed, 01 Jan 2025 01:00:00 GMT' },
    ]) {
      expect(retryAfterDelay(headers, now), JSON.stringify(headers)).toBeUndefined();
    }
    expect(retryAfterDelay({ 'retry-after': '60' }, now)).toBe(60_000);
  });

  it('falls back from a garbage retry-after-ms to Retry-After', () => {
    expect(retryAfterDelay({ 'retry-after-ms': 'x', 'retry-after': '2' }, now)).toBe(2_000);
  });
});

describe('what is retried', () => {
  it('retries 408, 429, 502, 503 and 504', () => {
    for (const code of [408, 429, 502, 503, 504]) expect(retryWait(DEFAULT_RETRY_POLICY, status(code), 1, 2, never)).toBe(250);
  });

  it('does not retry 500 or any other 4xx', () => {
    for (const code of [400, 401, 402, 403, 404, 413, 422, 423, 500, 501]) {
      expect(retryWait(DEFAULT_RETRY_POLICY, status(code), 1, 2, never), String(code)).toBeUndefined();
    }
  });

  it('retries connection errors and timeouts', () => {
    expect(retryWait(DEFAULT_RETRY_POLICY, connection, 1, 2, never)).toBe(250);
    expect(retryWait(DEFAULT_RETRY_POLICY, timeout, 1, 2, never)).toBe(250);
  });

  it('never retries a final failure', () => {
    expect(retryWait(DEFAULT_RETRY_POLICY, { kind: 'final' }, 1, 5, never)).toBeUndefined();
  });

  it('stops after maxRetries retries', () => {
    expect(retryWait(DEFAULT_RETRY_POLICY, status(503), 2, 2, never)).toBe(500);
    expect(retryWait(DEFAULT_RETRY_POLICY, status(503), 3, 2, never)).toBeUndefined();
    expect(retryWait(DEFAULT_RETRY_POLICY, connection, 1, 0, never)).toBeUndefined();
  });

  it('waits what Retry-After asks when it is reasonable, the backoff otherwise', () => {
    expect(retryWait(DEFAULT_RETRY_POLICY, status(503, { 'retry-after': '1' }), 1, 2, never)).toBe(1_000);
    expect(retryWait(DEFAULT_RETRY_POLICY, status(429, { 'retry-after': '3600' }), 1, 2, never)).toBe(250);
  });

  it('retries a stale-socket failure of the first attempt at once, even with maxRetries 0', () => {
    expect(retryWait(DEFAULT_RETRY_POLICY, stale, 1, 0, never)).toBe(0);
    expect(retryWait(DEFAULT_RETRY_POLICY, stale, 1, 2, never)).toBe(0);
  });

  it('gives a stale-socket failure after the first attempt no free retry', () => {
    expect(retryWait(DEFAULT_RETRY_POLICY, stale, 2, 0, never)).toBeUndefined();
    expect(retryWait(DEFAULT_RETRY_POLICY, stale, 2, 2, never)).toBe(500);
  });
});

describe('retry options', () => {
  it('replaces the retried statuses with retryOn.statuses', () => {
    const policy = resolveRetryPolicy({ statuses: [500, 503] }, undefined);
    expect(retryWait(policy, status(500), 1, 2, never)).toBe(250);
    expect(retryWait(policy, status(429), 1, 2, never)).toBeUndefined();
  });

  it('stops retrying timeouts with retryOn.timeouts: false, connection errors still retried', () => {
    const policy = resolveRetryPolicy({ timeouts: false }, undefined);
    expect(retryWait(policy, timeout, 1, 2, never)).toBeUndefined();
    expect(retryWait(policy, connection, 1, 2, never)).toBe(250);
    expect(retryWait(policy, status(503), 1, 2, never)).toBe(250);
  });

  it('takes the backoff base and cap from the backoff option', () => {
    const policy = resolveRetryPolicy(undefined, { baseMs: 10, capMs: 15 });
    expect(retryWait(policy, connection, 1, 5, never)).toBe(5);
    expect(retryWait(policy, connection, 4, 5, never)).toBe(7);
  });

  it('refuses statuses that are not HTTP statuses and negative backoff values', () => {
    expect(() => resolveRetryPolicy({ statuses: [503, 5030] }, undefined)).toThrow(ClipValidationError);
    expect(() => resolveRetryPolicy({ statuses: '503' as never }, undefined)).toThrow(ClipValidationError);
    expect(() => resolveRetryPolicy(undefined, { baseMs: -1 })).toThrow(ClipValidationError);
    expect(() => resolveRetryPolicy(undefined, { capMs: Number.NaN })).toThrow(ClipValidationError);
  });
});
