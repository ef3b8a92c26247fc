import { describe, expect, it } from 'vitest';
import { ClipValidationError, type ValidationIssue } from '../src/index.js';
import { useMockClient } from './helpers/mock-client.js';

const ctx = useMockClient();

const IMG = 'https://example.com/cat.jpg';
const IMG_OBJ = { type: 'url', value: IMG } as const;

/** Awaits the call's rejection, checks it is a ClipValidationError with these issues, and that nothing was sent. */
async function refused(call: Promise<unknown>, issues: ValidationIssue[]): Promise<ClipValidationError> {
  const error = await call.then(
    () => expect.fail('the call resolved'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClipValidationError);
  const { issues: actual } = error as ClipValidationError;
  expect(actual).toEqual(issues);
  expect(ctx.mock.requests).toEqual([]);
  return error as ClipValidationError;
}

const issue = (path: (string | number)[], message: string | RegExp): ValidationIssue => ({
  path,
  message: typeof message === 'string' ? message : (expect.stringMatching(message) as unknown as string),
});

describe('text', () => {
  it('refuses an empty text', async () => {
    await refused(ctx.clip.embedText({ text: '' }), [issue(['text'], 'text must not be empty')]);
  });

  it('refuses an empty text list', async () => {
    await refused(ctx.clip.embedText({ text: [] }), [issue(['text'], 'must hold at least 1 item')]);
  });

  it('refuses an empty string inside a text list', async () => {
    await refused(ctx.clip.embedText({ text: ['a cat', ''] }), [issue(['text', 1], 'text must not be empty')]);
  });

  it('refuses a text that is not a string', async () => {
    await refused(ctx.clip.embedText({ text: 42 } as never), [issue(['text'], /expected a string, got number/)]);
    await refused(ctx.clip.embedText({ text: ['a cat', null] } as never), [issue(['text', 1], /expected a string, got null/)]);
  });

  it('refuses a missing item inside a list', async () => {
    await refused(ctx.clip.embedText({ text: ['a cat', undefined] } as never), [issue(['text', 1], 'is required')]);
    await refused(ctx.clip.embedImage({ image: [IMG, undefined] } as never), [issue(['image', 1], 'is required')]);
  });

  it('refuses a hole in a sparse list as a missing item', async () => {
    // eslint-disable-next-line no-sparse-arrays
    await refused(ctx.clip.embedText({ text: [, 'a cat'] } as never), [issue(['text', 0], 'is required')]);
    // eslint-disable-next-line no-sparse-arrays
    await refused(ctx.clip.embedImage({ image: [IMG, , IMG] } as never), [issue(['image', 1], 'is required')]);
    // eslint-disable-next-line no-sparse-arrays
    await refused(ctx.clip.compare({ subject: IMG, prompt: ['a cat', , 'a dog'] } as never), [issue(['prompt', 1], 'is required')]);
  });

  it('refuses a missing text', async () => {
    await refused(ctx.clip.embedText({} as never), [issue(['text'], 'is required')]);
  });
});

describe('images', () => {
  it('refuses an empty image list', async () => {
    await refused(ctx.clip.embedImage({ image: [] }), [issue(['image'], 'must hold at least 1 item')]);
  });

  it('refuses more than 8 images before sending', async () => {
    await refused(ctx.clip.embedImage({ image: Array(9).fill(IMG) }), [issue(['image'], 'must hold at most 8 items per request, got 9')]);
  });

  it('refuses a URL that cannot be parsed', async () => {
    await refused(ctx.clip.embedImage({ image: { type: 'url', value: 'not a url' } }), [issue(['image'], /not a valid URL/)]);
    await refused(ctx.clip.embedImage({ image: 'https://' }), [issue(['image'], /not a valid URL/)]);
  });

  it('refuses an ftp:// URL', async () => {
    await refused(ctx.clip.embedImage({ image: [IMG, { type: 'url', value: 'ftp://example.com/cat.jpg' }] }), [
      issue(['image', 1], /must use http or https, got ftp/),
    ]);
  });

  it('refuses an empty base64 image', async () => {
    await refused(ctx.clip.embedImage({ image: { type: 'base64', value: '' } }), [issue(['image'], /base64 image is empty/)]);
    await refused(ctx.clip.embedImage({ image: 'data:image/png;base64,' }), [issue(['image'], /base64 image is empty/)]);
  });

  it('refuses base64 with invalid characters or bad padding', async () => {
    const notBase64 = /not valid padded base64/;
    await refused(ctx.clip.embedImage({ image: { type: 'base64', value: 'ab$d' } }), [issue(['image'], notBase64)]);
    await refused(ctx.clip.embedImage({ image: { type: 'base64', value: 'iVBORw0KGgo' } }), [issue(['image'], notBase64)]);
    await refused(ctx.clip.embedImage({ image: { type: 'base64', value: 'aGk=aGk=' } }), [issue(['image'], notBase64)]);
    await refused(ctx.clip.embedImage({ image: { type: 'base64', value: '/9j/\n4A$A' } }), [issue(['image'], notBase64)]);
  });

  it('refuses a bare string that is not a URL or data URL, saying how to mark it', async () => {
    const error = await refused(ctx.clip.embedImage({ image: 'a cat' }), [issue(['image'], /"a cat" is not marked as an image/)]);
    expect(error.issues[0]!.message).toContain('{type: "url", value}');
    expect(error.issues[0]!.message).toContain('data:image/');
  });

  it.each(['file', 'numpy', 'pil', 'multipart'])('refuses the server-side image type "%s"', async (type) => {
    await refused(ctx.clip.embedImage({ image: { type, value: '/etc/passwd' } } as never), [
      issue(['image'], new RegExp(`image type "${type}" .*not accepted`)),
    ]);
  });
});

describe('common fields', () => {
  it('refuses an unknown top-level field', async () => {
    await refused(ctx.clip.embedText({ text: 'a cat', api_key: 'k' } as never), [issue([], 'unknown field(s): api_key')]);
    await refused(ctx.clip.compare({ subject: IMG, prompt: 'a cat', prompts: ['x'] } as never), [issue([], 'unknown field(s): prompts')]);
  });

  it('refuses a clip_version_id that is not a CLIP version', async () => {
    await refused(ctx.clip.embedImage({ image: IMG, clip_version_id: 'ViT-X-99' } as never), [
      issue(['clip_version_id'], /must be one of RN101, .*ViT-B-16/),
    ]);
  });
});

describe('compare', () => {
  const names = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, `prompt ${i}`]));

  it('refuses 0 prompts, as a list and as a name map', async () => {
    await refused(ctx.clip.compare({ subject: IMG, prompt: [] }), [issue(['prompt'], 'must hold at least 1 item')]);
    await refused(ctx.clip.compare({ subject: IMG, prompt: {} }), [issue(['prompt'], 'must hold at least 1 item')]);
  });

  it('refuses more than 8 prompts before sending, as a list and as a name map', async () => {
    await refused(ctx.clip.compare({ subject: IMG, prompt: Object.values(names(9)) }), [issue(['prompt'], 'must hold at most 8 items per request, got 9')]);
    await refused(ctx.clip.compare({ subject: IMG, prompt: names(9) }), [issue(['prompt'], 'must hold at most 8 items per request, got 9')]);
    await refused(ctx.clip.compare({ subject: 'a cat', subject_type: 'text', prompt: Array(9).fill(IMG), prompt_type: 'image' }), [
      issue(['prompt'], 'must hold at most 8 items per request, got 9'),
    ]);
  });

  it('refuses a text subject without subject_type "text", with a hint', async () => {
    await refused(ctx.clip.compare({ subject: 'a cat', prompt: 'a dog' } as never), [
      issue(['subject'], /not marked as an image.*\(for text, set subject_type: "text"\)/),
    ]);
  });

  it('refuses an image subject with subject_type "text", with a hint', async () => {
    await refused(ctx.clip.compare({ subject: IMG_OBJ, subject_type: 'text', prompt: 'a dog' } as never), [
      issue(['subject'], /expected a string.*\(for an image, set subject_type: "image"\)/),
    ]);
  });

  it('refuses text prompts with prompt_type "image", with a hint', async () => {
    await refused(ctx.clip.compare({ subject: 'a cat', subject_type: 'text', prompt: [IMG, 'a dog'], prompt_type: 'image' } as never), [
      issue(['prompt', 1], /not marked as an image.*\(for text, set prompt_type: "text"\)/),
    ]);
  });

  it('refuses an image object prompt without prompt_type "image", with a hint', async () => {
    // The server reads {type, value} as one image and then fails to embed it as text (HTTP 500).
    await refused(ctx.clip.compare({ subject: IMG, prompt: IMG_OBJ } as never), [issue(['prompt'], /prompt_type: "image"/)]);
  });

  it('refuses image prompts in a text name map, with a hint', async () => {
    await refused(ctx.clip.compare({ subject: IMG, prompt: { cat: 'a cat', dog: IMG_OBJ } } as never), [
      issue(['prompt', 'dog'], /expected a string.*\(for an image, set prompt_type: "image"\)/),
    ]);
  });

  it('refuses a subject_type or prompt_type other than "image" or "text"', async () => {
    await refused(ctx.clip.compare({ subject: IMG, subject_type: 'video', prompt: 'a cat' } as never), [
      issue(['subject_type'], 'must be "image" or "text"'),
    ]);
    await refused(ctx.clip.compare({ subject: IMG, prompt: 'a cat', prompt_type: 'audio' } as never), [
      issue(['prompt_type'], 'must be "image" or "text"'),
    ]);
  });

  it('refuses a missing subject or prompt', async () => {
    await refused(ctx.clip.compare({ prompt: 'a cat' } as never), [issue(['subject'], 'is required')]);
    await refused(ctx.clip.compare({ subject: IMG } as never), [issue(['prompt'], 'is required')]);
  });
});

