import { describe, expect, it } from 'vitest';
import { ClipAbortError, ClipTimeoutError, ClipValidationError } from '../src/index.js';
import { MAX_ITEM_ISSUES } from '../src/wire/schemas.js';
import { useMockClient } from './helpers/mock-client.js';

const ctx = useMockClient();

const refusal = (call: Promise<unknown>) =>
  call.then(
    () => expect.fail('the call resolved'),
    (error: unknown) => error,
  );

describe('validation cost', () => {
  it('of a million invalid texts is a short loop: the first few problems and a count', async () => {
    const texts = new Array<unknown>(1_000_000).fill(42);
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    const error = (await refusal(ctx.clip.embedText({ text: texts as string[] }))) as ClipValidationError;
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(ClipValidationError);
    expect(error.issues).toHaveLength(MAX_ITEM_ISSUES + 1);
    expect(error.issues.at(-1)!.message).toContain(`(1000000 of 1000000)`);
    expect(elapsed).toBeLessThan(1_000);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(100 * 2 ** 20);
    expect(ctx.mock.requests).toHaveLength(0);
  });

  it.each([
    ['new Array(2 ** 32 - 1)', () => new Array(2 ** 32 - 1)],
    ['more texts than maxRequestBytes holds', () => new Array(6 * 2 ** 20).fill('a')],
  ])('refuses %s from its length alone, at once', async (_name, make) => {
    const texts = make() as string[];
    const started = performance.now();
    const error = (await refusal(ctx.clip.embedText({ text: texts }))) as ClipValidationError;
    expect(error).toBeInstanceOf(ClipValidationError);
    expect(error.issues[0]!.path).toEqual(['text']);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('refuses a huge image list without looking for Blobs in it', async () => {
    const started = performance.now();
    const error = await refusal(ctx.clip.embedImage({ image: new Array(2 ** 32 - 1) }));
    expect(error).toBeInstanceOf(ClipValidationError);
    expect(performance.now() - started).toBeLessThan(50);
  });
});

/** A Blob whose bytes never arrive: a stream that stalls. */
class StalledBlob extends Blob {
  override arrayBuffer(): Promise<ArrayBuffer> {
    return new Promise(() => {});
  }
}

describe('an image Blob whose read never settles', () => {
  it('ends with the caller’s signal', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const error = await refusal(ctx.clip.embedImage({ image: new StalledBlob(['x']) }, { signal: controller.signal }));
    expect(error).toBeInstanceOf(ClipAbortError);
  });

  it.each([
    ['embedImage', () => ctx.clip.embedImage({ image: new StalledBlob(['x']) }, { deadlineMs: 50 })],
    ['compare', () => ctx.clip.compare({ subject: new StalledBlob(['x']), prompt: 'a cat' }, { deadlineMs: 50 })],
    ['classify', () => ctx.clip.classify(new StalledBlob(['x']), ['a cat'], { deadlineMs: 50 })],
  ])('ends with the deadline (%s)', async (_name, call) => {
    const error = await refusal(call());
    expect(error).toBeInstanceOf(ClipTimeoutError);
    expect(ctx.mock.requests).toHaveLength(0);
  });
});

describe('an image too large to encode', () => {
  it('is refused from its byte length, before encoding (420 MiB)', async () => {
    const bytes = new Uint8Array(420 * 2 ** 20);
    const error = (await refusal(ctx.clip.embedImage({ image: bytes }))) as ClipValidationError;
    expect(error).toBeInstanceOf(ClipValidationError);
    expect(error.issues[0]!.message).toMatch(/420\.0 MiB/);
  });

  it('is refused from a Blob’s size, before reading it', async () => {
    // A Blob that claims the size without holding it: reading it would fail the test.
    const huge = new (class extends StalledBlob {
      override get size(): number {
        return 600 * 2 ** 20;
      }
    })(['x']);
    const error = await refusal(ctx.clip.embedImage({ image: huge }));
    expect(error).toBeInstanceOf(ClipValidationError);
  });
});
