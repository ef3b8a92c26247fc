import { ClipAbortError, ClipBatchError, ClipValidationError, type ValidationIssue } from '../errors/errors.js';
import { signalProblem } from '../request/guards.js';
import { isNameMap } from '../wire/schemas.js';
import { streamBatches } from './stream.js';

/** Inputs of a batch job: a list, any iterable, or an async iterable (read as the job goes, never all at once). */
export type BatchInputs<T> = Iterable<T> | AsyncIterable<T>;

export interface BatchProgress {
  /** Inputs whose requests have settled: their results arrived, or (with `onError: 'skip'`) they failed. */
  done: number;
  /** All inputs; `undefined` while an iterable that is not a list has not ended. */
  total: number | undefined;
}

export interface BatchOptions {
  /** Inputs per request. Default: 8 for images and compare prompts (at most 8), 32 for texts. */
  batchSize?: number | undefined;
  /**
   * Requests in flight at once. A request counts until its answer has arrived: the next one goes out
   * while that answer is parsed. Default: 4.
   */
  concurrency?: number | undefined;
  /** Called each time a request's results arrive. An error thrown here stops the job and is rethrown. Default: none. */
  onProgress?: ((progress: BatchProgress) => void) | undefined;
  /** Stops the job: requests in flight are aborted and the job rejects with `ClipAbortError`. Default: none. */
  signal?: AbortSignal | undefined;
  /** Time limit of each attempt of each request, in milliseconds. Default: the client's `timeoutMs`. */
  timeoutMs?: number | undefined;
  /** Retries of each request. Default: the client's `maxRetries`. */
  maxRetries?: number | undefined;
  /** Body fields sent unchecked with each request, as the call option `extraBody`. Default: none. */
  extraBody?: Record<string, unknown> | undefined;
  /**
   * What a request that failed (after its retries) does to the job. `'stop'`: the job stops and
   * rejects with `ClipBatchError`, which carries every result that completed. `'skip'`: the job goes
   * on; the failed inputs are listed (`failed` of a list result, `{ index, error }` items of a
   * stream). Default: `'stop'`.
   */
  onError?: 'stop' | 'skip' | undefined;
}

export interface BatchLimits {
  defaultBatchSize: number;
  maxBatchSize: number;
}

export interface ResolvedBatchOptions {
  batchSize: number;
  concurrency: number;
  onProgress: ((progress: BatchProgress) => void) | undefined;
  signal: AbortSignal | undefined;
  onError: 'stop' | 'skip';
  /** When skipping, whether a failed request of several inputs is worth sending again one input at a time. */
  retryAlone?: ((error: unknown) => boolean) | undefined;
}

export const DEFAULT_CONCURRENCY = 4;
/** Texts per `embed_text` request of a batch job: the server sets no limit; this keeps each body and answer modest. */
export const DEFAULT_TEXT_BATCH_SIZE = 32;

/** Checks the job's options before anything is read or sent. */
export function resolveBatchOptions(options: BatchOptions, limits: BatchLimits): ResolvedBatchOptions {
  const { batchSize = limits.defaultBatchSize, concurrency = DEFAULT_CONCURRENCY, onProgress, signal, onError = 'stop' } = options;
  const issues: ValidationIssue[] = [];
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > limits.maxBatchSize) {
    const range = Number.isFinite(limits.maxBatchSize) ? `between 1 and ${limits.maxBatchSize}` : 'at least 1';
    issues.push({ path: ['batchSize'], message: `must be a whole number ${range}, got ${String(batchSize)}` });
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    issues.push({ path: ['concurrency'], message: `must be a whole number of at least 1, got ${String(concurrency)}` });
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') issues.push({ path: ['onProgress'], message: 'must be a function' });
  if (onError !== 'stop' && onError !== 'skip') issues.push({ path: ['onError'], message: `must be "stop" or "skip", got ${String(onError)}` });
  const badSignal = signalProblem(signal);
  if (badSignal) issues.push({ path: ['signal'], message: badSignal });
  if (issues.length > 0) throw new ClipValidationError(issues, 'Invalid batch options');
  return { batchSize, concurrency, onProgress, signal, onError };
}

