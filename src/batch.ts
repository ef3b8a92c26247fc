import { ClipAbortError, ClipBatchError, ClipValidationError, type ValidationIssue } from './errors.js';
import { isNameMap } from './schemas.js';

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

interface Batch<T> {
  start: number;
  items: T[];
}

/** Hands out consecutive batches of a source, one reader at a time, so that batches keep input order. */
class BatchReader<T> {
  total: number | undefined;
  readonly #size: number;
  readonly #iterator: Iterator<T> | AsyncIterator<T>;
  readonly #async: boolean;
  #next = 0;
  #ended = false;
  #waiting = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(inputs: BatchInputs<T>, size: number) {
    this.#size = size;
    if (Array.isArray(inputs)) this.total = inputs.length;
    const asyncIterator = (inputs as AsyncIterable<T>)[Symbol.asyncIterator];
    this.#async = typeof asyncIterator === 'function';
    this.#iterator = this.#async ? asyncIterator.call(inputs) : (inputs as Iterable<T>)[Symbol.iterator]();
  }

  /** The next batch, or undefined at the end; rejects with `stopped.reason` once `stopped` fires. */
  take(stopped: AbortSignal): Promise<Batch<T> | undefined> {
    const batch = this.#queue.then(() => this.#read(stopped));
    this.#queue = batch.catch(() => undefined);
    return batch;
  }

  async #read(stopped: AbortSignal): Promise<Batch<T> | undefined> {
    const start = this.#next;
    const items: T[] = [];
    while (!this.#ended && items.length < this.#size) {
      if (stopped.aborted) throw stopped.reason;
      let step: IteratorResult<T>;
      if (this.#async) {
        this.#waiting = true;
        step = await untilStopped(Promise.resolve((this.#iterator as AsyncIterator<T>).next()), stopped).finally(() => (this.#waiting = false));
      } else {
        step = (this.#iterator as Iterator<T>).next();
      }
      if (step.done) {
        this.#ended = true;
        this.total = start + items.length;
      } else {
        items.push(step.value);
      }
    }
    this.#next = start + items.length;
    return items.length > 0 ? { start, items } : undefined;
  }

  /**
   * Lets the source release what it holds (files, streams) when the job stops early. A source still
   * producing its next value is told without waiting, as it may never finish.
   */
  async close(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    const returned = Promise.resolve(this.#iterator!.return?.());
    if (this.#waiting) returned.catch(() => undefined);
    else await returned.catch(() => undefined);
  }
}

function untilStopped<V>(promise: Promise<V>, stopped: AbortSignal): Promise<V> {
  return new Promise((resolve, reject) => {
    const onStop = () => reject(stopped.reason);
    stopped.addEventListener('abort', onStop, { once: true });
    promise.then(resolve, reject).finally(() => stopped.removeEventListener('abort', onStop));
  });
}

type Failure =
  | { kind: 'request'; error: unknown; start: number; end: number }
  | { kind: 'aborted' }
  /** The source or the progress callback threw: the caller's own error, rethrown as it is. */
  | { kind: 'caller'; error: unknown };

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
  const reader = new BatchReader(inputs, batchSize);
  const results: R[] = [];
  const job = new AbortController();
  let failure: Failure | undefined;
  let done = 0;
  let reportedTotal: number | undefined;
  const report = () => {
    reportedTotal = reader.total;
    onProgress?.({ done, total: reportedTotal });
  };

  const stop = (reason: Failure) => {
    if (failure) return;
    failure = reason;
    job.abort(reason.kind === 'aborted' ? signal?.reason : undefined);
  };
  const onAbort = () => stop({ kind: 'aborted' });
  signal?.addEventListener('abort', onAbort, { once: true });

  const worker = async () => {
    while (!failure) {
      let batch: Batch<T> | undefined;
      try {
        batch = await reader.take(job.signal);
      } catch (error) {
        return stop({ kind: 'caller', error });
      }
      if (!batch || failure) return;
      let values: readonly R[];
      try {
        values = await send(batch.items, job.signal);
      } catch (error) {
        return stop({ kind: 'request', error, start: batch.start, end: batch.start + batch.items.length });
      }
      for (let i = 0; i < values.length; i++) results[batch.start + i] = values[i]!;
      done += batch.items.length;
      try {
        report();
      } catch (error) {
        return stop({ kind: 'caller', error });
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await reader.close();
  }
  const stopped = failure as Failure | undefined;
  if (stopped === undefined) {
    // An iterable that ended right after a full batch is known to have ended only after the last report.
    if (done > 0 && reportedTotal === undefined) report();
    return results;
  }
  if (stopped.kind === 'aborted') throw new ClipAbortError('Batch job was aborted', { cause: signal?.reason });
  if (stopped.kind === 'caller') throw stopped.error;
  throw new ClipBatchError({ start: stopped.start, end: stopped.end, completed: done, cause: stopped.error });
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
