export { startMockServer } from './testing/server.js';
export type { MockFaultKind, MockFaults, MockServer, MockServerOptions, MockServerStats, RecordedRequest } from './testing/server.js';
export {
  handleClipRequest,
  mockTextEmbedding,
  mockImageEmbedding,
  CLIP_VERSIONS,
  EMBEDDING_DIMENSIONS,
  DEFAULT_CLIP_VERSION,
  MAX_BATCH_SIZE,
  MAX_TEXT_TOKENS,
  MOCK_INFERENCE_ENGINE,
  MOCK_INFERENCE_TIME,
} from './testing/protocol.js';
export type { ClipVersion, MockImage, MockOptions, MockRequest, MockResponse } from './testing/protocol.js';
