import { describe, expect, it } from 'vitest';
import { ClipValidationError, imageFromFile } from '../src/index.js';
import { useMockClient } from './helpers/mock-client.js';

const ctx = useMockClient();

async function refusal(call: Promise<unknown>): Promise<string> {
  const error = await call.then(() => expect.fail('the call resolved'), (e: unknown) => e);
  expect(error).toBeInstanceOf(ClipValidationError);
  return (error as Error).message;
}

describe('an image that is likely a mistake', () => {
  it.each(['photos/cat.jpg', './cat.png', '../images/a.webp', '/srv/img/a.JPEG', 'C:\\images\\cat.jpg', '~/cat.gif', 'cat.jpg'])(
    'says to read the file path %s with imageFromFile',
    async (path) => {
      expect(await refusal(ctx.clip.embedImage({ image: path }))).toMatch(/looks like a file path.*await imageFromFile\(path\)/);
      expect(ctx.mock.requests).toHaveLength(0);
    },
  );

  it('keeps the general message for a string that is no path', async () => {
    const message = await refusal(ctx.clip.embedImage({ image: 'a photo of a cat' }));
    expect(message).toMatch(/is not marked as an image/);
    expect(message).not.toMatch(/file path/);
  });

  it('says to await a Promise given as an image', async () => {
    const pending = imageFromFile(new URL('./fixtures/images.ts', import.meta.url).pathname);
    const message = await refusal(ctx.clip.embedImage({ image: pending as never }));
    expect(message).toMatch(/got a Promise, not an image: await it first/);
    await pending;
  });

  it('says so for a Promise among a list, and as classify image', async () => {
    const pending = Promise.resolve({ type: 'url' as const, value: 'https://example.com/a.jpg' });
    expect(await refusal(ctx.clip.embedImage({ image: ['https://example.com/b.jpg', pending as never] }))).toMatch(/image\[1\]: got a Promise/);
    expect(await refusal(ctx.clip.classify(pending as never, ['cat']))).toMatch(/got a Promise/);
  });
});
