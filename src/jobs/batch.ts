import { ClipAbortError, ClipBatchError, ClipValidationError, type ValidationIssue } from '../errors/errors.js';
import { signalProblem } from '../request/guards.js';
import { isNameMap } from '../wire/schemas.js';

/** Inputs of a batch job: a list, any iterable, or an async iterable (read as the job goes, never all at once). */
export type BatchInputs<T> = Iterable<T> | AsyncIterable<T>;

export interface BatchProgress {
  /** Inputs whose results have arrived. */
  done: number;
  /** All inputs; `undefined` while an iterable that is not a list has not ended. */
  total: number | undefined;
}

export interface BatchOptions {
  /** Inputs per request. Default: 8 for images and compare prompts (at most 8), 32 for texts. */
  batchSize?: number;
  /** Requests in flight at once. Default: 4. */
  concurrency?: number;
  /** Called each time a request's results arrive. An error thrown here stops the job and is rethrown. Default: none. */
  onProgress?: (progress: BatchProgress) => void;
  /** Stops the job: requests in flight are aborted and the job rejects with `ClipAbortError`. Default: none. */
  signal?: AbortSignal;
  /** Time limit of each attempt of each request, in milliseconds. Default: the client's `timeoutMs`. */
  timeoutMs?: number;
  /** Retries of each request. Default: the client's `maxRetries`. */
  maxRetries?: number;
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
}

export const DEFAULT_CONCURRENCY = 4;
/** Texts per `embed_text` request of a batch job: the server sets no limit; this keeps each body and answer modest. */
export const DEFAULT_TEXT_BATCH_SIZE = 32;

