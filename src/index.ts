export { ClipClient } from './client.js';
export type { ApiKeyTransport, BatchJobOptions, ClipClientOptions, RequestOptions } from './client.js';
export type { BatchInputs, BatchOptions, BatchProgress } from './batch.js';
export type { FetchFunction, FetchInit, FetchResponse } from './transport/fetch.js';
export {
  ClipError,
  ClipValidationError,
  ClipApiError,
  ClipConnectionError,
  ClipTimeoutError,
  ClipAbortError,
  ClipResponseError,
  ClipBatchError,
} from './errors.js';
export type { ValidationIssue, ResponseHeaders } from './errors.js';
export { imageFromFile } from './images.js';
export type { ImageInput, WireImage } from './images.js';
export { CLIP_VERSIONS, EMBEDDING_DIMENSIONS } from './clip-versions.js';
export type { ClipVersion } from './clip-versions.js';
export { MAX_ITEMS_PER_REQUEST } from './schemas.js';
export type {
  CommonRequestFields,
  CompareRequest,
  EmbedImageRequest,
  EmbedTextRequest,
  NamedImagePrompts,
} from './schemas.js';
export type { CompareResult, EmbeddingResult, ResponseMeta, ResultFields, WithMeta } from './responses.js';
export { DEFAULT_RETRY_STATUSES } from './retry.js';
export type { BackoffOptions, RetryOn } from './retry.js';
export type { ClipLogger } from './logger.js';
// The index and the similarity math live on `roboflow-clip/vectors`; the types the client's search
// methods take and return are named here too.
export { EmbeddingIndexError } from './errors.js';
export type { EmbeddingIndexErrorCode } from './errors.js';
export type { EmbeddingIndex, SearchHit } from './embedding-index.js';
export { CLIP_LOGIT_SCALE, DEFAULT_LABEL_CACHE_SIZE } from './classify.js';
export type { Classification, ClassifyOptions, Labels } from './classify.js';
