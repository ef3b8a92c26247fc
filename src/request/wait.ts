import { ClipAbortError, ClipTimeoutError } from '../errors/errors.js';
import { MAX_TIMER_MS } from './guards.js';

/** What bounds a wait outside the transport: the call's signal and the time left of its deadline. */
export interface WaitLimits {
  signal?: AbortSignal | undefined;
  /** Milliseconds from now; Infinity waits as long as the promise takes. */
  deadlineMs: number;
}

/**
 * `promise`, unless the signal fires (`ClipAbortError`) or the deadline passes (`ClipTimeoutError`)
 * first. The promise itself runs on: what it does once nobody waits is its own affair.
 */
export function waitWithin<T>(promise: Promise<T>, { signal, deadlineMs }: WaitLimits, what: string): Promise<T> {
  if (!signal && deadlineMs === Infinity) return promise;
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = () => finish(() => reject(new ClipAbortError(`Request was aborted while ${what}`, { cause: signal!.reason })));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (deadlineMs !== Infinity) {
      const message = `Call reached its deadline of ${deadlineMs} ms while ${what}`;
      timer = setTimeout(() => finish(() => reject(new ClipTimeoutError(message))), Math.min(deadlineMs, MAX_TIMER_MS));
    }
    promise.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}
