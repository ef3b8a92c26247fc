import { Agent, BalancedPool, type Dispatcher } from 'undici';
import { ClipResponseError, type ResponseHeaders } from '../errors/errors.js';
import { AttemptTimeout, toConnectionError, tooLarge } from './failures.js';
import type { Transport, TransportRequest, TransportResponse } from './types.js';

const POOL_OPTIONS = { keepAliveTimeout: 4_000 };

/**
 * The default transport on Node: undici's `dispatch()` on a keep-alive pool. The response is
 * collected by a small handler instead of `request()`'s body stream, which saves a Readable and an
 * AsyncResource per request. Several origins share a `BalancedPool` (round robin, weighted away from
 * failing servers); then the pool, not `TransportRequest.origin`, picks the server.
 */
export class UndiciTransport implements Transport {
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;

  constructor(dispatcher?: Dispatcher, origins: readonly string[] = []) {
    this.#ownsDispatcher = dispatcher === undefined;
    this.#dispatcher = dispatcher ?? (origins.length > 1 ? new BalancedPool([...origins], POOL_OPTIONS) : new Agent(POOL_OPTIONS));
  }

  send(request: TransportRequest): Promise<TransportResponse> {
    const signal = request.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      this.#dispatcher.dispatch(
        {
          origin: request.origin,
          path: request.path,
          method: 'POST',
          headers: request.headers,
          body: request.body,
          // undici's own 300 s defaults would cut a longer attempt; the handler's timer is the limit.
          headersTimeout: request.timeoutMs,
          bodyTimeout: request.timeoutMs,
        },
        new CollectingHandler(request, resolve, reject),
      );
    });
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }
}

/**
 * Collects one response into a string, enforcing `maxResponseBytes`, the attempt's `timeoutMs` and the
 * caller's signal. The handler owns the timer so that no AbortController is made per attempt.
 */
class CollectingHandler implements Dispatcher.DispatchHandler {
  readonly #limit: number;
  readonly #signal: AbortSignal | undefined;
  readonly #resolve: (response: TransportResponse) => void;
  readonly #reject: (error: unknown) => void;
  readonly #timer: ReturnType<typeof setTimeout>;
  #settled = false;
  #controller: Dispatcher.DispatchController | undefined;
  /** Why the request was given up before it settled by itself, for a controller that arrives later. */
  #reason: Error | undefined;
  #status = 0;
  #headers: ResponseHeaders = {};
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(request: TransportRequest, resolve: (response: TransportResponse) => void, reject: (error: unknown) => void) {
    this.#limit = request.maxResponseBytes;
    this.#signal = request.signal;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal?.addEventListener('abort', this.#onAbort);
    this.#timer = setTimeout(this.#onTimeout, request.timeoutMs);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#settled) controller.abort(this.#reason!);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return;
    this.#status = statusCode;
    this.#headers = flattenHeaders(headers);
    if (Number(this.#headers['content-length']) > this.#limit) controller.abort(this.#tooLarge());
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#size += chunk.length;
    if (this.#size > this.#limit) return controller.abort(this.#tooLarge());
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (!this.#settle()) return;
    const chunks = this.#chunks;
    this.#resolve(new BufferedResponse(this.#status, this.#headers, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#size)));
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#settle()) this.#reject(error instanceof ClipResponseError ? error : toConnectionError(error, this.#status === 0));
  }

  readonly #onAbort = () => this.#giveUp(this.#signal!.reason);

  readonly #onTimeout = () => this.#giveUp(new AttemptTimeout());

  #giveUp(reason: Error): void {
    if (!this.#settle()) return;
    this.#reason = reason;
    this.#reject(reason);
    this.#controller?.abort(reason);
  }

  /** Marks the request settled and stops its timer and listener; false when it already was. */
  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
    return true;
  }

  #tooLarge(): ClipResponseError {
    return tooLarge(this.#limit, this.#status, this.#headers);
  }
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): ResponseHeaders {
  const headers: ResponseHeaders = {};
  for (const name in raw) {
    const value = raw[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** A response whose text is decoded from its bytes when first read: an answer read from its bytes never is. */
class BufferedResponse implements TransportResponse {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly bytes: Buffer;
  #text: string | undefined;

  constructor(status: number, headers: ResponseHeaders, bytes: Buffer) {
    this.status = status;
    this.headers = headers;
    this.bytes = bytes;
  }

  get body(): string {
    return (this.#text ??= this.bytes.toString('utf8'));
  }
}
