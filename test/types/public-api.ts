// Uses of the public API that must compile under exactOptionalPropertyTypes and
// noUncheckedIndexedAccess, and, marked @ts-expect-error, mistakes that must not.
import { fetch as undiciFetch } from 'undici';
import {
  ClipApiError,
  ClipClient,
  ClipError,
  ClipRateLimitError,
  ClipRequestError,
  type BatchOptions,
  type ClassifyOptions,
  type ClipClientOptions,
  type CompareRequest,
  type EmbeddingMatrix,
  type FetchFunction,
  type RequestOptions,
  type RetryOn,
} from 'roboflow-clip';
import { EmbeddingIndex, type EmbeddingIndexOptions } from 'roboflow-clip/vectors';
import { startMockServer } from 'roboflow-clip/testing';

declare const maybeString: string | undefined;
declare const maybeNumber: number | undefined;
declare const maybeSignal: AbortSignal | undefined;

// Every optional option accepts undefined, as a value read from the environment often is.
export const fromEnvironment = new ClipClient({ apiKey: process.env.ROBOFLOW_API_KEY, baseUrl: maybeString, timeoutMs: maybeNumber });
const clientOptions: ClipClientOptions = { logger: undefined, headers: undefined, retryOn: { statuses: undefined, timeouts: undefined } };
const requestOptions: RequestOptions = { signal: maybeSignal, timeoutMs: maybeNumber, deadlineMs: undefined, maxRetries: undefined };
const classifyOptions: ClassifyOptions = { topK: maybeNumber, template: maybeString };
const batchOptions: BatchOptions = { batchSize: maybeNumber, concurrency: undefined, onProgress: undefined, signal: maybeSignal };
const retryOn: RetryOn = { statuses: undefined };
const indexOptions: EmbeddingIndexOptions = { dimension: maybeNumber, clipVersion: maybeString };
export const used = [clientOptions, requestOptions, classifyOptions, batchOptions, retryOn, indexOptions];
export const mock = startMockServer({ faults: undefined, apiKey: maybeString, latencyMs: maybeNumber });

// FetchFunction takes the DOM's fetch, undici's, and plain wrappers of either.
export const fetches: FetchFunction[] = [fetch, undiciFetch, (url, init) => fetch(url, init), (url, init) => undiciFetch(url, init)];
export const viaFetch = new ClipClient({ fetch: (url, init) => fetch(url, init) });

export async function compareResults(clip: ClipClient): Promise<number> {
  const named = await clip.compare({ subject: 'https://example.com/a.jpg', prompt: { cat: 'a cat', dog: 'a dog' } });
  const cat: number = named.similarity.cat;
  // @ts-expect-error: a misspelt prompt name is a type error
  named.similarity.cta;
  const listed = await clip.compare({ subject: 'https://example.com/a.jpg', prompt: ['a cat', 'a dog'] });
  const first: number | undefined = listed.similarity[0];
  // @ts-expect-error: a list's similarity has no names
  listed.similarity.cat;
  const images = await clip.compare({ subject: 'a cat', subject_type: 'text', prompt: { a: 'https://example.com/a.jpg' }, prompt_type: 'image' });
  const a: number = images.similarity.a;

  // A request typed as plain CompareRequest may hold either form: the result says so.
  const request: CompareRequest = { subject: 'https://example.com/a.jpg', prompt: { cat: 'a cat' } };
  const either = await clip.compare(request);
  // @ts-expect-error: the similarity of a plain CompareRequest may be a list
  const assumed: Record<string, number> = either.similarity;
  // @ts-expect-error: ... or a name map
  const assumedList: number[] = either.similarity;
  const similarity: number[] | Record<string, number> = either.similarity;

  const imagePrompts: CompareRequest = { subject: 'a cat', subject_type: 'text', prompt: ['https://example.com/a.jpg'], prompt_type: 'image' };
  const imageResult = await clip.compare(imagePrompts);
  if (Array.isArray(imageResult.similarity)) imageResult.similarity.push(0);

  const many = await clip.compareMany({ subject: 'https://example.com/a.jpg', prompt: { cat: 'a cat', dog: 'a dog' } });
  const dog: number = many.similarity.dog;
  // @ts-expect-error: a misspelt prompt name is a type error in compareMany too
  many.similarity.dgo;
  const manyListed = await clip.compareMany({ subject: 'https://example.com/a.jpg', prompt: ['a', 'b'] });
  const second: number | undefined = manyListed.similarity[1];
  const manyEither = await clip.compareMany(request);
  // @ts-expect-error: compareMany of a plain CompareRequest may give a name map too
  const manyAssumed: number[] = manyEither.similarity;
  const manyKeys = Object.keys(manyEither.similarity).length + manyAssumed.length;

  // @ts-expect-error: an unknown request field is a type error
  await clip.compare({ subject: 'https://example.com/a.jpg', prompt: 'a cat', promt_type: 'text' });
  return manyKeys + cat + (first ?? 0) + a + dog + (second ?? 0) + Object.keys(similarity).length + Object.keys(assumed).length + assumedList.length;
}

