import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { resolveBatchOptions, runBatches, type BatchOptions, type BatchProgress } from '../src/jobs/batch.js';
import { ClipAbortError, ClipBatchError, ClipError, ClipValidationError } from '../src/errors/errors.js';

const LIMITS = { defaultBatchSize: 8, maxBatchSize: 8 };
const job = (options: BatchOptions = {}) => resolveBatchOptions(options, LIMITS);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Resolves when the signal fires, rejecting like a request that was aborted. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new ClipAbortError()), { once: true }));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('the job resolved'),
    (error: unknown) => error,
  );
}

describe('runBatches', () => {
  it('resolves to every result in input order, even when later batches finish first', async () => {
    const results = await runBatches(range(50), job({ batchSize: 4, concurrency: 5 }), async (items) => {
      await delay(items[0]! % 3 === 0 ? 15 : 1);
      return items.map((i) => i * 10);
    });
    expect(results).toEqual(range(50).map((i) => i * 10));
  });

  it('splits the inputs into batches of batchSize, the last one shorter', async () => {
    const sizes: number[] = [];
    await runBatches(range(20), job({ batchSize: 8 }), async (items) => {
      sizes.push(items.length);
      return items;
    });
    expect(sizes.sort()).toEqual([4, 8, 8]);
  });

  it('never has more than `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let most = 0;
    await runBatches(range(100), job({ batchSize: 2, concurrency: 3 }), async (items) => {
      most = Math.max(most, ++inFlight);
      await delay(2);
      inFlight--;
      return items;
    });
    expect(most).toBe(3);
  });

  it('reads an async iterable as the job goes, never more than `concurrency` batches ahead of the results', async () => {
    let read = 0;
    let done = 0;
    let mostAhead = 0;
    async function* source() {
      for (let i = 0; i < 200; i++) {
        read++;
        mostAhead = Math.max(mostAhead, read - done);
        yield i;
      }
    }
    const results = await runBatches(source(), job({ batchSize: 4, concurrency: 2 }), async (items) => {
      await delay(1);
      done += items.length;
      return items;
    });
    expect(results).toEqual(range(200));
    expect(mostAhead).toBeLessThanOrEqual(2 * 4 + 1);
  });

  it('accepts a sync iterable that is not a list (a Set, a generator)', async () => {
    const results = await runBatches(new Set(['a', 'b', 'c']), job({ batchSize: 2 }), async (items) => items.map((s) => s.toUpperCase()));
    expect(results).toEqual(['A', 'B', 'C']);
  });

  it('resolves to [] without sending anything when there are no inputs', async () => {
    let sent = 0;
    const results = await runBatches([], job(), async (items) => {
      sent++;
      return items;
    });
    expect(results).toEqual([]);
    expect(sent).toBe(0);
  });

  it('reports done and total after each batch; total is known for a list', async () => {
    const progress: BatchProgress[] = [];
    await runBatches(range(20), job({ batchSize: 8, concurrency: 1, onProgress: (p) => progress.push(p) }), async (items) => items);
    expect(progress).toEqual([
      { done: 8, total: 20 },
      { done: 16, total: 20 },
      { done: 20, total: 20 },
    ]);
  });

  it('reports total as undefined for an iterable until it has ended', async () => {
    const progress: BatchProgress[] = [];
    async function* source() {
      yield* range(10);
    }
    await runBatches(source(), job({ batchSize: 4, concurrency: 1, onProgress: (p) => progress.push(p) }), async (items) => items);
    expect(progress).toEqual([
      { done: 4, total: undefined },
      { done: 8, total: undefined },
      { done: 10, total: 10 },
    ]);
  });

  it('reports the total once more at the end when an iterable ended right after a full batch', async () => {
    const progress: BatchProgress[] = [];
    async function* source() {
      yield* range(8);
    }
    await runBatches(source(), job({ batchSize: 4, concurrency: 1, onProgress: (p) => progress.push(p) }), async (items) => items);
    expect(progress).toEqual([
      { done: 4, total: undefined },
      { done: 8, total: undefined },
      { done: 8, total: 8 },
    ]);
  });

  it('on a failed request starts no new batch, aborts those in flight, and rejects with ClipBatchError naming the failed inputs', async () => {
    const started: number[] = [];
    let aborted = 0;
    const cause = new ClipError('server said no');
    const error = await rejection(
      runBatches(range(100), job({ batchSize: 5, concurrency: 3 }), async (items, signal) => {
        started.push(items[0]!);
        if (items[0] === 10) {
          await delay(5);
          throw cause;
        }
        if (items[0]! > 10) {
          return untilAborted(signal).catch((e: unknown) => {
            aborted++;
            throw e;
          });
        }
        return items;
      }),
    );
    expect(error).toBeInstanceOf(ClipBatchError);
    expect(error).toMatchObject({ start: 10, end: 15, completed: 10, cause });
    expect((error as Error).message).toMatch(/^Inputs 10-14 failed.*server said no/);
    expect(started).toEqual([0, 5, 10, 15, 20]);
    expect(aborted).toBe(2);
  });

  it("rejects with ClipAbortError when the caller's signal fires, aborting the requests in flight", async () => {
    const controller = new AbortController();
    let aborted = 0;
    const job$ = runBatches(range(40), job({ concurrency: 2, signal: controller.signal }), (_items, signal) =>
      untilAborted(signal).catch((e: unknown) => {
        aborted++;
        throw e;
      }),
    );
    await delay(5);
    controller.abort(new Error('user cancelled'));
    const error = await rejection(job$);
    expect(error).toBeInstanceOf(ClipAbortError);
    expect((error as ClipAbortError).cause).toEqual(new Error('user cancelled'));
    expect(aborted).toBe(2);
  });

  it('rejects at once with ClipAbortError when the signal has already fired, reading nothing', async () => {
    let read = false;
    const source = {
      [Symbol.iterator]: () => {
        read = true;
        return [1][Symbol.iterator]();
      },
    };
    const error = await rejection(runBatches(source, job({ signal: AbortSignal.abort() }), async (items) => items));
    expect(error).toBeInstanceOf(ClipAbortError);
    expect(read).toBe(false);
  });

  it("rethrows the source's own error as it is, and stops the job", async () => {
    const broken = new Error('disk on fire');
    let sent = 0;
    async function* source() {
      yield* range(12);
      throw broken;
    }
    const error = await rejection(
      runBatches(source(), job({ batchSize: 4, concurrency: 1 }), async (items) => {
        sent++;
        return items;
      }),
    );
    expect(error).toBe(broken);
    expect(sent).toBe(3);
  });

  it('closes an async source (calls return()) when the job stops early', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    await rejection(
      runBatches(source(), job({ batchSize: 2, concurrency: 1 }), async () => {
        throw new Error('fail');
      }),
    );
    expect(closed).toBe(true);
  });

  it('stops waiting for a source that never yields once the job is aborted', async () => {
    const controller = new AbortController();
    const never: AsyncIterable<number> = { [Symbol.asyncIterator]: () => ({ next: () => new Promise<never>(() => {}) }) };
    const job$ = runBatches(never, job({ signal: controller.signal }), async (items) => items);
    await delay(5);
    controller.abort();
    expect(await rejection(job$)).toBeInstanceOf(ClipAbortError);
  });

  it('does not wait for an async source to close while it is still producing a value', async () => {
    const controller = new AbortController();
    async function* stuck() {
      yield 1;
      await new Promise<never>(() => {});
    }
    const job$ = runBatches(stuck(), job({ batchSize: 2, signal: controller.signal }), async (items) => items);
    await delay(5);
    controller.abort();
    expect(await rejection(job$)).toBeInstanceOf(ClipAbortError);
  });

  it('rethrows an error thrown by onProgress as it is, and stops the job', async () => {
    const oops = new Error('progress bar broke');
    let sent = 0;
    const error = await rejection(
      runBatches(
        range(40),
        job({
          concurrency: 1,
          onProgress: () => {
            throw oops;
          },
        }),
        async (items) => {
          sent++;
          return items;
        },
      ),
    );
    expect(error).toBe(oops);
    expect(sent).toBe(1);
  });
});

describe('resolveBatchOptions', () => {
  it('refuses a batchSize outside 1..max, a concurrency below 1 and non-integers', () => {
    for (const options of [{ batchSize: 9 }, { batchSize: 0 }, { batchSize: 2.5 }, { concurrency: 0 }, { concurrency: Number.NaN }]) {
      expect(() => job(options)).toThrow(ClipValidationError);
    }
  });

  it('defaults to the limits\' batch size and 4 requests in flight', () => {
    expect(job()).toMatchObject({ batchSize: 8, concurrency: 4 });
  });
});
