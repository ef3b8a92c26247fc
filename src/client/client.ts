/**
 * `ClipClient`: options resolved once, then one short method per route and helper; every request
 * goes through the pipeline in `request/pipeline.ts`.
 */
import {
  checkBatchInputs,
  compareInBatches,
  firstPrompts,
  resolveBatchOptions,
  runBatches,
  type BatchInputs,
  type CompareManyOptions,
} from '../jobs/batch.js';
import {
  batchRequestOptions,
  checkListInputs,
  embeddingItems,
  embeddingJob,
  IMAGE_BATCHES,
  inFormat,
  keepsFloat32,
  runEmbeddingJob,
  TEXT_BATCHES,
  type BatchJobOptions,
  type EmbeddingList,
  type EmbeddingStreamItem,
  type StreamJobOptions,
} from '../jobs/embeddings.js';
import { checkIndexList, resolveIndexJob, runIndexJob, type IndexReport, type IndexSourceItem } from '../jobs/index-images.js';
import { streamBatches } from '../jobs/stream.js';
import {
  LabelEmbeddingCache,
  parseClassifyRequest,
  rankLabels,
  type Classification,
  type ClassifyOptions,
  type Labels,
} from '../jobs/classify.js';
import { checkStoreMatchesClient, searchStore } from '../jobs/search.js';
import { ClipBatchError, invalidOption, type ResponseHeaders } from '../errors/errors.js';
import type { CallLimits } from '../request/pipeline.js';
import type { SearchHit } from '../vectors/embedding-index.js';
import type { VectorStore } from '../vectors/store.js';
import type { ClipVersion } from '../wire/clip-versions.js';
import type { ImageInput } from '../wire/images.js';
import { embeddingsCheck, similarityCheck, withMeta, type CompareResult, type EmbeddingResult, type WithMeta } from '../wire/responses.js';
import {
  clipVersionField,
  compareRequestSchema,
  embedImageRequestSchema,
  embedTextRequestSchema,
  MAX_ITEMS_PER_REQUEST,
  type CompareRequest,
  type EmbedImageRequest,
  type EmbedTextRequest,
  type ComparePrompts,
  type SimilarityOf,
} from '../wire/schemas.js';
import { asObject, validate } from '../wire/validate.js';
import type { TransportLease } from './lifecycle.js';
import { BATCH_JOB_OPTION_NAMES, BATCH_OPTION_NAMES, checkOptionNames, CLASSIFY_OPTION_NAMES, CLIENT_OPTION_NAMES } from './option-names.js';
import { COMPARE_IMAGE_FIELDS, IMAGE_FIELDS, readAndValidate, RouteSender } from './route-sender.js';
import { callLimits, resolveOptions, type ClipClientOptions, type RequestOptions, type ResolvedOptions } from './options.js';

export type { ApiKeyTransport, ClipClientOptions, RequestOptions } from './options.js';
export type { BatchJobOptions } from '../jobs/embeddings.js';


/** Options a `withOptions` copy cannot change: they choose the pool and the cache it shares. */
const SHARED_OPTIONS = ['baseUrl', 'fetch', 'dispatcher', 'labelCacheSize'] as const satisfies readonly (keyof ClipClientOptions)[];

/** What a `withOptions` copy takes over from its parent, handed to the constructor it calls. */
let inherited: { lease: TransportLease; labels: LabelEmbeddingCache } | undefined;

/** Client of the Roboflow CLIP routes: `embed_image`, `embed_text` and `compare`. */
export class ClipClient {
  /** The server URL; the first one when several were given. */
  readonly baseUrl: string;
  /** Every server URL requests are spread across. */
  readonly baseUrls: readonly string[];
  readonly #options: ResolvedOptions;
  readonly #labelEmbeddings: LabelEmbeddingCache;
  readonly #routes: RouteSender;
  readonly #given: ClipClientOptions;

  constructor(options: ClipClientOptions = {}) {
    const parent = inherited;
    inherited = undefined;
    this.#options = resolveOptions(options, parent?.lease);
    this.#given = { ...options };
    this.baseUrls = this.#options.baseUrls;
    this.baseUrl = this.baseUrls[0]!;
    this.#routes = new RouteSender(this.#options);
    this.#labelEmbeddings = parent?.labels ?? new LabelEmbeddingCache(this.#options.labelCacheSize);
  }

