import {
  checkBatchInputs,
  compareInBatches,
  DEFAULT_TEXT_BATCH_SIZE,
  firstPrompts,
  resolveBatchOptions,
  runBatches,
  type BatchInputs,
  type BatchOptions,
} from '../jobs/batch.js';
import {
  LabelEmbeddingCache,
  parseClassifyRequest,
  rankLabels,
  type Classification,
  type ClassifyOptions,
  type Labels,
} from '../jobs/classify.js';
import { checkIndexMatchesClient, checkK, checkQueryDimension } from '../jobs/search.js';
import { ClipBatchError, type ResponseHeaders } from '../errors/errors.js';
import { RequestSender, type CallLimits, type ResponseCheck } from '../request/pipeline.js';
import { waitWithin } from '../request/wait.js';
import type { EmbeddingIndex, SearchHit } from '../vectors/embedding-index.js';
import type { ClipVersion } from '../wire/clip-versions.js';
import { readBlobs, type ImageInput } from '../wire/images.js';
import { checkEmbeddings, checkSimilarity, type CompareResult, type EmbeddingResult, type ResponseMeta } from '../wire/responses.js';
import {
  clipVersionField,
  compareRequestSchema,
  completeWirePayload,
  embedImageRequestSchema,
  embedTextRequestSchema,
  expectedEmbeddingCount,
  expectedSimilarityShape,
  MAX_ITEMS_PER_REQUEST,
  type CompareRequest,
  type EmbedImageRequest,
  type EmbedTextRequest,
  type NamedImagePrompts,
} from '../wire/schemas.js';
import { asObject, validate } from '../wire/validate.js';
import { callLimits, resolveOptions, type ClipClientOptions, type RequestOptions, type ResolvedOptions } from './options.js';

export type { ApiKeyTransport, ClipClientOptions, RequestOptions } from './options.js';

/** The prompts of a compare call given as a name map: the result is keyed the same way. */
type NamedPromptRequest =
  | (CompareRequest & { prompt: Record<string, string>; prompt_type?: 'text' })
  | (CompareRequest & { prompt: NamedImagePrompts; prompt_type: 'image' });

type Route = '/clip/embed_image' | '/clip/embed_text' | '/clip/compare';

const IMAGE_FIELDS = ['image'] as const;
/** Blob inputs are read within the call's limits: a read may never settle. */
const READING = 'its image inputs were read';
const COMPARE_IMAGE_FIELDS = ['subject', 'prompt'] as const;

/** Options of a batch job: see `BatchOptions`; `clipVersion` applies to every request of the job. */
export interface BatchJobOptions extends BatchOptions {
  /** CLIP model for every request of the job. Default: the client's `clipVersion`. */
  clipVersion?: ClipVersion;
}

const IMAGE_BATCHES = { defaultBatchSize: MAX_ITEMS_PER_REQUEST, maxBatchSize: MAX_ITEMS_PER_REQUEST };
const TEXT_BATCHES = { defaultBatchSize: DEFAULT_TEXT_BATCH_SIZE, maxBatchSize: Number.POSITIVE_INFINITY };

/** Client of the Roboflow CLIP routes: `embed_image`, `embed_text` and `compare`. */
export class ClipClient {
  /** The server URL; the first one when several were given. */
  readonly baseUrl: string;
  /** Every server URL requests are spread across. */
  readonly baseUrls: readonly string[];
  readonly #options: ResolvedOptions;
  readonly #sender: RequestSender;
  readonly #labelEmbeddings: LabelEmbeddingCache;

  constructor(options: ClipClientOptions = {}) {
    this.#options = resolveOptions(options);
    this.baseUrls = this.#options.baseUrls;
    this.baseUrl = this.baseUrls[0]!;
    this.#sender = new RequestSender(this.#options);
    this.#labelEmbeddings = new LabelEmbeddingCache(this.#options.labelCacheSize);
  }

  /** The CLIP model this client requests (`clipVersion` option), or undefined for the server's default. */
  get clipVersion(): ClipVersion | undefined {
    return this.#options.clipVersion;
  }