export async function conveniences(clip: ClipClient): Promise<string | undefined> {
  const quick = clip.withOptions({ timeoutMs: maybeNumber, headers: { 'x-tenant': 't1' }, logLevel: 'warn' });
  // @ts-expect-error: a copy shares its parent's pool, so it cannot point elsewhere
  clip.withOptions({ baseUrl: 'http://127.0.0.1:9001' });
  const partial = new ClipClient({ logger: { warn: (message: string) => console.warn(message) }, logLevel: undefined });
  const labels = await quick.classify('https://example.com/a.jpg', ['cat', 'dog'], { topK: 1, headers: { 'x-trace-id': 'abc' } });
  const label: 'cat' | 'dog' | undefined = labels[0]?.label;
  // @ts-expect-error: an unknown option name is a type error
  await clip.embedText({ text: 'a cat' }, { timeout: 5 });
  await partial.close();
  return (label ?? '') + labels.meta.requestId;
}

/** True only when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export async function matrices(clip: ClipClient, texts: string[]): Promise<number> {
  const pending = clip.embedTexts(texts, { embeddingFormat: 'matrix' });
  const isMatrix: Equal<typeof pending, Promise<EmbeddingMatrix>> = true;
  const skipping: Equal<ReturnType<typeof clip.embedImages<{ embeddingFormat: 'matrix'; onError: 'skip' }>>, Promise<EmbeddingMatrix>> = true;
  const matrix = await pending;
  const row: Float32Array | undefined = matrix.row(0);
  const data: Float32Array = matrix.data;
  const rows: (Float32Array | undefined)[] = [...matrix];
  // @ts-expect-error: a matrix is not a list of vectors: its rows are read with row(i)
  matrix[0];
  // @ts-expect-error: a stream yields one vector at a time, never a matrix
  clip.embedTextsStream(texts, { embeddingFormat: 'matrix' });
  // The other formats still give lists.
  const numbers: number[][] = await clip.embedTexts(texts);
  const floats: Float32Array[] = await clip.embedTexts(texts, { embeddingFormat: 'float32' });
  return Number(isMatrix) + Number(skipping) + (row?.length ?? 0) + data.length + rows.length + matrix.failed.length + matrix.meta.requests + numbers.length + floats.length;
}

export function errors(error: unknown): string {
  if (error instanceof ClipRateLimitError) return error.headers['retry-after'] ?? '';
  if (error instanceof ClipRequestError) return `${error.attempts}`;
  if (error instanceof ClipApiError) return `${error.status}`;
  return error instanceof ClipError ? error.message : '';
}

export const index = new EmbeddingIndex<{ url: string }>({ clipVersion: 'ViT-B-16' });