  /**
   * A copy of this client with some options changed (a shorter `timeoutMs`, other `headers`, another
   * `clipVersion`), sharing its connection pool and label cache. Closing the copy only stops the copy;
   * closing this client closes the pool for both. `baseUrl`, `fetch`, `dispatcher` and
   * `labelCacheSize` choose what is shared, so they cannot change: make a new client for those.
   */
  withOptions(options: Omit<ClipClientOptions, 'baseUrl' | 'fetch' | 'dispatcher' | 'labelCacheSize'>): ClipClient {
    checkOptionNames(options, CLIENT_OPTION_NAMES, 'Invalid withOptions() options');
    for (const name of SHARED_OPTIONS) {
      if (name in options) throw invalidOption(name, 'is shared with the client a copy is made from; create a new ClipClient to change it', 'Invalid withOptions() options');
    }
    inherited = { lease: this.#options.transport.share(), labels: this.#labelEmbeddings };
    try {
      return new ClipClient({ ...this.#given, ...options });
    } finally {
      inherited = undefined;
    }
  }

  /** The CLIP model this client requests (`clipVersion` option), or undefined for the server's default. */
  get clipVersion(): ClipVersion | undefined {
    return this.#options.clipVersion;
  }

  /** Embeds 1 to 8 images; resolves to one embedding per image, in order. */
  async embedImage(request: EmbedImageRequest, options?: RequestOptions): Promise<EmbeddingResult> {
    const limits = this.#limits(options);
    const payload = await readAndValidate(embedImageRequestSchema(), request, IMAGE_FIELDS, limits);
    return this.#routes.send('/clip/embed_image', payload, embeddingsCheck, limits, options);
  }

  /** Embeds one text or a list of texts; resolves to one embedding per text, in order. */
  async embedText(request: EmbedTextRequest, options?: RequestOptions): Promise<EmbeddingResult> {
    const payload = validate(embedTextRequestSchema(), asObject(request), this.#options.maxRequestBytes);
    return this.#routes.send('/clip/embed_text', payload, embeddingsCheck, callLimits(this.#options, options), options);
  }

  /**
   * Cosine similarity of one subject against 1 to 8 prompts, in prompt order, or keyed like a
   * name-map prompt. `subject_type` defaults to `'image'`, `prompt_type` to `'text'`.
   */
  compare<P extends ComparePrompts>(request: CompareRequest & { prompt: P }, options?: RequestOptions): Promise<CompareResult<SimilarityOf<P>>>;
  compare(request: CompareRequest, options?: RequestOptions): Promise<CompareResult>;
  async compare(request: CompareRequest, options?: RequestOptions): Promise<CompareResult> {
    const limits = this.#limits(options);
    const payload = await readAndValidate(compareRequestSchema(), request, COMPARE_IMAGE_FIELDS, limits);
    return this.#routes.send('/clip/compare', payload, similarityCheck, limits, options);
  }

  /**
   * Zero-shot classification of one image: resolves to every label with its CLIP probability
   * (`score`, softmax of 100 x cosine over the labels) and `similarity`, best first. Label
   * embeddings are cached, so once they are known a call sends just the image request.
   */
  async classify<L extends string>(
    image: ImageInput,
    labels: Labels<L>,
    options: ClassifyOptions & RequestOptions = {},
  ): Promise<Classification<L>[] & WithMeta> {
    checkOptionNames(options, CLASSIFY_OPTION_NAMES, 'Invalid classification');
    const { template, topK, ...request } = options;
    const { names, texts } = parseClassifyRequest(image, labels, { template, topK });
    const limits = this.#limits(request);
    // Validated up front, so that a bad image fails before any request, and then sent alongside the labels.
    const imagePayload = await readAndValidate(embedImageRequestSchema(), { image }, IMAGE_FIELDS, limits);
    const [embedded, vectors] = await Promise.all([
      this.#routes.send<EmbeddingResult>('/clip/embed_image', imagePayload, embeddingsCheck, limits, request),
      this.#labelEmbeddings.embed(this.clipVersion ?? '', texts, (missing) => this.#embedLabels(missing), limits),
    ]);
    // The metadata is the image request's: the one request every classification makes.
    return withMeta(rankLabels(embedded.embeddings[0]!, names as L[], vectors, topK), embedded.meta);
  }

  /**
   * Labels not yet cached, sent like `embedTexts` with the client's own options, as other calls may
   * share them; a failed request rejects with its own error, as `embedText` would.
   */
  async #embedLabels(texts: string[]): Promise<number[][]> {
    try {
      const job = resolveBatchOptions({}, TEXT_BATCHES);
      return await runBatches(texts, job, async (text, signal) => (await this.embedText({ text }, { signal })).embeddings);
    } catch (error) {
      throw error instanceof ClipBatchError ? error.cause : error;
    }
  }

  /** Embeds `query` and resolves to the `k` entries of `store` (an `EmbeddingIndex` or any `VectorStore`) most similar to it, best first. */
  searchText<M>(store: VectorStore<M>, query: string, k = 10, options?: RequestOptions): Promise<SearchHit<M>[] & Partial<WithMeta>> {
    return searchStore(store, k, this.clipVersion, (version) => this.embedText({ text: query, ...version }, options));
  }

  /** Embeds `image` and resolves to the `k` entries of `store` (an `EmbeddingIndex` or any `VectorStore`) most similar to it, best first. */
  searchImage<M>(store: VectorStore<M>, image: ImageInput, k = 10, options?: RequestOptions): Promise<SearchHit<M>[] & Partial<WithMeta>> {
    return searchStore(store, k, this.clipVersion, (version) => this.embedImage({ image, ...version }, options));
  }

  /**
   * Embeds any number of images, `batchSize` (at most 8) per request and `concurrency` requests at
   * a time; resolves to one embedding per image, in input order, with `meta` (requests, time), or
   * with `embeddingFormat: 'matrix'` to one `EmbeddingMatrix` of them all. A list is checked whole
   * before the first request; an async iterable (a stream of file reads, say) is read as the job
   * goes. A failed request (after its retries) stops the job with `ClipBatchError`, which keeps every
   * result that completed; with `onError: 'skip'` the job goes on and the failed inputs are holes,
   * listed in the result's `failed`.
   */
  async embedImages<O extends BatchJobOptions = {}>(images: BatchInputs<ImageInput>, options?: O & BatchJobOptions): Promise<EmbeddingList<O>> {
    const job = this.#embeddingJob(images, 'image', options, 'list');
    return (await runEmbeddingJob(images, job, options?.embeddingFormat, (batch, signal, released) => this.#embedImageBatch(batch, options, signal, released))) as EmbeddingList<O>;
  }

  /** Like `embedImages`, for texts: 32 per request by default, any number allowed. */
  async embedTexts<O extends BatchJobOptions = {}>(texts: BatchInputs<string>, options?: O & BatchJobOptions): Promise<EmbeddingList<O>> {
    const job = this.#embeddingJob(texts, 'text', options, 'list');
    return (await runEmbeddingJob(texts, job, options?.embeddingFormat, (batch, signal, released) => this.#embedTextBatch(batch, options, signal, released))) as EmbeddingList<O>;
  }

  /**
   * Like `embedImages` (any format but `'matrix'`), as an async iterable of `{ index, embedding }` in
   * input order, yielded as results arrive: at most `concurrency` requests run and as many batches
   * wait for the consumer, so a slow loop holds new requests back. Leaving the loop early cancels the
   * requests in flight and closes the source. With `onError: 'skip'`, failed inputs come as `{ index, error }`.
   */
  embedImagesStream<O extends StreamJobOptions = {}>(images: BatchInputs<ImageInput>, options?: O & StreamJobOptions): AsyncIterableIterator<EmbeddingStreamItem<O>> {
    const job = this.#embeddingJob(images, 'image', options, 'stream');
    return embeddingItems(streamBatches(images, job, (batch, signal, released) => this.#embedImageBatch(batch, options, signal, released))) as AsyncIterableIterator<EmbeddingStreamItem<O>>;
  }

  /** Like `embedImagesStream`, for texts: 32 per request by default. */
  embedTextsStream<O extends StreamJobOptions = {}>(texts: BatchInputs<string>, options?: O & StreamJobOptions): AsyncIterableIterator<EmbeddingStreamItem<O>> {
    const job = this.#embeddingJob(texts, 'text', options, 'stream');
    return embeddingItems(streamBatches(texts, job, (batch, signal, released) => this.#embedTextBatch(batch, options, signal, released))) as AsyncIterableIterator<EmbeddingStreamItem<O>>;
  }

  /**
   * Embeds a collection into `store` (an `EmbeddingIndex` or any `VectorStore`): `source` yields
   * `{ id, image, metadata? }`; ids the store already has are skipped, so a rerun resumes; each
   * batch is written with one `addMany` as it arrives. Resolves to `{ added, skipped, failed }`.
   * With `onError: 'skip'` a failed request does not stop the job (a batch the server refused for
   * one image is retried image by image), and its entries are reported in `failed`.
   */
  async indexImages<M>(
    store: VectorStore<M>,
    source: BatchInputs<IndexSourceItem<M>>,
    options: Omit<BatchJobOptions, 'embeddingFormat'> = {},
  ): Promise<IndexReport> {
    checkOptionNames(options, BATCH_JOB_OPTION_NAMES, 'Invalid batch options');
    checkBatchInputs(source, 'entries');
    const job = resolveIndexJob(options);
    checkIndexList(source, (images) => checkListInputs(images, 'image'));
    const clipVersion = checkStoreMatchesClient(store, options.clipVersion ?? this.clipVersion);
    return runIndexJob(store, source, job, async (image, signal, released) => {
      // Stores keep float32: the vectors are read as such.
      const { embeddings } = await this.embedImage({ image, ...clipVersionField(clipVersion) }, batchRequestOptions(options, signal, released, true));
      return embeddings;
    });
  }

  /** A job's checks before anything is read or sent: the option names, then `embeddingJob`'s. */
  #embeddingJob(inputs: unknown, kind: 'image' | 'text', options: BatchJobOptions = {}, helper: 'list' | 'stream') {
    checkOptionNames(options, BATCH_JOB_OPTION_NAMES, 'Invalid batch options');
    return embeddingJob(inputs, kind, options, helper);
  }

  async #embedImageBatch(image: ImageInput[], options: BatchJobOptions = {}, signal: AbortSignal, released: () => void) {
    const { embeddings } = await this.embedImage({ image, ...clipVersionField(options.clipVersion) }, batchRequestOptions(options, signal, released, keepsFloat32(options.embeddingFormat)));
    return inFormat(embeddings, options.embeddingFormat);
  }

  async #embedTextBatch(text: string[], options: BatchJobOptions = {}, signal: AbortSignal, released: () => void) {
    const { embeddings } = await this.embedText({ text, ...clipVersionField(options.clipVersion) }, batchRequestOptions(options, signal, released, keepsFloat32(options.embeddingFormat)));
    return inFormat(embeddings, options.embeddingFormat);
  }

  /**
   * Like `compare`, for any number of prompts (a list or a name map): sent `batchSize` (at most 8)
   * prompts per request, `concurrency` requests at a time, merged back in prompt order (a name map
   * keeps its key order). Failures reject like `embedImages`.
   */
  compareMany<P extends ComparePrompts>(request: CompareRequest & { prompt: P }, options?: CompareManyOptions): Promise<{ similarity: SimilarityOf<P> }>;
  compareMany(request: CompareRequest, options?: CompareManyOptions): Promise<{ similarity: number[] | Record<string, number> }>;
  async compareMany(request: CompareRequest, options: CompareManyOptions = {}): Promise<{ similarity: number[] | Record<string, number> }> {
    checkOptionNames(options, BATCH_OPTION_NAMES, 'Invalid batch options');
    // One similarity missing would leave the others unplaceable in a name map: a compare job always stops at a failure.
    const job = resolveBatchOptions({ ...options, onError: 'stop' }, IMAGE_BATCHES);
    const body = asObject(request);
    // The subject and the first prompts are checked before any request, and a Blob subject is read once.
    const head = await readAndValidate(compareRequestSchema(), firstPrompts(body, MAX_ITEMS_PER_REQUEST), COMPARE_IMAGE_FIELDS, { signal: job.signal, deadlineMs: Infinity });
    return compareInBatches({ ...body, subject: head.subject }, job, async (part, signal, released) => {
      const { similarity } = await this.compare(part as unknown as CompareRequest, batchRequestOptions(options, signal, released));
      return similarity;
    });
  }

  /**
   * Releases the client's own connection pool (a dispatcher passed in options is left open); a
   * `withOptions` copy only stops itself. Later calls fail at once with a `ClipError` saying the
   * client is closed. Calling it again does nothing more.
   */
  close(): Promise<void> {
    return this.#options.transport.close();
  }

  /** A call's limits, its time counted from now: the reading of Blob inputs is part of the call. */
  #limits(options: RequestOptions | undefined): CallLimits {
    return callLimits(this.#options, options, performance.now());
  }

  /** Keeps the key out of `console.log(client)` and `util.inspect`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ClipClient { baseUrl: '${this.baseUrl}', apiKey: ${this.#options.secrets.length > 0 ? "'***'" : 'none'} }`;
  }
}

export type { CompareManyOptions } from '../jobs/batch.js';

export type { ResponseHeaders };
