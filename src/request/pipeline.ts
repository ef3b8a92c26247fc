/**
 * The one path every call takes, top to bottom: serialise the payload, guard its size, send each
 * attempt through the transport, classify the outcome, decide on a retry, check a 2xx body, and
 * redact the key from everything a failure carries.
 */
import {
  apiError,
  ClipAbortError,
  ClipConnectionError,
  ClipError,
  ClipRequestError,
  ClipResponseError,
  ClipTimeoutError,
  ClipValidationError,
} from '../errors/errors.js';
import { nextTurn } from '../platform/next-turn.js';
import { AttemptTimeout } from '../transport/failures.js';
import type { Transport, TransportRequest, TransportResponse } from '../transport/types.js';
import { parseEmbeddingAnswer, SHORT_ANSWER_BYTES } from '../wire/embedding-answer.js';
import { withMeta, type ResponseMeta } from '../wire/responses.js';
import { wireJson } from '../wire/wire-json.js';
import { checkRequestSize, MAX_TIMER_MS } from './guards.js';
import { attemptLine, nextCallId, outcomeLabel, type Logger } from './logger.js';
import { Redactor } from './redact.js';
import { retryWait, STALE_SOCKET_CODES, type AttemptFailure, type RetryPolicy } from './retry.js';

export { MAX_TIMER_MS } from './guards.js';

/** What one call may set for itself, already checked. */
export interface CallLimits {
  /** When the call began, if before `send` (its Blob inputs read first): the deadline counts from it. */
  startedAt?: number | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  deadlineMs: number;
  maxRetries: number;
  /** The request's headers when the call adds its own; else `requestBase.headers`. */
  headers?: Record<string, string> | undefined;
  /**
   * Called once the call's final answer (a 2xx, which is never retried) has arrived, before it is
   * parsed; the parse then waits a turn of the event loop. A batch job starts its next request here,
   * so that it goes out while this answer is parsed.
   */
  onAnswer?: (() => void) | undefined;
  /** The caller keeps vectors as float32: a 2xx embedding answer read from its bytes gives Float32Arrays. */
  float32?: boolean | undefined;
}

/** What every request of a client shares, resolved once from its options. */
export interface SenderConfig {
  transport: Transport;
  /** Server origin, headers and response size limit of every request. */
  requestBase: Pick<TransportRequest, 'origin' | 'headers' | 'maxResponseBytes'>;
  /** A route's path on the server, with the key's query string on the query channel. */
  path: (route: string) => string;
  /** The key as given and URL-encoded: the forms a server may echo, removed from everything the caller sees. */
  secrets: readonly string[];
  retryPolicy: RetryPolicy;
  maxRequestBytes: number;
  logger: Logger | undefined;
}

/** A 2xx body's check: undefined when it has the promised shape, else what is wrong with it. */
export type ResponseCheck = (body: unknown) => string | undefined;

export class RequestSender {
  readonly #config: SenderConfig;
  readonly #redactor: Redactor;

  constructor(config: SenderConfig) {
    this.#config = config;
    this.#redactor = new Redactor(config.secrets);
  }