describe('the request itself', () => {
  it('refuses a request that is not an object, on every method', async () => {
    const expected = [issue([], 'the request must be an object')];
    for (const bad of [null, undefined, 'a cat', ['a cat']]) {
      await refused(ctx.clip.embedImage(bad as never), expected);
      await refused(ctx.clip.compare(bad as never), expected);
      await refused(ctx.clip.embedText(bad as never), expected);
    }
  });

  it('reports several issues at once', async () => {
    const error = await refused(ctx.clip.embedText({ text: ['', 5], clip_version_id: 'x', extra: 1 } as never), [
      issue(['text', 0], 'text must not be empty'),
      issue(['text', 1], /expected a string/),
      issue(['clip_version_id'], /must be one of/),
      issue([], 'unknown field(s): extra'),
    ]);
    expect(error.message).toMatch(/text\[0\].*\n.*text\[1\].*\n.*clip_version_id.*\n.*extra/);
  });

  it('reports subject and prompt issues of compare together with issues of other fields', async () => {
    const error = await refused(ctx.clip.compare({ subject: 'a cat', prompt: [], clip_version_id: 'x' } as never), [
      issue(['clip_version_id'], /must be one of/),
      issue(['subject'], /not marked as an image/),
      issue(['prompt'], 'must hold at least 1 item'),
    ]);
    expect(error.issues).toHaveLength(3);
  });

  it('never throws synchronously: bad input gives a rejected promise', async () => {
    const calls = [
      () => ctx.clip.embedText({ text: 5 } as never),
      () => ctx.clip.embedImage({ image: 'cat.jpg' }),
      () => ctx.clip.compare(null as never),
      () => ctx.clip.embedText(undefined as never),
    ];
    for (const call of calls) {
      const p = call();
      expect(p).toBeInstanceOf(Promise);
      await expect(p).rejects.toBeInstanceOf(ClipValidationError);
    }
    expect(ctx.mock.requests).toEqual([]);
  });

  it('keeps the error message on one screen (< 25 lines) when there are many issues: the first items, then a count', async () => {
    const error = await refused(ctx.clip.embedText({ text: Array(40).fill('') }), [
      ...Array.from({ length: 9 }, (_, i) => issue(['text', i], 'text must not be empty')),
      issue(['text'], '... and 31 more refused items (40 of 40)'),
    ]);
    expect(error.message.split('\n').length).toBeLessThan(25);
  });

  it('quotes a long invalid value only as a short preview in the message', async () => {
    const long = `https://exa mple.com/${'x'.repeat(5000)}`;
    const error = await refused(ctx.clip.embedImage({ image: { type: 'url', value: long } }), [issue(['image'], /not a valid URL/)]);
    expect(error.message.length).toBeLessThan(500);
  });
});
