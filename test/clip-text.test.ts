import { describe, expect, it } from 'vitest';
import { ClipApiError, ClipValidationError, MAX_CLIP_TEXT_PIECES } from '../src/index.js';
import { reply, useStub } from './helpers/http.js';
import { useMockClient } from './helpers/mock-client.js';
import { upstreamBody, upstreamCase } from './fixtures/upstream.js';

const ctx = useMockClient();
const stub = useStub();
const IMG = 'https://example.com/cat.jpg';

/** `count` words of one letter: one CLIP piece each. */
const pieces = (count: number) => Array.from({ length: count }, () => 'a').join(' ');

describe('texts longer than CLIP context', () => {
  it('sends a text of exactly 75 pieces', async () => {
    expect(MAX_CLIP_TEXT_PIECES).toBe(75);
    await ctx.clip.embedText({ text: pieces(75) });
    expect(ctx.mock.requests).toHaveLength(1);
  });

  it('refuses the 80-word text the server fails with 500, naming it and its piece count', async () => {
    const { text } = upstreamBody<{ text: string }>('txtLong');
    expect(upstreamCase('txtLong').responses.legacy.status).toBe(500);
    const error = await ctx.refusal(ctx.clip.embedText({ text: ['a cat', text] }));
    expect(error.issues).toEqual([{ path: ['text', 1], message: expect.stringContaining('has 230 CLIP pieces') }]);
    expect(error.issues[0]!.message).toContain('"word0 word1 word2 word3 word4 word5 w..."');
    expect(error.issues[0]!.message).toContain("77-token context");
  });

  it('refuses a short text whose lower-cased form has more than 75 pieces', async () => {
    const error = await ctx.refusal(ctx.clip.embedText({ text: 'İ'.repeat(38) }));
    expect(error.issues[0]!.message).toContain('has 76 CLIP pieces');
  });

  it('refuses a text of 76 pieces in every place a text goes', async () => {
    const long = pieces(76);
    await ctx.refusal(ctx.clip.embedText({ text: long }));
    await ctx.refusal(ctx.clip.compare({ subject: IMG, prompt: ['a cat', long] }));
    await ctx.refusal(ctx.clip.compare({ subject: long, subject_type: 'text', prompt: IMG, prompt_type: 'image' }));
    await ctx.refusal(ctx.clip.embedTexts(['a cat', long]).catch((e: { cause?: unknown }) => Promise.reject(e.cause)));
  });

  it('refuses a classify label that the template makes too long, before the image is sent', async () => {
    const error = await ctx.refusal(ctx.clip.classify(IMG, ['cat', pieces(74)], { template: 'a photo of {}' }));
    expect(error.issues).toEqual([{ path: ['labels', 1], message: expect.stringContaining('has 77 CLIP pieces') }]);
  });
});

describe('a 500 answer', () => {
  const stubClient = () => ctx.client({ baseUrl: stub.url });
  const failure = async (call: Promise<unknown>) => {
    const error = await call.then(
      () => expect.fail('the call resolved'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ClipApiError);
    return (error as ClipApiError).message;
  };
  const HINT = "(a text may exceed CLIP's 77-token context)";

  it('to a request that carried texts says a text may exceed the context', async () => {
    stub.answer = reply(500, { message: 'Internal error.' });
    expect(await failure(stubClient().embedText({ text: 'a cat' }))).toBe(`HTTP 500 from /clip/embed_text: Internal error. ${HINT}`);
    expect(await failure(stubClient().compare({ subject: IMG, prompt: ['a cat'] }))).toContain(HINT);
    expect(await failure(stubClient().compare({ subject: 'a cat', subject_type: 'text', prompt: IMG, prompt_type: 'image' }))).toContain(HINT);
  });

  it('to a request of images only carries no such hint', async () => {
    stub.answer = reply(500, { message: 'Internal error.' });
    expect(await failure(stubClient().embedImage({ image: IMG }))).toBe('HTTP 500 from /clip/embed_image: Internal error.');
    expect(await failure(stubClient().compare({ subject: IMG, prompt: IMG, prompt_type: 'image' }))).not.toContain('77-token');
  });

  it('other statuses carry no such hint', async () => {
    stub.answer = reply(400, { message: 'Bad request.' });
    expect(await failure(stubClient().embedText({ text: 'a cat' }))).toBe('HTTP 400 from /clip/embed_text: Bad request.');
  });
});
