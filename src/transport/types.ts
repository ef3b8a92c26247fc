import type { ResponseHeaders } from '../errors.js';

/** One HTTP POST, fully built: the transport only moves bytes. */
export interface TransportRequest {
  /** Scheme, host and port, e.g. `https://infer.roboflow.com`. */
  origin: string;
  /** Path and query string, e.g. `/clip/embed_text?api_key=...`. */
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Fires on the caller's abort, the attempt's timeout or the call's deadline. */
  signal: AbortSignal;
  /** A longer response body is cut off with `ClipResponseError`. */
  maxResponseBytes: number;
}

export interface TransportResponse {
  status: number;
  headers: ResponseHeaders;
  body: string;
}

/**
 * Sends requests. Implementations throw `ClipConnectionError` for network failures, with the error's
 * `code` and `beforeResponse` set when no response header had arrived (the retry policy's stale-socket
 * rule reads both), and `ClipResponseError` for an oversized body; any error after `signal` fired is
 * reported by the caller as a timeout or an abort.
 */
export interface Transport {
  send(request: TransportRequest): Promise<TransportResponse>;
  close(): Promise<void>;
}
