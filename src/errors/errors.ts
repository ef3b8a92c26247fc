/** One problem found in a request payload: where it is and what is wrong with it. */
export interface ValidationIssue {
  /** Path into the payload, e.g. `['image', 2, 'value']`. */
  path: (string | number)[];
  message: string;
}

import { ERROR_BRAND, isBrandedInstance } from './brand.js';

/** Response headers as a plain object with lower-case names. */
export type ResponseHeaders = Record<string, string>;

/**
 * Base class of every error the SDK produces. `instanceof` holds across copies of the package in
 * one process (its CommonJS and ES module builds, say): see `errors/brand.ts`.
 */
export class ClipError extends Error {
  /** The class's name across copies of the package, kept when a bundler renames the class. */
  protected static readonly brand: string = 'ClipError';
  override name = 'ClipError';

  /** Marks the errors of every copy of the package. */
  get [ERROR_BRAND](): true {
    return true;
  }

  static override [Symbol.hasInstance]<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    return isBrandedInstance(this, value);
  }
}

/** Issues listed in a validation message, so that it fits on one screen; `issues` keeps them all. */
const MAX_ISSUES_IN_MESSAGE = 10;

/** The payload was refused before anything was sent. */
export class ClipValidationError extends ClipError {
  protected static override readonly brand: string = 'ClipValidationError';
  override name = 'ClipValidationError';
  readonly issues: ValidationIssue[];

  constructor(issues: ValidationIssue[], context = 'Invalid request') {
    const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((i) => `\n  - ${formatPath(i.path)}: ${i.message}`);
    const hidden = issues.length - MAX_ISSUES_IN_MESSAGE;
    super(`${context}:${shown.join('')}${hidden > 0 ? `\n  ... and ${hidden} more (see .issues)` : ''}`);
    this.issues = issues;
  }
}

/** A refused option: one issue at `path` (an option's name, or a path into it). */
export function invalidOption(path: string | (string | number)[], message: string, context = 'Invalid client options'): ClipValidationError {
  return new ClipValidationError([{ path: typeof path === 'string' ? [path] : path, message }], context);
}

/** What the errors of a sent request take: the attempts made, and the `cause` (read by `Error` itself). */
interface FailureOptions {
  cause?: unknown;
  attempts?: number;
}

/**
 * Base of the errors a sent request ends in (`ClipApiError`, `ClipResponseError`,
 * `ClipConnectionError`, `ClipTimeoutError`): how many attempts were made, said in the message when
 * more than one.
 */
export abstract class ClipRequestError extends ClipError {
  protected static override readonly brand: string = 'ClipRequestError';
  /** How many attempts were made before this failure was final. */
  readonly attempts: number;

  constructor(message: string, options: FailureOptions = {}) {
    const attempts = options.attempts ?? 1;
    super(attempts > 1 ? `${message} (after ${attempts} attempts)` : message, options);
    this.attempts = attempts;
  }
}

/** The server answered with an HTTP status of 400 or more; 401/403, 429 and 5xx have subclasses of their own. */
export class ClipApiError extends ClipRequestError {
  protected static override readonly brand: string = 'ClipApiError';
  override name = 'ClipApiError';
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** The parsed response body (the raw text when it is not JSON), with the API key redacted. */
  readonly body: unknown;
  /** The server's `help_url`, when it gave one. */
  readonly helpUrl: string | undefined;
  /** The server's `x-request-id` header, to quote when reporting a problem. */
  readonly requestId: string | undefined;

  /** `hint`: a likely cause the client knows of, added to the message in parentheses. */
  constructor(init: ClipApiErrorInit) {
    const { status, body } = init;
    const hint = init.hint ? ` (${init.hint})` : '';
    super(`HTTP ${status}${init.route ? ` from ${init.route}` : ''}: ${describeErrorBody(body) ?? 'no error message'}${hint}`, init);
    this.status = status;
    this.headers = init.headers;
    this.body = body;
    const helpUrl = (body as { help_url?: unknown } | null)?.help_url;
    this.helpUrl = typeof helpUrl === 'string' ? helpUrl : undefined;
    this.requestId = init.headers['x-request-id'];
  }
}

/** What a `ClipApiError` is made from: the response, and how many attempts were made. */
export interface ClipApiErrorInit {
  status: number;
  headers: ResponseHeaders;
  body: unknown;
  attempts?: number | undefined;
  route?: string | undefined;
  /** A likely cause the client knows of, added to the message in parentheses. */
  hint?: string | undefined;
}

/** 401 or 403: the key is missing, wrong, or lacks access to the model. */
export class ClipAuthenticationError extends ClipApiError {
  protected static override readonly brand: string = 'ClipAuthenticationError';
  override name = 'ClipAuthenticationError';
}

/** 429: too many requests; `headers['retry-after']` says when to try again, when the server sent it. */
export class ClipRateLimitError extends ClipApiError {
  protected static override readonly brand: string = 'ClipRateLimitError';
  override name = 'ClipRateLimitError';
}

/** 500 or above: the server failed (a model that does not load, an overloaded gateway). */
export class ClipServerError extends ClipApiError {
  protected static override readonly brand: string = 'ClipServerError';
  override name = 'ClipServerError';
}

/** The error of an HTTP error status, of the family's class. */
export function apiError(init: ClipApiErrorInit): ClipApiError {
  const { status } = init;
  if (status === 401 || status === 403) return new ClipAuthenticationError(init);
  if (status === 429) return new ClipRateLimitError(init);
  return status >= 500 ? new ClipServerError(init) : new ClipApiError(init);
}

