export { ClipClient } from './client.js';
export type { ApiKeyTransport, BatchJobOptions, ClipClientOptions, RequestOptions } from './client.js';
export type { BatchInputs, BatchOptions, BatchProgress } from './batch.js';
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
export { CLIP_VERSIONS, EMBEDDING_DIMENSIONS, MAX_ITEMS_PER_REQUEST } from './schemas.js';
export type {
  ClipVersion,
  CommonRequestFields,
  CompareRequest,
  EmbedImageRequest,
  EmbedTextRequest,
  NamedImagePrompts,
} from './schemas.js';
export type { CompareResult, EmbeddingResult, ResponseMeta, ResultFields } from './responses.js';
export { DEFAULT_RETRY_STATUSES } from './retry.js';
