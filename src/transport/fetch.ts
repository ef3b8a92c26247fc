import { ClipConnectionError, ClipResponseError, type ResponseHeaders } from '../errors.js';
import { AttemptTimeout, CONNECTION_ERROR_MESSAGES, knownCode, tooLarge } from './failures.js';
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
      read(): Promise<{ done: boolean; value?: Uint8Array }>;
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
   * or the caller's signal; the undici transport does without.
   */
  async send(request: TransportRequest): Promise<TransportResponse> {
    const origin = this.#origins.length > 1 ? this.#origins[this.#turn++ % this.#origins.length]! : request.origin;
    const caller = request.signal;
    if (caller?.aborted) throw caller.reason;
    const controller = new AbortController();
    const signal = controller.signal;
    const timer = setTimeout(() => controller.abort(new AttemptTimeout()), request.timeoutMs);
    const onAbort = () => controller.abort(caller?.reason);
    caller?.addEventListener('abort', onAbort, { once: true });
    try {
      let response: FetchResponse;
      try {
        response = await this.#fetch(origin + request.path, { method: 'POST', headers: request.headers, body: request.body, signal, redirect: 'manual' });
      } catch (error) {
        throw signal.aborted ? error : toConnectionError(error, true);
      }
      const headers = readHeaders(response.headers);
      const body = await readBody(response, headers, request.maxResponseBytes, signal);
      return { status: response.status, headers, body };
    } catch (error) {
      throw signal.aborted ? signal.reason : error;
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
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
async function readBody(response: FetchResponse, headers: ResponseHeaders, limit: number, signal: AbortSignal): Promise<string> {
  const reader = response.body?.getReader();
  if (Number(headers['content-length']) > limit) {
    reader?.cancel().catch(ignore);
    throw tooLarge(limit, response.status, headers);
  }
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!value) continue;
      size += value.byteLength;
      if (size > limit) {
        reader.cancel().catch(ignore);
        throw tooLarge(limit, response.status, headers);
      }
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    if (error instanceof ClipResponseError || signal.aborted) throw error;
    throw toConnectionError(error, false);
  }
  return text + decoder.decode();
}

/** Maps by code, never by class: fetch implementations throw plain `TypeError`s with differing causes. */
/** `beforeResponse`: no response header had arrived, which is what makes a reset a stale-socket retry. */
function toConnectionError(error: unknown, beforeResponse: boolean): ClipConnectionError {
  const cause = (error as { cause?: unknown } | null)?.cause;
  for (const candidate of [cause, error]) {
    const code = knownCode(candidate);
    if (code) return new ClipConnectionError(`${CONNECTION_ERROR_MESSAGES[code]} (${code})`, { cause: candidate, code, beforeResponse });
  }
  const detail = messageOf(cause) ?? messageOf(error) ?? String(error);
  return new ClipConnectionError(`request failed: ${detail}`, { cause: cause instanceof Error ? cause : error, beforeResponse });
}

function messageOf(error: unknown): string | undefined {
  return error instanceof Error && error.message ? error.message : undefined;
}

function ignore(): void {}
