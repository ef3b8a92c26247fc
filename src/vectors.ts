/**
 * `roboflow-clip/vectors`: work with embeddings locally, no server involved. The vector index
 * behind `clip.searchText()` / `clip.searchImage()`, and the similarity math, on their own entry
 * so that an application that only calls the server does not carry them.
 */
export { EmbeddingIndex } from './vectors/embedding-index.js';
export type { EmbeddingIndexJson, EmbeddingIndexOptions, IndexEntry, LoadExpectations, SaveOptions, SearchHit } from './vectors/embedding-index.js';
export type { StoreSearchOptions, VectorStore } from './vectors/store.js';
export { EmbeddingIndexError } from './errors/errors.js';
export type { EmbeddingIndexErrorCode } from './errors/errors.js';
export { cosineSimilarity, dot, l2Norm, normalize, softmax, topK, TopKSelector } from './vectors/math.js';
export type { Ranked } from './vectors/math.js';
