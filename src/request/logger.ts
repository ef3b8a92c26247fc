import { ClipAbortError, ClipApiError, ClipConnectionError, ClipResponseError, ClipTimeoutError } from '../errors/errors.js';

/**
 * Where the client reports what it does; `console` fits, and so does an object with only some of
 * the methods (the levels it lacks are not logged). Lines carry the call's id, the method, the route
 * (never the path with its query string, which may hold the key), the status or error code, the
 * attempt number and the duration.
 */
export interface ClipLogger {
  debug?(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
  error?(message: string): void;
}

/** The least severe level logged; `'off'` logs nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'off';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'off'];

/** A logger with every method, as the pipeline calls it: already filtered by level and unable to throw. */
export type Logger = Required<ClipLogger>;

/**
 * The logger the client calls, made once from its options: the levels below `level` and the ones
 * the given logger lacks are dropped, and a logger that throws is ignored, so that logging never
 * changes a call's outcome. Undefined when nothing would be logged, so that no line is formatted.
 */
export function resolveLogger(logger: ClipLogger | undefined, level: LogLevel): Logger | undefined {
  if (logger === undefined || level === 'off') return undefined;
  const from = LOG_LEVELS.indexOf(level);
  const method = (name: Exclude<LogLevel, 'off'>) => (message: string) => {
    if (LOG_LEVELS.indexOf(name) < from) return;
    try {
      if (typeof logger[name] === 'function') logger[name](message);
    } catch {
      // A failing logger must not turn a call's result into a failure, nor a failure into another.
    }
  };
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
}

let calls = 0;

/** A short id shared by the log lines of one call's attempts: `c1`, `c2`, ... in this process. */
export function nextCallId(): string {
  return `c${(++calls).toString(36)}`;
}

/**
 * One attempt as a log line, e.g. `roboflow-clip: [c1] POST /clip/embed_text HTTP 503, attempt 1, 12 ms, retrying in 250 ms`.
 * `outcome` comes from `outcomeLabel` or a status: never text taken from a request or a response.
 */
export function attemptLine(callId: string, route: string, outcome: string, attempt: number, durationMs: number, retryInMs?: number): string {
  const retry = retryInMs === undefined ? '' : `, retrying in ${Math.round(retryInMs)} ms`;
  return `roboflow-clip: [${callId}] POST ${route} ${outcome}, attempt ${attempt}, ${Math.round(durationMs)} ms${retry}`;
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
