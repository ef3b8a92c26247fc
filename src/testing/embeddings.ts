/** Embeddings: deterministic, content-derived, unnormalised. */

import { CLIP_VERSIONS, DEFAULT_CLIP_VERSION, EMBEDDING_DIMENSIONS, type ClipVersion } from '../wire/clip-versions.js';
import { binaryBytes, readImageHeader, readImageText } from './image-formats.js';
import { stripDataPrefix } from './inputs.js';

export interface MockImage {
  type: 'url' | 'base64';
  value: string;
}

export const WORD = /[\p{L}\p{N}]+/gu;
// Words that say nothing about what a picture shows, including common URL noise.
const STOP_WORDS = new Set(
  'a an the of in on at to and or with for from by is are was be this that it its very some photo photos picture pictures image images jpg jpeg png gif webp'.split(
    ' ',
  ),
);
const SPECIFIC_WEIGHT = 0.3; // keeps different texts with the same words apart
const FOLDER_WEIGHT = 0.35; // a file name says more about a picture than the folders above it
const WORD_CACHE_LIMIT = 4096;
const wordCache = new Map<string, Float32Array>();

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** A random direction (mulberry32 seeded by the hash): uniform components are spread evenly enough in 512+ dimensions. */
function unitVector(seed: string, dimension: number): Float32Array {
  let state = fnv1a(seed);
  const vector = new Float32Array(dimension);
  let sumOfSquares = 0;
  for (let i = 0; i < dimension; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const x = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
    vector[i] = x;
    sumOfSquares += x * x;
  }
  const scale = 1 / Math.sqrt(sumOfSquares);
  for (let i = 0; i < dimension; i++) vector[i]! *= scale;
  return vector;
}

function wordVector(word: string, version: ClipVersion): Float32Array {
  const key = `${version}\u0000word:${word}`;
  let vector = wordCache.get(key);
  if (!vector) {
    if (wordCache.size >= WORD_CACHE_LIMIT) wordCache.delete(wordCache.keys().next().value!);
    vector = unitVector(key, EMBEDDING_DIMENSIONS[version]);
    wordCache.set(key, vector);
  }
  return vector;
}

function addWords(weights: Map<string, number>, text: string, weight: number): Map<string, number> {
  for (const raw of text.toLowerCase().match(WORD) ?? []) {
    if (STOP_WORDS.has(raw)) continue;
    // Crude plural folding, so that "raccoons.jpg" matches "a raccoon".
    const word = raw.length > 3 && raw.endsWith('s') && !raw.endsWith('ss') ? raw.slice(0, -1) : raw;
    weights.set(word, (weights.get(word) ?? 0) + weight);
  }
  return weights;
}

/** Sum of word directions plus a direction specific to the exact input, scaled to a norm in [9, 10) like ViT-B-16. */
function embed(words: Map<string, number>, specific: string, version: ClipVersion): number[] {
  const dimension = EMBEDDING_DIMENSIONS[version];
  const sum = new Float64Array(dimension);
  const add = (vector: Float32Array, weight: number) => {
    for (let i = 0; i < dimension; i++) sum[i]! += vector[i]! * weight;
  };
  for (const [word, weight] of words) add(wordVector(word, version), weight);
  const seed = `${version}\u0000${specific}`;
  add(unitVector(seed, dimension), SPECIFIC_WEIGHT);
  let norm = 0;
  for (const x of sum) norm += x * x;
  const scale = (9 + (fnv1a(seed) % 1000) / 1000) / Math.sqrt(norm);
  // The server sends float32 values printed as doubles.
  return Array.from(sum, (x) => Math.fround(x * scale));
}

export function mockTextEmbedding(text: string, clipVersion: string = DEFAULT_CLIP_VERSION): number[] {
  return embed(addWords(new Map(), text, 1), `text:${text}`, asVersion(clipVersion));
}

export function mockImageEmbedding(image: MockImage, clipVersion: string = DEFAULT_CLIP_VERSION): number[] {
  const { words, specific } = imageContent(image);
  return embed(words, specific, asVersion(clipVersion));
}

/**
 * One embedding for a whole batch of images, as the inference-models backend of server 1.5.0 answers
 * a list of same-size images: the words of all of them, specific to the batch.
 */
export function mockImageBatchEmbedding(images: MockImage[], clipVersion: string = DEFAULT_CLIP_VERSION): number[] {
  if (images.length === 1) return mockImageEmbedding(images[0]!, clipVersion);
  const words = new Map<string, number>();
  const specifics: string[] = [];
  for (const image of images) {
    const content = imageContent(image);
    for (const [word, weight] of content.words) words.set(word, (words.get(word) ?? 0) + weight);
    specifics.push(content.specific);
  }
  return embed(words, `batch:${specifics.join('\u0000')}`, asVersion(clipVersion));
}

/** A URL speaks by its path; image bytes by the text they carry (see mockPng), never by their pixels. */
function imageContent(image: MockImage): { words: Map<string, number>; specific: string } {
  if (image.type === 'url') return { words: urlWords(image.value), specific: `url:${image.value}` };
  const binary = atob(stripDataPrefix(image.value).replace(/\s+/g, ''));
  const bytes = binaryBytes(binary);
  const header = readImageHeader(bytes);
  return { words: addWords(new Map(), header ? readImageText(bytes, header.format) : '', 1), specific: `base64:${binary}` };
}

function asVersion(version: string): ClipVersion {
  if (!(CLIP_VERSIONS as readonly string[]).includes(version)) throw new Error(`roboflow-clip mock: unknown CLIP version ${version}`);
  return version as ClipVersion;
}

function urlWords(value: string): Map<string, number> {
  let path: string;
  try {
    path = decodeURIComponent(new URL(value).pathname);
  } catch {
    path = value;
  }
  const segments = path.split('/').filter(Boolean);
  const weights = new Map<string, number>();
  segments.forEach((segment, i) => addWords(weights, segment, i === segments.length - 1 ? 1 : FOLDER_WEIGHT));
  return weights;
}
