/**
 * Embedding jobs: what their options and results look like, the check of a whole list before its
 * first request, and the shape of the vectors handed back.
 */
import { ClipApiError, ClipValidationError, type ValidationIssue } from '../errors/errors.js';
import type { ClipVersion } from '../wire/clip-versions.js';
import { MAX_ITEMS_PER_REQUEST, toWireImage } from '../wire/images.js';
import { checkBatchInputs, DEFAULT_TEXT_BATCH_SIZE, resolveBatchOptions, runBatches, type BatchInputs, type BatchOptions, type BatchResults, type ResolvedBatchOptions } from './batch.js';
import { runMatrixJob, type EmbeddingMatrix } from './embedding-matrix.js';
import type { BatchOutcome } from './stream.js';

/**
 * How a job hands back its vectors: `'number'` (each a `number[]`), `'float32'` (each a
 * `Float32Array`, half the memory), or, for the list helpers only, `'matrix'` (one
 * `EmbeddingMatrix`: every vector in a single `Float32Array`, with no object per vector).
 */
export type EmbeddingFormat = 'number' | 'float32' | 'matrix';

/** Options of a batch job: see `BatchOptions`; `clipVersion` applies to every request of the job. */
export interface BatchJobOptions extends BatchOptions {
  /** CLIP model for every request of the job. Default: the client's `clipVersion`. */
  clipVersion?: ClipVersion | undefined;
  /**
   * Each vector as a `number[]` or as a `Float32Array`, or (`embedTexts` and `embedImages` only)
   * all of them as one `EmbeddingMatrix`. Default: `'number'`.
   */
  embeddingFormat?: EmbeddingFormat | undefined;
}

/** Options of a stream helper: those of a batch job, but a stream yields one vector at a time, so never `'matrix'`. */
export interface StreamJobOptions extends BatchJobOptions {
  /** Each vector as a `number[]` or as a `Float32Array`. Default: `'number'`. */
  embeddingFormat?: 'number' | 'float32' | undefined;
}

/** The type of option `K` in options `O`, `undefined` when not given. */
type Field<O, K extends string> = K extends keyof O ? O[K] : undefined;

/** The vector type a job's options give: `Float32Array` for `embeddingFormat: 'float32'`, else `number[]`. */
export type EmbeddingOf<O> = [Field<O, 'embeddingFormat'>] extends ['float32']
  ? Float32Array
  : [Field<O, 'embeddingFormat'>] extends ['number' | undefined]
    ? number[]
    : number[] | Float32Array;

/** Whether a job's options let it go on past a failed request (`onError: 'skip'`). */
type Skips<O> = [Field<O, 'onError'>] extends ['skip'] ? true : [Field<O, 'onError'>] extends ['stop' | undefined] ? false : boolean;

/** One item of an embedding stream: an input's embedding, or (with `onError: 'skip'`) the error its request ended in. */
export type EmbeddingItem<E = number[]> = { index: number; embedding: E; error?: undefined } | { index: number; embedding?: undefined; error: unknown };

/** What an embedding stream with options `O` yields. */
export type EmbeddingStreamItem<O> = Skips<O> extends false ? { index: number; embedding: EmbeddingOf<O>; error?: undefined } : EmbeddingItem<EmbeddingOf<O>>;

/** The list of vectors a list helper with options `O` resolves to, in the `'number'` and `'float32'` formats. */
type VectorList<O> = BatchResults<Skips<O> extends false ? EmbeddingOf<O> : EmbeddingOf<O> | undefined>;

/**
 * What a list helper with options `O` resolves to: one vector per input in input order, with
 * non-enumerable `meta` and `failed`. With `onError: 'skip'`, a failed input's place is a hole
 * (`undefined`), and `failed` lists it with its error. With `embeddingFormat: 'matrix'`, one
 * `EmbeddingMatrix` holding every vector.
 */
export type EmbeddingList<O> = [Field<O, 'embeddingFormat'>] extends ['matrix']
  ? EmbeddingMatrix
  : [Field<O, 'embeddingFormat'>] extends ['number' | 'float32' | undefined]
    ? VectorList<O>
    : VectorList<O> | EmbeddingMatrix;

/** Problems reported for a list before its first request; the rest are counted, so that a huge bad list costs little. */
const MAX_LISTED_PROBLEMS = 10;

/**
 * Checks every input of an in-memory list before the first request, so that a bad one late in the
 * list fails the job before anything is sent (and billed). Other iterables are read as the job
 * goes and can only be checked a batch at a time.
 */
export function checkListInputs(inputs: unknown, kind: 'image' | 'text'): void {
  if (!Array.isArray(inputs)) return;
  const issues: ValidationIssue[] = [];
  let problems = 0;
  for (let i = 0; i < inputs.length; i++) {
    const problem = kind === 'text' ? textProblem(inputs[i]) : imageProblem(inputs[i]);
    if (problem === undefined) continue;
    if (++problems <= MAX_LISTED_PROBLEMS) issues.push({ path: [i], message: problem });
  }
  if (problems === 0) return;
  const more = problems - issues.length;
  const context = `Invalid ${kind}s, nothing was sent${more > 0 ? ` (${problems} inputs refused)` : ''}`;
  throw new ClipValidationError(issues, context);
}

function textProblem(text: unknown): string | undefined {
  if (typeof text !== 'string') return `expected a string, got ${text === null ? 'null' : Array.isArray(text) ? 'a list' : typeof text}`;
  if (text === '') return 'text must not be empty';
}

