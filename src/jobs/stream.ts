/**
 * The engine of every batch job: reads the inputs in batches, sends them with bounded concurrency,
 * and yields each input's outcome in input order. The list helpers collect what it yields; the
 * stream helpers hand it to the caller as it comes.
 */
import { ClipAbortError, ClipBatchError } from '../errors/errors.js';
import type { BatchInputs, ResolvedBatchOptions } from './batch.js';

/** One input's outcome: its result, or (with `onError: 'skip'`) the error its request ended in. */
export type BatchOutcome<R> = { index: number; value: R; error?: undefined } | { index: number; value?: undefined; error: unknown };

interface Batch<R> {
  start: number;
  /** Set once the batch's request has settled with results (or, when skipping, with errors). */
  outcomes: BatchOutcome<R>[] | undefined;
}

/** Why the job stopped; the error is made when it is thrown, so that it carries what was kept by then. */
type Stop = { kind: 'batch'; start: number; end: number; cause: unknown } | { kind: 'error'; error: unknown };

/**
 * Completed batches the consumer has not taken yet, per request slot: with `concurrency` requests
 * in flight at most `concurrency` more batches wait, so a slow consumer holds new requests back.
 */
const BUFFERED_BATCHES_PER_SLOT = 1;

const noop = () => {};

/**
 * Runs a job and yields `{ index, value }` per input in input order (`{ index, error }` for the
 * inputs of a failed request when `onError` is `'skip'`). On a failure with `onError: 'stop'`, or
 * when the caller's signal fires, no new batch starts, the requests in flight are aborted, and once
 * they have settled the iteration throws: `ClipBatchError` (carrying the completed results not yet
 * yielded), `ClipAbortError`, or the caller's own error from the source or `onProgress`. Leaving the
 * loop early aborts the requests in flight and closes the source. `send` is given a request's
 * inputs, its signal, `released` (to call once the request's final answer is in, which frees its
 * slot of `concurrency` while the answer is still being handled) and the index of its first input.
 */
