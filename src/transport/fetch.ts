import { ClipResponseError, type ResponseHeaders } from '../errors/errors.js';
import { AttemptTimeout, toConnectionError, tooLarge } from './failures.js';
import type { Transport, TransportRequest, TransportResponse } from './types.js';

/** What the fetch transport passes to `fetch`. */
export interface FetchInit {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
  redirect: 'manual';
}

/** The part of a WHATWG `Response` the transport reads. */
export interface FetchResponse {
  status: number;
  /** Set by a fetch that followed a redirect. */
  redirected?: boolean | undefined;
  /** `'opaqueredirect'` for a redirect a browser's fetch did not follow. */
  type?: string | undefined;
  headers: { forEach(callback: (value: string, name: string) => void): void };
  body: {
    getReader(): {
      read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>;
      cancel(reason?: unknown): Promise<void>;
    };
  } | null;
}

/**
 * Any WHATWG `fetch`: the runtime's global one, undici's, or a wrapper around either. Typed by the
 * little the SDK uses, so that fetches typed by different libraries (DOM, undici, Bun, Deno) all fit.
 */
export type FetchFunction = (url: string, init: FetchInit) => Promise<FetchResponse>;

/**
 * Sends with a WHATWG `fetch`: the transport of edge runtimes (Workers, Deno, Bun, browsers), and on
 * Node the one that request interceptors such as msw see. Redirects are not followed, as with
 * undici, so a key in the query string never travels to another host. With several servers,
 * requests take turns (round robin); fetch offers no pool to balance on load.
 *
 * The `fetch` is not trusted to honour its `init`: a wrapper may drop `signal` or `redirect`. Every
 * attempt is raced against its own limits, so that a time limit or an abort ends it whatever `fetch`
 * does, and an answer that was redirected, or is itself a redirect, is a failed attempt.
 */
export class FetchTransport implements Transport {
  readonly #fetch: FetchFunction;
  readonly #origins: readonly string[];
  #turn = 0;

  constructor(fetch: FetchFunction, origins: readonly string[] = []) {
    this.#fetch = fetch;
    this.#origins = origins;
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    const origins = this.#origins;
    const origin = origins.length > 1 ? origins[this.#turn++ % origins.length]! : request.origin;
    const caller = request.signal;
    if (caller?.aborted) throw caller.reason;
    const limits = new AttemptLimits(caller, request.timeoutMs);
    let pending: Promise<FetchResponse> | undefined;
    let response: FetchResponse | undefined;
    let reader: BodyReader | undefined;
    try {
      const init: FetchInit = { method: 'POST', headers: request.headers, body: request.body, signal: limits.signal, redirect: 'manual' };
      pending = this.#fetch(origin + request.path, init);
      response = await limits.race(pending);
      reader = response.body?.getReader();
      const headers = readHeaders(response.headers);
      checkNotRedirected(response, headers);
      if (Number(headers['content-length']) > request.maxResponseBytes) throw tooLarge(request.maxResponseBytes, response.status, headers);
      const body = reader ? await limits.race(readBody(reader, response.status, headers, request.maxResponseBytes)) : '';
      reader = undefined;
      return { status: response.status, headers, body };
    } catch (error) {
      if (limits.reason === undefined) throw error instanceof ClipResponseError ? error : toConnectionError(error, response === undefined);
      // A fetch that ignored the signal may still answer: that answer's body is released when it comes.
      if (response === undefined) pending?.then((late) => late.body?.getReader().cancel().catch(() => {}), () => {});
      throw limits.reason;
    } finally {
      // A body left unread (cut off, refused, timed out) is released, whether or not fetch saw the signal.
      reader?.cancel().catch(() => {});
      limits.release();
    }
  }

  /** fetch keeps no pool of the SDK's own to release. */
  async close(): Promise<void> {}
}

type BodyReader = ReturnType<NonNullable<FetchResponse['body']>['getReader']>;

const hasAbortSignalAny = typeof AbortSignal !== 'undefined' && typeof AbortSignal.any === 'function' && typeof AbortSignal.timeout === 'function';

/**
 * One attempt's time limit and the caller's signal, as one signal for `fetch` and one promise to race
 * against it. Where the runtime has `AbortSignal.any` no controller is made: the attempt's signal
 * joins the caller's with `AbortSignal.timeout`.
 */
class AttemptLimits {
  readonly signal: AbortSignal;
  /** Why the attempt was given up: the caller's reason, or `AttemptTimeout`; undefined while it runs. */
  reason: unknown;
  readonly #caller: AbortSignal | undefined;
  readonly #stopped: Promise<never>;
  #onStop: () => void = () => {};
  #controller: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(caller: AbortSignal | undefined, timeoutMs: number) {
    this.#caller = caller;
    if (hasAbortSignalAny && (caller === undefined || caller instanceof AbortSignal)) {
      // AbortSignal.timeout takes whole milliseconds; what is left of a deadline rarely is one.
      const timeout = AbortSignal.timeout(Math.ceil(timeoutMs));
      this.signal = caller ? AbortSignal.any([caller, timeout]) : timeout;
    } else {
      const controller = (this.#controller = new AbortController());
      this.signal = controller.signal;
      this.#timer = setTimeout(() => controller.abort(), timeoutMs);
      caller?.addEventListener('abort', this.#abort);
    }
    this.#stopped = new Promise<never>((_resolve, reject) => {
      this.#onStop = () => reject((this.reason = caller?.aborted ? caller.reason : new AttemptTimeout()));
    });
    this.#stopped.catch(() => {});
    this.signal.addEventListener('abort', this.#onStop, { once: true });
  }

  /** `promise`, unless the attempt is given up first; a late result of `fetch` is then left to itself. */
  race<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.#stopped]);
  }

  release(): void {
    this.signal.removeEventListener('abort', this.#onStop);
    if (this.#controller) {
      clearTimeout(this.#timer);
      this.#caller?.removeEventListener('abort', this.#abort);
    }
  }

  readonly #abort = () => this.#controller!.abort();
}

/**
 * A redirect is never followed. With `redirect: 'manual'` fetch hands it back: a 3xx status, which
 * the request pipeline fails like any status that is not a success, or in browsers an opaque answer
 * of status 0. A `fetch` that followed one anyway marks its answer `redirected`: it is refused too.
 */
function checkNotRedirected(response: FetchResponse, headers: ResponseHeaders): void {
  const { status } = response;
  if (response.redirected !== true && response.type !== 'opaqueredirect' && status !== 0) return;
  const what = response.redirected === true ? 'the fetch given in options followed a redirect' : 'the server answered with a redirect';
  throw new ClipResponseError(`${what}; redirects are never followed, so the key never goes to another location`, { status, headers });
}

function readHeaders(source: FetchResponse['headers']): ResponseHeaders {
  const headers: ResponseHeaders = {};
  source.forEach((value, name) => {
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  });
  return headers;
}

/** Reads the body chunk by chunk, so that an oversized one is cut off before it is all in memory. */
async function readBody(reader: BodyReader, status: number, headers: ResponseHeaders, limit: number): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value?.byteLength ?? 0;
    if (size > limit) throw tooLarge(limit, status, headers);
    text += decoder.decode(value, { stream: true });
  }
}
