import { ClipConnectionError, ClipResponseError, type ResponseHeaders } from '../errors/errors.js';

/**
 * Error codes that mean the connection failed or broke, with what each says in a message; mapped by
 * code, never by class, as undici's classes vary across versions and fetch implementations throw
 * plain `TypeError`s (Node's fetch puts the socket's or undici's code under `cause`, Bun its own names).
 */
const CONNECTION_ERROR_MESSAGES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ConnectionRefused: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ConnectionClosed: 'connection closed by the server',
  EPIPE: 'connection closed while sending',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'socket closed before the response was complete',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'request body length mismatch',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'response body shorter than its Content-Length',
};

/**
 * undici's own response timers (a dispatcher's `headersTimeout` and `bodyTimeout`): a timeout like
 * `timeoutMs`, retried as one, never a broken connection.
 */
const UNDICI_TIMEOUT_MESSAGES: Record<string, string> = {
  UND_ERR_HEADERS_TIMEOUT: 'Response headers timed out',
  UND_ERR_BODY_TIMEOUT: 'Response body timed out',
};

/**
 * A transport's failure as `ClipConnectionError`, by code, or `AttemptTimeout` for undici's own timers. fetch wraps the socket's error in a
 * `TypeError` as its `cause`, so the cause is read first. `beforeResponse`: no response header had
 * arrived, which is what makes a reset a stale-socket retry.
 */
export function toConnectionError(error: unknown, beforeResponse: boolean): ClipConnectionError | AttemptTimeout {
  const cause = (error as { cause?: unknown } | null)?.cause;
  for (const candidate of [cause, error]) {
    const code = codeOf(candidate);
    if (code && Object.hasOwn(UNDICI_TIMEOUT_MESSAGES, code)) return new AttemptTimeout(`${UNDICI_TIMEOUT_MESSAGES[code]} (${code})`);
    if (code && Object.hasOwn(CONNECTION_ERROR_MESSAGES, code)) {
      return new ClipConnectionError(`${CONNECTION_ERROR_MESSAGES[code]} (${code})`, { cause: candidate, code, beforeResponse });
    }
  }
  const source = cause instanceof Error ? cause : error;
  return new ClipConnectionError(`request failed: ${String(source)}`, { cause: source, code: codeOf(source), beforeResponse });
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A response body above `maxResponseBytes`, cut off. */
export function tooLarge(limit: number, status: number, headers: ResponseHeaders): ClipResponseError {
  return new ClipResponseError(`response body exceeds maxResponseBytes (${limit} bytes)`, { status, headers });
}

/**
 * An attempt's `timeoutMs` passing, so that a timeout is told apart from the caller's abort. A
 * message is set when a timer other than the attempt's own fired (undici's), to say which.
 */
export class AttemptTimeout extends Error {}
