import { describe, expect, it } from 'vitest';
import { ClipClient, ClipValidationError } from '../src/index.js';
import { EmbeddingIndex } from '../src/vectors.js';
import { refusedPort } from './helpers/http.js';
import { useMockClient } from './helpers/mock-client.js';

const ctx = useMockClient();
const IMAGE = 'https://example.com/cat.jpg';

function index(): EmbeddingIndex {
  const made = new EmbeddingIndex();
  made.add('a', new Array(512).fill(0.5));
  return made;
}

/** Every method that takes a signal, given the AbortController itself: the common slip. */
const CALLS: Record<string, (c: ClipClient, signal: unknown) => Promise<unknown>> = {
  embedText: (c, signal) => c.embedText({ text: 'a cat' }, { signal } as never),
  embedImage: (c, signal) => c.embedImage({ image: IMAGE }, { signal } as never),
  compare: (c, signal) => c.compare({ subject: IMAGE, prompt: 'a cat' }, { signal } as never),
  classify: (c, signal) => c.classify(IMAGE, ['cat', 'dog'], { signal } as never),
  searchText: (c, signal) => c.searchText(index(), 'a cat', 1, { signal } as never),
  searchImage: (c, signal) => c.searchImage(index(), IMAGE, 1, { signal } as never),
  embedTexts: (c, signal) => c.embedTexts(['a cat', 'a dog'], { signal } as never),
  embedImages: (c, signal) => c.embedImages([IMAGE], { signal } as never),
  compareMany: (c, signal) => c.compareMany({ subject: IMAGE, prompt: ['a cat', 'a dog'] }, { signal } as never),
};

describe('a signal that is not an AbortSignal', () => {
  it.each(Object.keys(CALLS))('is refused by %s as a bad option before anything is sent', async (method) => {
    for (const signal of [new AbortController(), { aborted: false }, 'abort', null]) {
      const error = await CALLS[method]!(ctx.clip, signal).then(
        () => expect.fail('the call resolved'),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ClipValidationError);
      expect((error as ClipValidationError).issues[0]!.path).toEqual(['signal']);
    }
    expect(ctx.mock.requests).toHaveLength(0);
  });

  it('names the fix when it is the controller', async () => {
    const error = await ctx.clip.embedText({ text: 'a cat' }, { signal: new AbortController() as never }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('controller.signal');
  });
});

describe('a signal-like object that breaks once listened to', () => {
  it('fails the call and leaves no retry timer to throw later', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const signal = {
        aborted: false,
        addEventListener: () => {
          throw new TypeError('not listening');
        },
        removeEventListener: () => {
          throw new TypeError('not listening');
        },
      };
      const client = new ClipClient({ baseUrl: `http://127.0.0.1:${await refusedPort()}`, maxRetries: 1, backoff: { baseMs: 20, capMs: 20 } });
      const error = await client.embedText({ text: 'a cat' }, { signal: signal as never }).catch((e: unknown) => e);
      await client.close();
      expect(error).toBeInstanceOf(Error);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
