import { ClipAbortError, ClipApiError, ClipConnectionError, ClipResponseError, ClipTimeoutError } from '../errors/errors.js';

/**
 * Where the client reports what it does; `console` fits. Lines carry the method, the route (never the
 * path with its query string, which may hold the key), the status or error code, the attempt number
 * and the duration.
 */
export interface ClipLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * One attempt as a log line, e.g. `roboflow-clip: POST /clip/embed_text HTTP 503, attempt 1, 12 ms, retrying in 250 ms`.
 * `outcome` comes from `outcomeLabel` or a status: never text taken from a request or a response.
 */
export function attemptLine(route: string, outcome: string, attempt: number, durationMs: number, retryInMs?: number): string {
  const retry = retryInMs === undefined ? '' : `, retrying in ${Math.round(retryInMs)} ms`;
  return `roboflow-clip: POST ${route} ${outcome}, attempt ${attempt}, ${Math.round(durationMs)} ms${retry}`;
}

/** A failure in a few words built only from its class, status and error code: safe to log and to quote. */
export function outcomeLabel(error: Error): string {
  if (error instanceof ClipApiError) return `HTTP ${error.status}`;
  if (error instanceof ClipConnectionError) return error.code && /^[A-Z0-9_]+$/.test(error.code) ? error.code : 'connection error';
  if (error instanceof ClipTimeoutError) return 'timeout';
  if (error instanceof ClipAbortError) return 'aborted';
  if (error instanceof ClipResponseError) return error.status === undefined ? 'invalid response' : `HTTP ${error.status} invalid response`;
  return 'error';
}
