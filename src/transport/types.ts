import type { ResponseHeaders } from '../errors/errors.js';

/** One HTTP POST, fully built: the transport only moves bytes. */
export interface TransportRequest {
  /** Scheme, host and port, e.g. `https://infer.roboflow.com`. */
  origin: string;
  /** Path and query string, e.g. `/clip/embed_text?api_key=...`. */
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The caller's own signal, passed through: when it fires the request is aborted. */
  signal?: AbortSignal;
  /** The attempt's limit (the timeout or what is left of the deadline), within `setTimeout`'s range. */
  timeoutMs: number;
  /** A longer response body is cut off with `ClipResponseError`. */
  maxResponseBytes: number;
}

export interface TransportResponse {
  status: number;
  headers: ResponseHeaders;
  body: string;
  /** The body as it came, where the transport holds it: an embedding answer can be read from it without decoding. */
  bytes?: Uint8Array | undefined;
}

/**
 * Sends requests. Implementations throw `ClipConnectionError` for network failures, with the error's
 * `code` and `beforeResponse` set when no response header had arrived (the retry policy's stale-socket
 * rule reads both), `ClipResponseError` for an oversized body, and `AttemptTimeout` once `timeoutMs`
 * has passed, aborting the request. When `signal` fires they abort the request and reject with
 * anything: the caller reports it as an abort.
 */
export interface Transport {
  send(request: TransportRequest): Promise<TransportResponse>;
  close(): Promise<void>;
}