  /** Embeds 1 to 8 images; resolves to one embedding per image, in order. */
  async embedImage(request: EmbedImageRequest, options?: RequestOptions): Promise<EmbeddingResult> {
    const limits = this.#limits(options);
    const payload = validate(embedImageRequestSchema(), await waitWithin(readBlobs(asObject(request), IMAGE_FIELDS), limits, READING));
    const expected = expectedEmbeddingCount(payload);
    return this.#send('/clip/embed_image', payload, (body) => checkEmbeddings(body, expected), limits);
  }

  /** Embeds one text or a list of texts; resolves to one embedding per text, in order. */
  async embedText(request: EmbedTextRequest, options?: RequestOptions): Promise<EmbeddingResult> {
    const payload = validate(embedTextRequestSchema(), asObject(request), this.#options.maxRequestBytes);
    const expected = expectedEmbeddingCount(payload);
    return this.#send('/clip/embed_text', payload, (body) => checkEmbeddings(body, expected), callLimits(this.#options, options));
  }

  /**
   * Cosine similarity of one subject against 1 to 8 prompts, in prompt order, or keyed like a
   * name-map prompt. `subject_type` defaults to `'image'`, `prompt_type` to `'text'`.
   */
  compare(request: NamedPromptRequest, options?: RequestOptions): Promise<CompareResult<Record<string, number>>>;
  compare(request: CompareRequest, options?: RequestOptions): Promise<CompareResult<number[]>>;
  async compare(request: CompareRequest, options?: RequestOptions): Promise<CompareResult> {
    const limits = this.#limits(options);
    const payload = validate(compareRequestSchema(), await waitWithin(readBlobs(asObject(request), COMPARE_IMAGE_FIELDS), limits, READING));
    const expected = expectedSimilarityShape(payload);
    return this.#send('/clip/compare', payload, (body) => checkSimilarity(body, expected), limits);
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
  ): Promise<Classification<L>[]> {
    const { template, topK, ...request } = options;
    const { names, texts } = parseClassifyRequest(image, labels, { template, topK });
    const limits = this.#limits(request);
    // Validated up front, so that a bad image fails before any request, and then sent alongside the labels.
    const imagePayload = validate(embedImageRequestSchema(), await waitWithin(readBlobs({ image }, IMAGE_FIELDS), limits, READING));
    const [{ embeddings }, vectors] = await Promise.all([
      this.#send<EmbeddingResult>('/clip/embed_image', imagePayload, (body) => checkEmbeddings(body, 1), limits),
      this.#labelEmbeddings.embed(this.clipVersion ?? '', texts, (missing) => this.#embedLabels(missing), limits),
    ]);
    return rankLabels(embeddings[0]!, names as L[], vectors, topK);
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

  /** Embeds `query` and resolves to the `k` entries of `index` most similar to it, best first. */
  searchText<M>(index: EmbeddingIndex<M>, query: string, k = 10, options?: RequestOptions): Promise<SearchHit<M>[]> {
    return this.#search(index, k, (version) => this.embedText({ text: query, ...version }, options));
  }

  /** Embeds `image` and resolves to the `k` entries of `index` most similar to it, best first. */
  searchImage<M>(index: EmbeddingIndex<M>, image: ImageInput, k = 10, options?: RequestOptions): Promise<SearchHit<M>[]> {
    return this.#search(index, k, (version) => this.embedImage({ image, ...version }, options));
  }

  /**
   * Checks `k` and the index before any request, then embeds the query with the client's CLIP model,
   * or the index's when the client names none, so that the two always match.
   */
  async #search<M>(
    index: EmbeddingIndex<M>,
    k: number,
    embed: (version: { clip_version_id?: ClipVersion }) => Promise<EmbeddingResult>,
  ): Promise<SearchHit<M>[]> {
    checkK(k);
    checkIndexMatchesClient(index, this.clipVersion);
    const version = clipVersionField(this.clipVersion === undefined ? (index.clipVersion as ClipVersion | undefined) : undefined);
    const query = (await embed(version)).embeddings[0]!;
    checkQueryDimension(index, query);
    return index.search(query, k);
  }

  /**
   * Embeds any number of images, `batchSize` (at most 8) per request and `concurrency` requests at
   * a time; resolves to one embedding per image, in input order. An async iterable (a stream of
   * file reads, say) is read as the job goes. A failed request (after its retries) cancels the rest
   * and rejects with `ClipBatchError`, which names the failed inputs.
   */
  async embedImages(images: BatchInputs<ImageInput>, options: BatchJobOptions = {}): Promise<number[][]> {
    checkBatchInputs(images, 'images');
    const job = resolveBatchOptions(options, IMAGE_BATCHES);
    return runBatches(images, job, async (image, signal) => {
      const result = await this.embedImage({ image, ...clipVersionField(options.clipVersion) }, batchRequestOptions(options, signal));
      return result.embeddings;
    });
  }

  /** Like `embedImages`, for texts: 32 per request by default, any number allowed. */
  async embedTexts(texts: BatchInputs<string>, options: BatchJobOptions = {}): Promise<number[][]> {
    checkBatchInputs(texts, 'texts');
    const job = resolveBatchOptions(options, TEXT_BATCHES);
    return runBatches(texts, job, async (text, signal) => {
      const result = await this.embedText({ text, ...clipVersionField(options.clipVersion) }, batchRequestOptions(options, signal));
      return result.embeddings;
    });
  }

  /**
   * Like `compare`, for any number of prompts (a list or a name map): sent `batchSize` (at most 8)
   * prompts per request, `concurrency` requests at a time, merged back in prompt order (a name map
   * keeps its key order). Failures reject like `embedImages`.
   */
  compareMany(request: NamedPromptRequest, options?: BatchOptions): Promise<{ similarity: Record<string, number> }>;
  compareMany(request: CompareRequest, options?: BatchOptions): Promise<{ similarity: number[] }>;
  async compareMany(request: CompareRequest, options: BatchOptions = {}): Promise<{ similarity: number[] | Record<string, number> }> {
    const job = resolveBatchOptions(options, IMAGE_BATCHES);
    const body = asObject(request);
    // The subject and the first prompts are checked before any request, and a Blob subject is read once.
    const head = validate(compareRequestSchema(), await waitWithin(readBlobs(firstPrompts(body, MAX_ITEMS_PER_REQUEST), COMPARE_IMAGE_FIELDS), { signal: job.signal, deadlineMs: Infinity }, READING));
    return compareInBatches({ ...body, subject: head.subject }, job, async (part, signal) => {
      const { similarity } = await this.compare(part as unknown as CompareRequest, batchRequestOptions(options, signal));
      return similarity;
    });
  }

  /** Releases the client's own connection pool; a dispatcher passed in options is left open. */
  close(): Promise<void> {
    return this.#options.transport.close();
  }

  /** A call's limits, its time counted from now: the reading of Blob inputs is part of the call. */
  #limits(options: RequestOptions | undefined): CallLimits {
    return { ...callLimits(this.#options, options), startedAt: performance.now() };
  }

  /** Every route's last step: the complete wire payload, then the request pipeline. */
  #send<T extends object>(route: Route, payload: Record<string, unknown>, check: ResponseCheck, limits: CallLimits): Promise<T & { readonly meta: ResponseMeta }> {
    const wire = completeWirePayload(payload, this.#options.clipVersion, this.#options.bodyApiKey);
    return this.#sender.send<T>(route, wire, check, limits);
  }

  /** Keeps the key out of `console.log(client)` and `util.inspect`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ClipClient { baseUrl: '${this.baseUrl}', apiKey: ${this.#options.secrets.length > 0 ? "'***'" : 'none'} }`;
  }
}

/** Per-request options of a batch job's requests. */
function batchRequestOptions(options: BatchOptions, signal: AbortSignal | undefined): RequestOptions {
  return { signal, timeoutMs: options.timeoutMs, maxRetries: options.maxRetries };
}

export type { ResponseHeaders };