/** Checks the job's options before anything is read or sent. */
export function resolveBatchOptions(options: BatchOptions, limits: BatchLimits): ResolvedBatchOptions {
  const { batchSize = limits.defaultBatchSize, concurrency = DEFAULT_CONCURRENCY, onProgress, signal } = options;
  const issues: ValidationIssue[] = [];
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > limits.maxBatchSize) {
    const range = Number.isFinite(limits.maxBatchSize) ? `between 1 and ${limits.maxBatchSize}` : 'at least 1';
    issues.push({ path: ['batchSize'], message: `must be a whole number ${range}, got ${String(batchSize)}` });
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    issues.push({ path: ['concurrency'], message: `must be a whole number of at least 1, got ${String(concurrency)}` });
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') issues.push({ path: ['onProgress'], message: 'must be a function' });
  const badSignal = signalProblem(signal);
  if (badSignal) issues.push({ path: ['signal'], message: badSignal });
  if (issues.length > 0) throw new ClipValidationError(issues, 'Invalid batch options');
  return { batchSize, concurrency, onProgress, signal };
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

function untilStopped<V>(promise: Promise<V>, stopped: AbortSignal): Promise<V> {
  return new Promise((resolve, reject) => {
    const onStop = () => reject(stopped.reason);
    stopped.addEventListener('abort', onStop, { once: true });
    promise.then(resolve, reject).finally(() => stopped.removeEventListener('abort', onStop));
  });
}

/**
 * Runs a job: reads `inputs` in batches of `batchSize`, sends each through `send` with at most
 * `concurrency` in flight, and resolves to every result in input order. On the first failure no
 * new batch starts, the requests in flight are aborted (through the signal `send` receives), and
 * the job rejects once they have all settled: `ClipBatchError` naming the failed request's inputs,
 * `ClipAbortError` when the caller's signal fired, or the caller's own error from the source or
 * `onProgress`.
 */
export async function runBatches<T, R>(
  inputs: BatchInputs<T>,
  options: ResolvedBatchOptions,
  send: (items: T[], signal: AbortSignal) => Promise<readonly R[]>,
): Promise<R[]> {
  const { batchSize, concurrency, onProgress, signal } = options;
  if (signal?.aborted) throw new ClipAbortError('Batch job was aborted before it started', { cause: signal.reason });
  const asyncIterator = (inputs as AsyncIterable<T>)[Symbol.asyncIterator];
  const isAsync = typeof asyncIterator === 'function';
  const source = isAsync ? asyncIterator.call(inputs) : (inputs as Iterable<T>)[Symbol.iterator]();
  const job = new AbortController();
  const results: R[] = [];
  let total = Array.isArray(inputs) ? inputs.length : undefined;
  let reportedTotal: number | undefined;
  let done = 0;
  let inFlight = 0;
  let slotFreed = () => {};
  /** Set by the first failure: makes what the job rejects with, once every request has settled. */
  let failure: (() => unknown) | undefined;
  let ended = false;
  /** An async source's `next()` has not settled: it may never, so the source's `return()` is not awaited. */
  let producing = false;

  const stop = (error: () => unknown, abortReason?: unknown) => {
    if (failure) return;
    failure = error;
    job.abort(abortReason);
  };
  const onAbort = () => stop(() => new ClipAbortError('Batch job was aborted', { cause: signal!.reason }), signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const report = () => {
    reportedTotal = total;
    onProgress?.({ done, total });
  };
  const untilSlotFree = () => new Promise<void>((resolve) => (slotFreed = resolve));
  const sendBatch = async (items: T[], start: number) => {
    let values: readonly R[];
    try {
      values = await send(items, job.signal);
    } catch (error) {
      return stop(() => new ClipBatchError({ start, end: start + items.length, completed: done, cause: error }));
    }
    values.forEach((value, i) => (results[start + i] = value));
    done += items.length;
    report();
  };

  // One loop reads the source, so batches keep input order; it reads a batch only when a request may start.
  try {
    for (let start = 0; !ended && !failure; ) {
      while (inFlight >= concurrency) await untilSlotFree();
      const items: T[] = [];
      while (!ended && !failure && items.length < batchSize) {
        let step: IteratorResult<T>;
        if (isAsync) {
          producing = true;
          step = await untilStopped(Promise.resolve((source as AsyncIterator<T>).next()).finally(() => (producing = false)), job.signal);
        } else {
          step = (source as Iterator<T>).next();
        }
        if (step.done) {
          ended = true;
          total = start + items.length;
        } else {
          items.push(step.value);
        }
      }
      if (failure || items.length === 0) break;
      inFlight++;
      // What sendBatch throws beyond the request's own failure comes from onProgress: the caller's error, rethrown as it is.
      void sendBatch(items, start)
        .catch((error: unknown) => stop(() => error))
        .finally(() => {
          inFlight--;
          slotFreed();
        });
      start += items.length;
    }
  } catch (error) {
    // The source threw, rethrown as it is; or the job stopped while it was producing, and then this is a no-op.
    stop(() => error);
  }
  while (inFlight > 0) await untilSlotFree();
  signal?.removeEventListener('abort', onAbort);
  // Lets the source release what it holds (files, streams) when the job stops early.
  if (!ended) {
    const returned = Promise.resolve(source.return?.()).catch(() => undefined);
    if (!producing) await returned;
  }

  const stopped = failure as (() => unknown) | undefined;
  if (stopped) throw stopped();
  // An iterable that ended right after a full batch is known to have ended only after the last report.
  if (done > 0 && reportedTotal === undefined) report();
  return results;
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
  compare: (request: Record<string, unknown>, signal: AbortSignal | undefined) => Promise<Similarity>,
): Promise<{ similarity: Similarity }> {
  const { prompt } = request;
  if (Array.isArray(prompt)) {
    const similarity = await runBatches(prompt as unknown[], job, async (part, signal) => (await compare({ ...request, prompt: part }, signal)) as number[]);
    return { similarity };
  }
  if (!isNameMap(prompt)) return { similarity: await compare(request, job.signal) };
  const names = Object.keys(prompt);
  const values = await runBatches(names, job, async (part, signal) => {
    const similarity = (await compare({ ...request, prompt: Object.fromEntries(part.map((name) => [name, prompt[name]])) }, signal)) as Record<string, number>;
    return part.map((name) => similarity[name]!);
  });
  return { similarity: Object.fromEntries(names.map((name, i) => [name, values[i]!])) };
}
