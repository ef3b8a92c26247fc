import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { resolveBatchOptions, runBatches, type BatchOptions } from '../src/jobs/batch.js';
import { streamBatches, type BatchOutcome } from '../src/jobs/stream.js';
import { ClipAbortError, ClipBatchError } from '../src/errors/errors.js';

const LIMITS = { defaultBatchSize: 8, maxBatchSize: 8 };
const job = (options: BatchOptions = {}) => resolveBatchOptions(options, LIMITS);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new ClipAbortError()), { once: true }));
}

async function collect<R>(stream: AsyncIterable<BatchOutcome<R>>): Promise<BatchOutcome<R>[]> {
  const out: BatchOutcome<R>[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

describe('streamBatches', () => {
  it('yields { index, value } for every input in input order, even when later batches finish first', async () => {
    const items = await collect(
      streamBatches(range(60), job({ batchSize: 4, concurrency: 5 }), async (batch) => {
        await delay(batch[0]! % 3 === 0 ? 15 : 1);
        return batch.map((i) => i * 10);
      }),
    );
    expect(items).toEqual(range(60).map((i) => ({ index: i, value: i * 10 })));
  });

  it('a consumer that does not read holds new requests back: at most 2 x concurrency batches are sent ahead of it', async () => {
    let sent = 0;
    const stream = streamBatches(range(1000), job({ batchSize: 1, concurrency: 3 }), async (batch) => {
      sent++;
      return batch;
    });
    await stream.next();
    await delay(100);
    // One batch taken by the consumer, three waiting for it, three in flight (settled, waiting too).
    expect(sent).toBeLessThanOrEqual(1 + 2 * 3);
    await stream.return();
  });

  it('leaving the loop early aborts the requests in flight and closes the source', async () => {
    let aborted = 0;
    let closed = false;
    function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    let first = true;
    const stream = streamBatches(source(), job({ batchSize: 2, concurrency: 3 }), async (batch, signal) => {
      if (first) {
        first = false;
        return batch;
      }
      return untilAborted(signal).catch((error: unknown) => {
        aborted++;
        throw error;
      });
    });
    for await (const item of stream) {
      expect(item.index).toBe(0);
      break;
    }
    expect(aborted).toBe(3);
    expect(closed).toBe(true);
  });

  it("with onError 'skip' goes on past a failed request and yields its inputs as { index, error }", async () => {
    const cause = new Error('server said no');
    const items = await collect(
      streamBatches(range(20), job({ batchSize: 4, concurrency: 2, onError: 'skip' }), async (batch) => {
        if (batch[0] === 8) throw cause;
        return batch;
      }),
    );
    expect(items.map((item) => item.index)).toEqual(range(20));
    expect(items.filter((item) => 'error' in item)).toEqual([8, 9, 10, 11].map((index) => ({ index, error: cause })));
  });

  it("with onError 'skip', a request retryAlone blames on its inputs is sent again one input at a time", async () => {
    const bad = new Error('could not decode image 5');
    const sizes: number[] = [];
    const items = await collect(
      streamBatches(range(8), { ...job({ batchSize: 8, onError: 'skip' }), retryAlone: (error) => error === bad }, async (batch) => {
        sizes.push(batch.length);
        if (batch.includes(5)) throw bad;
        return batch;
      }),
    );
    expect(sizes).toEqual([8, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(items.filter((item) => 'error' in item)).toEqual([{ index: 5, error: bad }]);
    expect(items.filter((item) => !('error' in item))).toHaveLength(7);
  });

  it('stops with ClipBatchError carrying the completed results it had not yielded yet', async () => {
    const stream = streamBatches(range(16), job({ batchSize: 4, concurrency: 4 }), async (batch) => {
      if (batch[0] === 0) {
        await delay(20);
        throw new Error('first batch failed');
      }
      return batch.map((i) => i * 2);
    });
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClipBatchError);
    const { results, failed } = error as ClipBatchError<number>;
    expect(Object.keys(results).map(Number)).toEqual(range(12).map((i) => i + 4));
    expect(results[7]).toBe(14);
    expect(failed.map((f) => f.index)).toEqual([0, 1, 2, 3]);
  });

  it('registers one abort listener per request, not all of them on one signal, so 20 in flight raise no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      await runBatches(range(40), job({ batchSize: 1, concurrency: 20 }), async (batch, signal) => {
        // What a transport does with the signal it is given.
        const onAbort = () => {};
        signal.addEventListener('abort', onAbort);
        await delay(20);
        signal.removeEventListener('abort', onAbort);
        return batch;
      });
      // Warnings are emitted on the next tick.
      await delay(10);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it("keeps the job's ClipBatchError when a sync iterable's return() throws", async () => {
    const source: Iterable<number> = {
      [Symbol.iterator]() {
        let i = 0;
        return {
          next: () => ({ done: false, value: i++ }),
          return: () => {
            throw new Error('return() broke');
          },
        };
      },
    };
    const error = await runBatches(source, job({ batchSize: 2, concurrency: 1 }), async () => {
      throw new Error('request failed');
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClipBatchError);
    expect((error as ClipBatchError).cause.message).toBe('request failed');
  });

  it('a request that calls released() frees its slot: the next batch starts while it is still settling', async () => {
    const events: string[] = [];
    const items = await collect(
      streamBatches(range(2), job({ batchSize: 1, concurrency: 1 }), async (batch, _signal, released) => {
        events.push(`start ${batch[0]}`);
        released();
        await delay(20);
        events.push(`end ${batch[0]}`);
        return batch;
      }),
    );
    expect(events).toEqual(['start 0', 'start 1', 'end 0', 'end 1']);
    expect(items).toEqual([{ index: 0, value: 0 }, { index: 1, value: 1 }]);
  });

  it('a job whose requests released their slots ends only after every request has settled', async () => {
    let settled = 0;
    const stream = streamBatches(range(3), job({ batchSize: 1, concurrency: 1, onError: 'stop' }), async (batch, _signal, released) => {
      released();
      await delay(10 * (3 - batch[0]!));
      settled++;
      if (batch[0] === 2) throw new Error('refused');
      return batch;
    });
    await expect(collect(stream)).rejects.toBeInstanceOf(ClipBatchError);
    expect(settled).toBe(3);
  });

  it("with onError 'skip', a batch that failed after releasing its slot is not re-sent input by input", async () => {
    let calls = 0;
    const items = await collect(
      streamBatches(range(2), { ...job({ batchSize: 2, concurrency: 1, onError: 'skip' }), retryAlone: () => true }, async (_batch, _signal, released) => {
        calls++;
        released();
        throw new Error('unusable answer');
      }),
    );
    expect(calls).toBe(1);
    expect(items.map((item) => item.error)).toEqual([expect.any(Error), expect.any(Error)]);
  });
});

describe('runBatches', () => {
  it("a ClipBatchError of a list job carries every result that completed, those before the failure included", async () => {
    const error = await runBatches(range(40), job({ batchSize: 4, concurrency: 1 }), async (batch) => {
      if (batch[0] === 20) throw new Error('no');
      return batch.map((i) => -i);
    }).catch((e: unknown) => e);
    const { results, start, end } = error as ClipBatchError<number>;
    expect([start, end]).toEqual([20, 24]);
    expect(results.slice(0, 20)).toEqual(range(20).map((i) => -i));
    expect(results.length).toBe(20);
  });

  it("with onError 'skip' resolves with holes where inputs failed, listed in failed, and meta counting requests", async () => {
    const cause = new Error('no');
    const results = await runBatches(range(10), job({ batchSize: 2, concurrency: 2, onError: 'skip' }), async (batch) => {
      if (batch[0] === 4 || batch[0] === 8) throw cause;
      return batch;
    });
    expect(results.length).toBe(10);
    expect([...results.keys()].filter((i) => results[i] === undefined)).toEqual([4, 5, 8, 9]);
    expect(results.failed).toEqual([4, 5, 8, 9].map((index) => ({ index, error: cause })));
    expect(results.meta.requests).toBe(5);
    expect(results.meta.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(Object.keys(results)).toEqual(['0', '1', '2', '3', '6', '7']);
  });
});
