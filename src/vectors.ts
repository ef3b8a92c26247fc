/**
 * `roboflow-clip/vectors`: work with embeddings locally, no server involved. The vector index
 * behind `clip.searchText()` / `clip.searchImage()`, and the similarity math, on their own entry
 * so that an application that only calls the server does not carry them.
 */
export { EmbeddingIndex } from './embedding-index.js';
export type { EmbeddingIndexJson, EmbeddingIndexOptions, IndexEntry, LoadExpectations, SaveOptions, SearchHit } from './embedding-index.js';
export { EmbeddingIndexError } from './errors.js';
export type { EmbeddingIndexErrorCode } from './errors.js';
export { cosineSimilarity, dot, l2Norm, normalize, softmax, topK, TopKSelector } from './math.js';
export type { Ranked } from './math.js';