/** Refuses what iterates but is not a list of inputs: a string (its characters) or bytes (their numbers). */
export function checkBatchInputs(inputs: unknown, what: string): void {
  const iterable =
    inputs !== null &&
    typeof inputs === 'object' &&
    (typeof (inputs as Iterable<unknown>)[Symbol.iterator] === 'function' ||
      typeof (inputs as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function');
  if (!iterable || ArrayBuffer.isView(inputs)) {
    throw new ClipValidationError([{ path: [], message: `expected a list or an (async) iterable of ${what}` }]);
  }
}

/** An input whose request failed, kept by a job that goes on (`onError: 'skip'`) or named by the `ClipBatchError` of one that stopped. */
export interface BatchFailure {
  /** The input's position in the job's inputs. */
  index: number;
  /** The error its request ended in, after retries. */
  error: unknown;
}

/** What a batch job's list result carries besides its values (non-enumerable, like a call's `meta`). */
export interface BatchMeta {
  /** Requests sent, retries not counted (each request's own `meta` counts its attempts). */
  requests: number;
  /** Wall time of the job in milliseconds. */
  elapsedMs: number;
}

/** A finished job's results in input order, with `meta`; with `onError: 'skip'`, failed inputs are holes, listed in `failed`. */
export type BatchResults<R> = R[] & { readonly meta: BatchMeta; readonly failed: readonly BatchFailure[] };

/**
 * Runs a job through `streamBatches` and collects every result in input order. A `ClipBatchError`
 * it ends in carries every result that completed, so that a rerun can send only the rest.
 */
export async function runBatches<T, R>(
  inputs: BatchInputs<T>,
  options: ResolvedBatchOptions,
  send: (items: T[], signal: AbortSignal, released: () => void) => Promise<readonly R[]>,
): Promise<BatchResults<R>> {
  const results: R[] = [];
  const keep = (value: unknown, index: number) => (results[index] = value as R);
  const { meta, failed, count } = await collectBatches(inputs, options, send, keep, (kept) => {
    kept.forEach(keep);
    return results;
  });
  results.length = count;
  Object.defineProperty(results, 'meta', { value: meta, enumerable: false });
  Object.defineProperty(results, 'failed', { value: failed, enumerable: false });
  return results as BatchResults<R>;
}

/**
 * The loop of a list job: runs it through `streamBatches`, hands each result to `keep`, and resolves
 * to the job's `meta`, its failures and its input count. A `ClipBatchError` the job ends in is
 * thrown again with the `results` that `kept` makes of those it carried and the `count` taken.
 */
export async function collectBatches<T, R>(
  inputs: BatchInputs<T>,
  options: ResolvedBatchOptions,
  send: (items: T[], signal: AbortSignal, released: () => void, start: number) => Promise<readonly R[]>,
  keep: (value: R, index: number) => void,
  kept: (results: readonly (R | undefined)[], count: number) => readonly unknown[],
): Promise<{ meta: BatchMeta; failed: BatchFailure[]; count: number }> {
  const started = performance.now();
  let requests = 0;
  const counted = (items: T[], signal: AbortSignal, released: () => void, start: number) => {
    requests++;
    return send(items, signal, released, start);
  };
  const failed: BatchFailure[] = [];
  let count = 0;
  try {
    for await (const outcome of streamBatches(inputs, options, counted)) {
      count++;
      if ('error' in outcome) failed.push({ index: outcome.index, error: outcome.error });
      else keep(outcome.value as R, outcome.index);
    }
  } catch (error) {
    if (!(error instanceof ClipBatchError)) throw error;
    throw new ClipBatchError({ start: error.start, end: error.end, completed: error.completed, cause: error.cause, results: kept(error.results as (R | undefined)[], count) });
  }
  return { meta: { requests, elapsedMs: performance.now() - started }, failed, count };
}

type Similarity = number[] | Record<string, number>;

/** The request with only its first `count` prompts (of a list or a name map). */
export function firstPrompts(request: Record<string, unknown>, count: number): Record<string, unknown> {
  const { prompt } = request;
  if (Array.isArray(prompt)) return { ...request, prompt: prompt.slice(0, count) };
  if (isNameMap(prompt)) return { ...request, prompt: Object.fromEntries(Object.entries(prompt).slice(0, count)) };
  return request;
}

/**
 * A compare request with any number of prompts, as requests of `batchSize` prompts whose
 * similarities are merged back in prompt order; a name map keeps its key order. A request whose
 * prompt is neither a list nor a name map goes out as it is.
 */
export async function compareInBatches(
  request: Record<string, unknown>,
  job: ResolvedBatchOptions,
  compare: (request: Record<string, unknown>, signal: AbortSignal | undefined, released?: () => void) => Promise<Similarity>,
): Promise<{ similarity: Similarity }> {
  const { prompt } = request;
  if (Array.isArray(prompt)) {
    const similarity = await runBatches(prompt as unknown[], job, async (part, signal, released) => (await compare({ ...request, prompt: part }, signal, released)) as number[]);
    return { similarity };
  }
  if (!isNameMap(prompt)) return { similarity: await compare(request, job.signal) };
  const names = Object.keys(prompt);
  const values = await runBatches(names, job, async (part, signal, released) => {
    const similarity = (await compare({ ...request, prompt: Object.fromEntries(part.map((name) => [name, prompt[name]])) }, signal, released)) as Record<string, number>;
    return part.map((name) => similarity[name]!);
  });
  return { similarity: Object.fromEntries(names.map((name, i) => [name, values[i]!])) };
}

/** Options of `compareMany`: those of any job but `onError`, as a compare job always stops at its first failure. */
export type CompareManyOptions = Omit<BatchOptions, 'onError'>;