export async function* streamBatches<T, R>(
  inputs: BatchInputs<T>,
  options: ResolvedBatchOptions,
  send: (items: T[], signal: AbortSignal, released: () => void, start: number) => Promise<readonly R[]>,
): AsyncGenerator<BatchOutcome<R>, void, undefined> {
  const { batchSize, concurrency, onProgress, signal, onError, retryAlone } = options;
  if (signal?.aborted) throw new ClipAbortError('Batch job was aborted before it started', { cause: signal.reason });
  const asyncIterator = (inputs as AsyncIterable<T>)[Symbol.asyncIterator];
  const isAsync = typeof asyncIterator === 'function';
  const source = isAsync ? asyncIterator.call(inputs) : (inputs as Iterable<T>)[Symbol.iterator]();

  /** Aborted once when the job stops: ends a wait on the source. Requests get a signal each (see `requests`). */
  const job = new AbortController();
  // One controller per request rather than one shared signal: a shared one would gather a listener per request in flight.
  const requests = new Set<AbortController>();
  const batches: Batch<R>[] = [];
  let total = Array.isArray(inputs) ? inputs.length : undefined;
  let reportedTotal: number | undefined;
  let done = 0;
  /** Requests holding a slot of `concurrency`: a request frees its slot once its answer is in, or when it settles. */
  let inFlight = 0;
  /** Batches not settled yet: the job ends only after the last one. */
  let running = 0;
  let stopped: Stop | undefined;
  let ended = false;
  let reading = true;
  /** An async source's `next()` has not settled: it may never, so the source's `return()` is not awaited. */
  let producing = false;
  // The reading loop and the consumer each wait here for the next change of state.
  let waiting: (() => void)[] = [];
  const changed = () => new Promise<void>((resolve) => waiting.push(resolve));
  const notify = () => {
    const woken = waiting;
    waiting = [];
    for (const resolve of woken) resolve();
  };

  const stop = (why: Stop, abortReason?: unknown) => {
    if (stopped) return;
    stopped = why;
    job.abort(abortReason);
    for (const request of requests) request.abort(abortReason);
    notify();
  };
  const onAbort = () => stop({ kind: 'error', error: new ClipAbortError('Batch job was aborted', { cause: signal!.reason }) }, signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const report = () => {
    reportedTotal = total;
    onProgress?.({ done, total });
  };

  const sendOne = async (items: T[], start: number, released: () => void = noop): Promise<readonly R[]> => {
    const request = new AbortController();
    requests.add(request);
    try {
      return await send(items, request.signal, released, start);
    } finally {
      requests.delete(request);
    }
  };
  /** With `onError: 'skip'`, a request the caller's `retryAlone` blames on its inputs is sent again one input at a time, to keep the good ones. */
  const skipping = async (items: T[], start: number, error: unknown, holdsSlot: boolean): Promise<BatchOutcome<R>[]> => {
    if (items.length === 1 || !holdsSlot || !retryAlone?.(error)) return items.map((_, i) => ({ index: start + i, error }));
    const outcomes: BatchOutcome<R>[] = [];
    for (const [i, item] of items.entries()) {
      if (stopped) break;
      try {
        outcomes.push({ index: start + i, value: (await sendOne([item], start + i))[0]! });
      } catch (alone) {
        outcomes.push({ index: start + i, error: alone });
      }
    }
    return outcomes;
  };
  /** Runs one batch in a slot of `concurrency` that it holds until its answer is in, or until it settles. */
  const runBatch = async (batch: Batch<R>, items: T[]) => {
    const { start } = batch;
    let holdsSlot = true;
    const release = () => {
      if (!holdsSlot) return;
      holdsSlot = false;
      inFlight--;
      notify();
    };
    try {
      let outcomes: BatchOutcome<R>[];
      try {
        const values = await sendOne(items, start, release);
        outcomes = values.map((value, i) => ({ index: start + i, value }));
      } catch (error) {
        if (stopped) return;
        if (onError === 'stop') return stop({ kind: 'batch', start, end: start + items.length, cause: error });
        outcomes = await skipping(items, start, error, holdsSlot);
        if (stopped) return;
      }
      batch.outcomes = outcomes;
      done += items.length;
      report();
    } catch (error) {
      // What is thrown beyond the request's own failure comes from onProgress: the caller's error, rethrown as it is.
      stop({ kind: 'error', error });
    } finally {
      // After stop(), so that no batch starts in a slot freed by a job that is stopping.
      release();
    }
  };

  // One loop reads the source, so batches keep input order; it reads a batch only when a request may start.
  const produce = async () => {
    try {
      for (let start = 0; !ended && !stopped; ) {
        while (!stopped && (inFlight >= concurrency || batches.length >= concurrency * (1 + BUFFERED_BATCHES_PER_SLOT))) await changed();
        const items: T[] = [];
        while (!ended && !stopped && items.length < batchSize) {
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
        if (stopped || items.length === 0) break;
        const batch: Batch<R> = { start, outcomes: undefined };
        batches.push(batch);
        inFlight++;
        running++;
        void runBatch(batch, items).finally(() => {
          running--;
          notify();
        });
        start += items.length;
      }
    } catch (error) {
      // The source threw, rethrown as it is; or the job stopped while it was producing, and then this is a no-op.
      stop({ kind: 'error', error });
    }
    reading = false;
    notify();
  };

  let finished = false;
  try {
    void produce();
    for (;;) {
      if (stopped) break;
      const head = batches[0];
      if (head?.outcomes) {
        batches.shift();
        notify();
        yield* head.outcomes;
        continue;
      }
      if (!head && !reading) {
        finished = true;
        break;
      }
      await changed();
    }
  } finally {
    // Left early (break, return, a throw in the loop's body): the job is cancelled like an abort.
    if (!finished) stop(stopped ?? { kind: 'error', error: undefined }, new ClipAbortError('Batch job was left before it ended'));
    while (reading || running > 0) await changed();
    signal?.removeEventListener('abort', onAbort);
    if (!ended) await closeSource(source, producing);
  }
  // An iterable that ended right after a full batch is known to have ended only after the last report.
  if (!stopped) {
    if (done > 0 && reportedTotal === undefined) report();
    return;
  }
  if (stopped.kind === 'error') throw stopped.error;
  const kept: R[] = [];
  for (const batch of batches) for (const outcome of batch.outcomes ?? []) if (!('error' in outcome)) kept[outcome.index] = outcome.value as R;
  throw new ClipBatchError({ start: stopped.start, end: stopped.end, completed: done, cause: stopped.cause, results: kept });
}

/** Lets the source release what it holds (files, streams); its own failure to close never hides the job's outcome. */
async function closeSource(source: Iterator<unknown> | AsyncIterator<unknown>, producing: boolean): Promise<void> {
  let returned: unknown;
  try {
    returned = source.return?.();
  } catch {
    return;
  }
  const settled = Promise.resolve(returned).catch(() => undefined);
  if (!producing) await settled;
}

function untilStopped<V>(promise: Promise<V>, stopped: AbortSignal): Promise<V> {
  return new Promise((resolve, reject) => {
    const onStop = () => reject(stopped.reason);
    stopped.addEventListener('abort', onStop, { once: true });
    promise.then(resolve, reject).finally(() => stopped.removeEventListener('abort', onStop));
  });
}
