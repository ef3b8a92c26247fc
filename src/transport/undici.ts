import { Agent, type Dispatcher } from 'undici';
import { ClipConnectionError, ClipResponseError, type ResponseHeaders } from '../errors.js';
import type { Transport, TransportRequest, TransportResponse } from './types.js';

/** undici error codes that mean the connection failed or broke; mapped by code, as undici's classes vary across versions. */
const CONNECTION_ERROR_MESSAGES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed while sending',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'socket closed before the response was complete',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'response headers timed out',
  UND_ERR_BODY_TIMEOUT: 'response body timed out',
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: 'request body length mismatch',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'response body shorter than its Content-Length',
};

/** The default transport on Node: undici's dispatcher API on a keep-alive pool. */
export class UndiciTransport implements Transport {
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;

  constructor(dispatcher?: Dispatcher) {
    this.#ownsDispatcher = dispatcher === undefined;
    this.#dispatcher = dispatcher ?? new Agent({ keepAliveTimeout: 4_000 });
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    let response: Dispatcher.ResponseData;
    try {
      response = await this.#dispatcher.request({
        origin: request.origin,
        path: request.path,
        method: 'POST',
        headers: request.headers,
        body: request.body,
        signal: request.signal,
      });
    } catch (error) {
      throw toConnectionError(error, true);
    }
    const headers = flattenHeaders(response.headers);
    const body = await readBody(response.body, headers, request.maxResponseBytes, response.statusCode);
    return { status: response.statusCode, headers, body };
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }
}

async function readBody(
  body: Dispatcher.ResponseData['body'],
  headers: ResponseHeaders,
  limit: number,
  status: number,
): Promise<string> {
  const declared = Number(headers['content-length']);
  if (declared > limit) {
    body.destroy();
    throw tooLarge(limit, status, headers);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        body.destroy();
        throw tooLarge(limit, status, headers);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof ClipResponseError) throw error;
    throw toConnectionError(error, false);
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
}

function tooLarge(limit: number, status: number, headers: ResponseHeaders): ClipResponseError {
  return new ClipResponseError(`response body exceeds maxResponseBytes (${limit} bytes)`, { status, headers });
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): ResponseHeaders {
  const headers: ResponseHeaders = {};
  for (const name in raw) {
    const value = raw[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function toConnectionError(error: unknown, beforeResponse: boolean): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !(code in CONNECTION_ERROR_MESSAGES)) {
    if (code === 'UND_ERR_ABORTED' || (error as Error | null)?.name === 'AbortError') return error;
    const message = `request failed: ${(error as Error | null)?.message ?? String(error)}`;
    return new ClipConnectionError(message, { cause: error, code: typeof code === 'string' ? code : undefined, beforeResponse });
  }
  return new ClipConnectionError(`${CONNECTION_ERROR_MESSAGES[code]} (${code})`, { cause: error, code, beforeResponse });
}
