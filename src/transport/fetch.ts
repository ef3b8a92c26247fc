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
 */
export class FetchTransport implements Transport {
  readonly #fetch: FetchFunction;
  readonly #origins: readonly string[];
  #turn = 0;

  constructor(fetch: FetchFunction, origins: readonly string[] = []) {
    this.#fetch = fetch;
    this.#origins = origins;
  }

  /**
   * fetch takes only a signal, so each request gets its own controller, fired by the attempt's timer
   * or the caller's signal; the undici transport does without. Once the request is over the
   * controller is fired anyway, which releases a body cut off by `maxResponseBytes`.
   */
  async send(request: TransportRequest): Promise<TransportResponse> {
    const origins = this.#origins;
    const origin = origins.length > 1 ? origins[this.#turn++ % origins.length]! : request.origin;
    const caller = request.signal;
    if (caller?.aborted) throw caller.reason;
    const controller = new AbortController();
    const signal = controller.signal;
    const timer = setTimeout(() => controller.abort(new AttemptTimeout()), request.timeoutMs);
    const onAbort = () => controller.abort(caller!.reason);
    caller?.addEventListener('abort', onAbort);
    let response: FetchResponse | undefined;
    try {
      response = await this.#fetch(origin + request.path, { method: 'POST', headers: request.headers, body: request.body, signal, redirect: 'manual' });
      const headers = readHeaders(response.headers);
      return { status: response.status, headers, body: await readBody(response, headers, request.maxResponseBytes) };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw error instanceof ClipResponseError ? error : toConnectionError(error, response === undefined);
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }

  /** fetch keeps no pool of the SDK's own to release. */
  async close(): Promise<void> {}
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
async function readBody(response: FetchResponse, headers: ResponseHeaders, limit: number): Promise<string> {
  if (Number(headers['content-length']) > limit) throw tooLarge(limit, response.status, headers);
  const reader = response.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value?.byteLength ?? 0;
    if (size > limit) throw tooLarge(limit, response.status, headers);
    text += decoder.decode(value, { stream: true });
  }
}
