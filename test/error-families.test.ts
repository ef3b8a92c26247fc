import { describe, expect, it } from 'vitest';
import {
  ClipApiError,
  ClipAuthenticationError,
  ClipBatchError,
  ClipConnectionError,
  ClipError,
  ClipRateLimitError,
  ClipRequestError,
  ClipResponseError,
  ClipServerError,
  ClipValidationError,
  EmbeddingIndexError,
} from '../src/index.js';
import { reply, useStub } from './helpers/http.js';
import { useMockClient } from './helpers/mock-client.js';

const ctx = useMockClient();
const stub = useStub();
const stubClient = () => ctx.client({ baseUrl: stub.url });

async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(() => expect.fail('the call resolved'), (error: unknown) => error);
}

describe('errors by family', () => {
  it.each([
    [401, ClipAuthenticationError],
    [403, ClipAuthenticationError],
    [429, ClipRateLimitError],
    [500, ClipServerError],
    [503, ClipServerError],
  ] as const)('HTTP %i is a %o, a ClipApiError and a ClipRequestError', async (status, type) => {
    stub.answer = reply(status, { message: 'no' });
    const error = await rejection(stubClient().embedText({ text: 'a cat' }));
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(ClipApiError);
    expect(error).toBeInstanceOf(ClipRequestError);
    expect((error as ClipApiError).name).toBe(type.name);
    expect((error as ClipApiError).status).toBe(status);
  });

  it('keeps other statuses plain ClipApiErrors', async () => {
    stub.answer = reply(422, { detail: 'bad' });
    const error = await rejection(stubClient().embedText({ text: 'a cat' }));
    expect((error as Error).constructor).toBe(ClipApiError);
    for (const family of [ClipAuthenticationError, ClipRateLimitError, ClipServerError]) expect(error).not.toBeInstanceOf(family);
  });

  it('wraps what is not a ClipError in one, so that ClipBatchError.cause always is', () => {
    const failure = new TypeError('blob read failed');
    const error = new ClipBatchError({ start: 0, end: 1, completed: 0, cause: failure });
    expect(error.cause).toBeInstanceOf(ClipError);
    expect(error.cause.message).toBe('blob read failed');
    expect(error.cause.cause).toBe(failure);
    const own = new ClipValidationError([{ path: [], message: 'x' }]);
    expect(new ClipBatchError({ start: 0, end: 1, completed: 0, cause: own }).cause).toBe(own);
  });
});

describe('request ids', () => {
  it("puts the server's x-request-id on ClipApiError", async () => {
    stub.answer = reply(400, { message: 'bad image' }, { 'x-request-id': 'req-400' });
    const error = (await rejection(stubClient().embedText({ text: 'a cat' }))) as ClipApiError;
    expect(error.requestId).toBe('req-400');
  });

  it("puts the server's x-request-id on ClipResponseError", async () => {
    stub.answer = reply(200, { embeddings: [] }, { 'x-request-id': 'req-200' });
    const error = (await rejection(stubClient().embedText({ text: 'a cat' }))) as ClipResponseError;
    expect(error).toBeInstanceOf(ClipResponseError);
    expect(error.requestId).toBe('req-200');
  });

  it('leaves requestId undefined when the server sends none', async () => {
    stub.answer = reply(400, { message: 'bad image' });
    const error = (await rejection(stubClient().embedText({ text: 'a cat' }))) as ClipApiError;
    expect(error.requestId).toBeUndefined();
  });
});

describe('instanceof across copies of the package', () => {
  // A second instance of the errors module, as a second build of the package loaded in the same process has.
  const copy = () =>
    // @ts-expect-error: TypeScript knows no module by this name; Vite loads the file a second time for the query string.
    import('../src/errors/errors.js?second-copy') as Promise<typeof import('../src/errors/errors.js')>;

  it('recognises the errors of another copy by their class, and refuses other classes', async () => {
    const other = await copy();
    expect(other.ClipApiError).not.toBe(ClipApiError);
    const error = new other.ClipRateLimitError({ status: 429, headers: {}, body: null });
    expect(error).toBeInstanceOf(ClipRateLimitError);
    expect(error).toBeInstanceOf(ClipApiError);
    expect(error).toBeInstanceOf(ClipRequestError);
    expect(error).toBeInstanceOf(ClipError);
    expect(error).not.toBeInstanceOf(ClipServerError);
    expect(error).not.toBeInstanceOf(ClipConnectionError);
    expect(new ClipServerError({ status: 500, headers: {}, body: null })).toBeInstanceOf(other.ClipApiError);
    expect(new other.EmbeddingIndexError('invalid_file', 'x')).toBeInstanceOf(EmbeddingIndexError);
  });

  it('checks a subclass of your own natively', async () => {
    class MyError extends ClipApiError {}
    const other = await copy();
    expect(new MyError({ status: 400, headers: {}, body: null })).toBeInstanceOf(MyError);
    expect(new other.ClipApiError({ status: 400, headers: {}, body: null })).not.toBeInstanceOf(MyError);
    expect(new MyError({ status: 400, headers: {}, body: null })).toBeInstanceOf(other.ClipApiError);
  });

  it('is false for values that are not errors of the SDK', () => {
    for (const value of [null, undefined, 1, 'ClipError', {}, new Error('x'), Object.create(null)]) expect(value instanceof ClipError).toBe(false);
  });
});