/** A 2xx response did not have the shape the protocol promises (not JSON, wrong counts, bad numbers). */
export class ClipResponseError extends ClipRequestError {
  protected static override readonly brand: string = 'ClipResponseError';
  override name = 'ClipResponseError';
  readonly status: number | undefined;
  readonly headers: ResponseHeaders | undefined;
  readonly body: unknown;
  /** The server's `x-request-id` header, when a response arrived. */
  readonly requestId: string | undefined;

  constructor(message: string, init: FailureOptions & { status?: number; headers?: ResponseHeaders; body?: unknown } = {}) {
    super(message, init);
    this.status = init.status;
    this.headers = init.headers;
    this.body = init.body;
    this.requestId = init.headers?.['x-request-id'];
  }
}

/** The request could not reach the server or the connection broke before a full response arrived. */
export class ClipConnectionError extends ClipRequestError {
  protected static override readonly brand: string = 'ClipConnectionError';
  override name = 'ClipConnectionError';
  /** The system or undici error code, e.g. `ECONNRESET`, `ECONNREFUSED`, `UND_ERR_SOCKET`. */
  readonly code: string | undefined;
  /** Whether the connection failed before any response header arrived. */
  readonly beforeResponse: boolean;

  constructor(message: string, options: FailureOptions & { code?: string; beforeResponse?: boolean } = {}) {
    super(message, options);
    this.code = options.code;
    this.beforeResponse = options.beforeResponse ?? false;
  }
}

/** An attempt took longer than `timeoutMs`, or the whole call longer than `deadlineMs`. */
export class ClipTimeoutError extends ClipRequestError {
  protected static override readonly brand: string = 'ClipTimeoutError';
  override name = 'ClipTimeoutError';
}

/** The caller's `AbortSignal` fired. */
export class ClipAbortError extends ClipError {
  protected static override readonly brand: string = 'ClipAbortError';
  override name = 'ClipAbortError';

  constructor(message = 'Request was aborted', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A batch job stopped because one of its requests failed (after that request's retries); the
 * requests still running were cancelled. `cause` is the request's own error. `results` keeps every
 * result that completed, by input index, so that a rerun can send only the inputs it lacks.
 */
export class ClipBatchError<R = unknown> extends ClipError {
  protected static override readonly brand: string = 'ClipBatchError';
  override name = 'ClipBatchError';
  /** The failed request's own error. */
  declare readonly cause: ClipError;
  /** Index of the first input of the failed request. */
  readonly start: number;
  /** Index one past the last input of the failed request. */
  readonly end: number;
  /** How many inputs had their results when the job stopped. */
  readonly completed: number;
  /**
   * Every result that completed, at its input's index; a sparse array (inputs not done are holes).
   * A list helper's error holds all of them; a stream's, those it had not yielded yet. With
   * `embeddingFormat: 'matrix'`, they are the completed rows, as `Float32Array` views of the buffer
   * the matrix was being written in.
   */
  readonly results: readonly (R | undefined)[];
  /** The inputs of the failed request, each with the request's error. */
  readonly failed: readonly { index: number; error: unknown }[];

  constructor(init: { start: number; end: number; completed: number; cause: unknown; results?: readonly (R | undefined)[] }) {
    const { start, end, completed, cause } = init;
    const inputs = end - start === 1 ? `Input ${start}` : `Inputs ${start}-${end - 1}`;
    // A request ends in a ClipError; anything else (a Blob that cannot be read, say) is wrapped, so that `cause` always is one.
    const failure = cause instanceof ClipError ? cause : new ClipError(cause instanceof Error ? cause.message : String(cause), { cause });
    super(`${inputs} failed, the rest of the job was cancelled (${completed} done): ${failure.message}`, { cause: failure });
    this.start = start;
    this.end = end;
    this.completed = completed;
    this.results = init.results ?? [];
    this.failed = Array.from({ length: end - start }, (_, i) => ({ index: start + i, error: cause }));
  }
}

/** A payload path as code would write it: `image[2].value`. */
export function formatPath(path: (string | number)[]): string {
  if (path.length === 0) return '(payload)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The server's message, or FastAPI's 422 `detail` items made readable. */
function describeErrorBody(body: unknown): string | undefined {
  if (typeof body === 'string') return body.trim().slice(0, 300) || undefined;
  const { message, detail } = (body ?? {}) as { message?: unknown; detail?: unknown };
  if (typeof message === 'string') return message;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item) => {
        const { loc, msg } = (item ?? {}) as { loc?: unknown; msg?: unknown };
        const where = Array.isArray(loc) ? loc.filter((p) => p !== 'body').join('.') : '';
        return where ? `${where}: ${msg}` : String(msg);
      })
      .join('; ');
  }
  return undefined;
}

export type EmbeddingIndexErrorCode =
  | 'dimension_mismatch'
  | 'invalid_vector'
  | 'duplicate_id'
  | 'invalid_argument'
  | 'clip_version_mismatch'
  | 'invalid_file'
  | 'invalid_metadata'
  | 'database_error';

/**
 * Every error thrown by EmbeddingIndex and the vector stores (a ClipError like the rest of the SDK);
 * branch on `code`. A `database_error` carries the driver's error as `cause`.
 */
export class EmbeddingIndexError extends ClipError {
  protected static override readonly brand: string = 'EmbeddingIndexError';
  override name = 'EmbeddingIndexError';
  constructor(
    readonly code: EmbeddingIndexErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
