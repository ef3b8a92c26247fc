import type { EmbeddingIndex as VectorIndex } from './vectors/embedding-index.js';

export { ClipClient } from './client/client.js';
export type { ApiKeyTransport, BatchJobOptions, ClipClientOptions, RequestOptions } from './client/client.js';
export type { CompareManyOptions } from './client/client.js';
export type { BatchFailure, BatchInputs, BatchMeta, BatchOptions, BatchProgress, BatchResults } from './jobs/batch.js';
export type { EmbeddingFormat, EmbeddingItem, EmbeddingList, EmbeddingOf, EmbeddingStreamItem, StreamJobOptions } from './jobs/embeddings.js';
/** A type only: the list helpers make it (`embeddingFormat: 'matrix'`). */
export type { EmbeddingMatrix } from './jobs/embedding-matrix.js';
export type { IndexReport, IndexSourceItem } from './jobs/index-images.js';
export type { StoreSearchOptions, VectorStore } from './vectors/store.js';
export type { FetchFunction, FetchInit, FetchResponse } from './transport/fetch.js';
export {
  ClipError,
  ClipValidationError,
  ClipRequestError,
  ClipApiError,
  ClipAuthenticationError,
  ClipRateLimitError,
  ClipServerError,
  ClipConnectionError,
  ClipTimeoutError,
  ClipAbortError,
  ClipResponseError,
  ClipBatchError,
} from './errors/errors.js';
export type { ClipApiErrorInit, ValidationIssue, ResponseHeaders } from './errors/errors.js';
export { imageFromFile } from './wire/images.js';
export type { ImageInput, WireImage, WireImageInput } from './wire/images.js';
export { CLIP_VERSIONS, EMBEDDING_DIMENSIONS } from './wire/clip-versions.js';
export type { ClipVersion } from './wire/clip-versions.js';
export { countClipPieces, MAX_CLIP_TEXT_PIECES } from './wire/clip-text.js';
export { MAX_ITEMS_PER_REQUEST } from './wire/schemas.js';
export type {
  CommonRequestFields,
  ComparePrompts,
  CompareRequest,
  EmbedImageRequest,
  EmbedTextRequest,
  NamedImagePrompts,
  SimilarityOf,
} from './wire/schemas.js';
export { responseMeta } from './wire/responses.js';
export type { CompareResult, EmbeddingResult, ResponseMeta, ResultFields, WithMeta } from './wire/responses.js';
export { DEFAULT_RETRY_STATUSES } from './request/retry.js';
export type { BackoffOptions, RetryOn } from './request/retry.js';
export type { ClipLogger, LogLevel } from './request/logger.js';
export type { ImageBatchingMode } from './request/image-batching.js';
// The index and the similarity math live on `roboflow-clip/vectors`; the types the client's search
// methods take and return are named here too.
export { EmbeddingIndexError } from './errors/errors.js';
export type { EmbeddingIndexErrorCode } from './errors/errors.js';
export type { IndexEntry, SearchHit } from './vectors/embedding-index.js';
/**
 * The type of the index `searchText` and `searchImage` take. A type only: the class itself is
 * exported by `roboflow-clip/vectors` (`import { EmbeddingIndex } from 'roboflow-clip/vectors'`).
 */
export type EmbeddingIndex<M = unknown> = VectorIndex<M>;
export { CLIP_LOGIT_SCALE, DEFAULT_LABEL_CACHE_SIZE } from './jobs/classify.js';
export type { Classification, ClassifyOptions, Labels } from './jobs/classify.js';