  /**
   * Sends `body` (the wire JSON) to `route` with retries; resolves to the checked result with its `meta`.
   * `serverErrorHint` is added to the message of a 500 answer.
   */
  async send<T extends object>(
    route: string,
    payload: object,
    check: ResponseCheck,
    limits: CallLimits,
    serverErrorHint?: string,
  ): Promise<T & { readonly meta: ResponseMeta }> {
    const started = limits.startedAt ?? performance.now();
    const { signal, maxRetries, timeoutMs, deadlineMs } = limits;
    const { transport, requestBase, retryPolicy, logger } = this.#config;
    if (signal?.aborted) throw new ClipAbortError('Request was aborted before it was sent', { cause: signal.reason });
    const body = serialise(payload);
    checkRequestSize(body, this.#config.maxRequestBytes);
    const deadline = started + deadlineMs;
    const path = this.#config.path(route);
    const callId = logger ? nextCallId() : '';

    // Each turn is one attempt: it returns the result, throws the call's final error, or waits to retry.
    for (let attempt = 1; ; attempt++) {
      const attemptStarted = attempt === 1 ? started : performance.now();
      const remaining = deadline - attemptStarted;
      const deadlineFirst = remaining < timeoutMs;
      let response: TransportResponse | ClipError;
      try {
        const attemptMs = Math.min(deadlineFirst ? remaining : timeoutMs, MAX_TIMER_MS);
        // Spelt out: a spread with a key overridden takes V8's slow path, which cost ~4 us a request.
        const { origin, maxResponseBytes } = requestBase;
        const headers = limits.headers ?? requestBase.headers;
        response = await transport.send({ origin, path, headers, body, signal, timeoutMs: attemptMs, maxResponseBytes });
      } catch (caught) {
        const timeout = deadlineFirst ? `Call reached its deadline of ${deadlineMs} ms` : `Request timed out after ${timeoutMs} ms`;
        response = this.#attemptFailure(caught, signal, attempt, timeout);
      }

      let error: ClipError;
      let failure: AttemptFailure = FINAL;
      if (response instanceof ClipError) {
        error = response;
        failure = classifyFailure(error, deadlineFirst);
      } else if (response.status >= 200 && response.status < 300) {
        if (limits.onAnswer) {
          limits.onAnswer();
          await nextTurn();
        }
        const result = this.#parseResult(response, check, attempt, limits.float32);
        if (!(result instanceof ClipResponseError)) {
          logger?.debug(attemptLine(callId, route, `HTTP ${response.status}`, attempt, performance.now() - attemptStarted));
          return withMeta(result as T, { status: response.status, headers: response.headers, elapsedMs: performance.now() - started });
        }
        error = result;
      } else {
        const hint = response.status === 500 ? serverErrorHint : undefined;
        error = apiError({ ...this.#failedResponse(response, attempt), body: this.#redactor.value(parseJsonOr(response.body)), route, hint });
        failure = { kind: 'status', status: response.status, headers: response.headers };
      }

      const wait = retryWait(retryPolicy, failure, attempt, maxRetries);
      const now = performance.now();
      const retrying = wait !== undefined && now + wait < deadline;
      const level = retrying ? 'info' : error instanceof ClipAbortError ? 'debug' : 'warn';
      logger?.[level](attemptLine(callId, route, outcomeLabel(error), attempt, now - attemptStarted, retrying ? wait : undefined));
      if (wait === undefined) throw error;
      if (!retrying) {
        const message = `Next retry would pass the call's deadline of ${deadlineMs} ms; last failure: ${outcomeLabel(error)}`;
        throw new ClipTimeoutError(message, { cause: error, attempts: attempt });
      }
      if (wait > 0) await sleep(wait, signal);
    }
  }

  /** An attempt that got no usable response, as the caller will see it: typed, with the key redacted. */
  #attemptFailure(error: unknown, signal: AbortSignal | undefined, attempts: number, timeoutMessage: string): ClipError {
    if (error instanceof AttemptTimeout) return new ClipTimeoutError(error.message || timeoutMessage, { attempts });
    // Once the caller's signal fires, a transport rejects with anything.
    if (signal?.aborted) return new ClipAbortError(undefined, { cause: signal.reason });
    // A transport that refuses to send at all (a closed client's) says why itself; that is final.
    if (error instanceof ClipError && !(error instanceof ClipRequestError)) return error;
    const redactor = this.#redactor;
    if (error instanceof ClipResponseError) {
      return new ClipResponseError(redactor.text(error.message), { status: error.status, headers: redactor.value(error.headers), attempts });
    }
    if (!(error instanceof ClipConnectionError)) {
      return new ClipConnectionError(redactor.text(`Connection failed: ${describe(error)}`), { cause: redactor.error(error), attempts });
    }
    const { code, beforeResponse } = error;
    return new ClipConnectionError(redactor.text(error.message), { cause: redactor.error(error.cause), attempts, code, beforeResponse });
  }

  /** The checked result, or the ClipResponseError that says why the 2xx body is unusable. */
  #parseResult(response: TransportResponse, check: ResponseCheck, attempts: number, float32: boolean | undefined): object | ClipResponseError {
    // An embedding answer is read from its bytes where the transport gives them; any other body, and any doubt, goes to JSON.parse.
    const { bytes } = response;
    let body: unknown = bytes && bytes.length >= SHORT_ANSWER_BYTES ? parseEmbeddingAnswer(bytes, float32 === true) : undefined;
    try {
      body ??= JSON.parse(response.body);
    } catch {
      // The parser's own message quotes a slice of the body, which may cut a key in two: it is not kept.
      const text = this.#redactor.text(response.body);
      return new ClipResponseError(`Response is not JSON (status ${response.status}): ${preview(text)}`, {
        ...this.#failedResponse(response, attempts),
        body: text,
      });
    }
    const problem = check(body);
    if (problem === undefined) return body as object;
    const message = this.#redactor.text(`Unexpected response: ${problem}`);
    return new ClipResponseError(message, { ...this.#failedResponse(response, attempts), body: this.#redactor.value(body) });
  }

  /** What the error of a failed response carries besides its body. */
  #failedResponse(response: TransportResponse, attempts: number) {
    return { status: response.status, headers: this.#redactor.value(response.headers), attempts };
  }
}

const FINAL: AttemptFailure = { kind: 'final' };

/** A failed attempt as the retry policy sees it; a timeout set by the deadline ends the call. */
function classifyFailure(error: ClipError, deadlineFirst: boolean): AttemptFailure {
  if (error instanceof ClipConnectionError) {
    return { kind: 'connection', staleSocket: error.beforeResponse && STALE_SOCKET_CODES.has(error.code ?? '') };
  }
  return error instanceof ClipTimeoutError && !deadlineFirst ? { kind: 'timeout' } : FINAL;
}

/** The wire JSON; a body longer than the engine's longest string (several huge images) is refused as too large. */
function serialise(payload: object): string {
  try {
    return wireJson(payload as Record<string, unknown>);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ClipValidationError([{ path: [], message: 'the encoded body is longer than the longest string this runtime builds' }], 'Request too large');
  }
}

/** A thrown value in a message: an error's name and message only, whatever its `toString` does. */
function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error === 'object' && error !== null ? Object.prototype.toString.call(error) : String(error);
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function preview(text: string): string {
  if (text.length === 0) return '(empty body)';
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** The listener is in place before the timer is armed, so that no timer outlives a failed setup. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ClipAbortError('Request was aborted while waiting to retry', { cause: signal!.reason }));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.min(ms, MAX_TIMER_MS));
  });
}