/** Bytes and Blobs are checked only for being non-empty: encoding them here would do the request's work twice. */
function imageProblem(image: unknown): string | undefined {
  if (image instanceof Blob) return image.size === 0 ? 'image bytes are empty' : undefined;
  if (image instanceof Uint8Array || image instanceof ArrayBuffer) return image.byteLength === 0 ? 'image bytes are empty' : undefined;
  const wire = toWireImage(image);
  return typeof wire === 'string' ? wire : undefined;
}

/**
 * Whether a failed request of several inputs may have failed for one of them (the server could
 * not decode an image, or a body was too large), so that sending each alone keeps the good ones.
 */
export function blamesInputs(error: unknown): boolean {
  return error instanceof ClipValidationError || (error instanceof ClipApiError && (error.status === 400 || error.status === 413));
}

/**
 * The vectors of one response in the job's format. Float32 vectors of one response are views of
 * one buffer: an ArrayBuffer of its own would cost each vector some 150 bytes more.
 */
export function inFormat(embeddings: (number[] | Float32Array)[], format: EmbeddingFormat | undefined): (number[] | Float32Array)[] {
  // Answers read as float32 come as views of one buffer already.
  if (format !== 'float32' || embeddings[0] instanceof Float32Array) return embeddings;
  const dimension = embeddings[0]?.length ?? 0;
  const buffer = new Float32Array(embeddings.length * dimension);
  return embeddings.map((vector, i) => {
    const view = buffer.subarray(i * dimension, (i + 1) * dimension);
    view.set(vector);
    return view;
  });
}

/**
 * Refuses an `embeddingFormat` the job cannot give; `oneAtATime` names a job that yields its vectors
 * one at a time (a stream, `indexImages`), which cannot give `'matrix'`.
 */
export function checkEmbeddingFormat(format: unknown, oneAtATime?: string): void {
  const problem =
    format === 'matrix' && oneAtATime
      ? `${oneAtATime} yields one vector at a time: use "float32", not "matrix"`
      : format === undefined || format === 'number' || format === 'float32' || format === 'matrix'
        ? undefined
        : `must be "number", "float32" or "matrix", got ${String(format)}`;
  if (problem) throw new ClipValidationError([{ path: ['embeddingFormat'], message: problem }], 'Invalid batch options');
}

/** A list helper's job: its vectors in the job's format, as a list (`runBatches`) or as one `EmbeddingMatrix`. */
export function runEmbeddingJob<T>(
  inputs: BatchInputs<T>,
  job: ResolvedBatchOptions,
  format: EmbeddingFormat | undefined,
  send: (items: T[], signal: AbortSignal, released: () => void) => Promise<readonly (number[] | Float32Array)[]>,
): Promise<BatchResults<number[] | Float32Array> | EmbeddingMatrix> {
  return format === 'matrix' ? runMatrixJob(inputs, job, send) : runBatches(inputs, job, send);
}

/** A job's outcomes as embedding stream items. */
export async function* embeddingItems<R>(outcomes: AsyncGenerator<BatchOutcome<R>>): AsyncGenerator<{ index: number; embedding?: R; error?: unknown }> {
  for await (const outcome of outcomes) yield 'error' in outcome ? outcome : { index: outcome.index, embedding: outcome.value as R };
}

/** Images and compare prompts: 8 per request, the server's limit. */
export const IMAGE_BATCHES = { defaultBatchSize: MAX_ITEMS_PER_REQUEST, maxBatchSize: MAX_ITEMS_PER_REQUEST };
/** Texts: 32 per request by default, any number allowed. */
export const TEXT_BATCHES = { defaultBatchSize: DEFAULT_TEXT_BATCH_SIZE, maxBatchSize: Number.POSITIVE_INFINITY };

/**
 * A job's checks before anything is read or sent: the inputs, the options (a stream's refuse
 * `'matrix'`), and a list's every item.
 */
export function embeddingJob(inputs: unknown, kind: 'image' | 'text', options: BatchJobOptions, helper: 'list' | 'stream') {
  checkBatchInputs(inputs, `${kind}s`);
  const job = resolveBatchOptions(options, kind === 'image' ? IMAGE_BATCHES : TEXT_BATCHES);
  checkEmbeddingFormat(options.embeddingFormat, helper === 'stream' ? 'a stream' : undefined);
  checkListInputs(inputs, kind);
  return { ...job, retryAlone: blamesInputs };
}

/**
 * The request option, not part of the public ones, by which a batch job hears that a request's
 * answer has arrived (see `streamBatches`' `released`).
 */
export const ON_ANSWER = Symbol('roboflow-clip.on-answer');

/** The request option, not part of the public ones, by which a job that keeps float32 vectors has them read as such. */
export const AS_FLOAT32 = Symbol('roboflow-clip.as-float32');

/**
 * Per-request options of a batch job's requests; `released` frees the request's slot once its
 * answer is in; `float32`: the job keeps its vectors as float32, so they are read as Float32Arrays.
 */
export function batchRequestOptions(options: BatchOptions, signal: AbortSignal | undefined, released?: () => void, float32 = false) {
  return { signal, timeoutMs: options.timeoutMs, maxRetries: options.maxRetries, extraBody: options.extraBody, [ON_ANSWER]: released, [AS_FLOAT32]: float32 };
}

/** Whether a job's vectors end up as float32, so that its answers may be read straight into Float32Arrays. */
export function keepsFloat32(format: EmbeddingFormat | undefined): boolean {
  return format === 'float32' || format === 'matrix';
}
