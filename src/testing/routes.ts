/**
 * The three routes after validation, as server 1.5.0 runs them on each of its CLIP backends: `legacy`
 * (the CLIP model class) and `inference-models` (the default on Linux), whose batching bugs are kept.
 */

import { countClipPieces, MAX_CLIP_TEXT_PIECES } from '../wire/clip-text.js';
import { mockImageBatchEmbedding, mockImageEmbedding, mockTextEmbedding } from './embeddings.js';
import { loadImage, type LoadedImage, type MockUrlSettings } from './inputs.js';
import { fail, INTERNAL_ERROR } from './reply.js';
import { isRecord, type Json } from './validation.js';

/** The server's batch limit for images and compare prompts; it enforces it only by failing with 500. */
export const MAX_BATCH_SIZE = 8;

/** Which of the server's CLIP implementations answers. */
export type MockBackend = 'legacy' | 'inference-models';

export interface RouteContext {
  version: string;
  backend: MockBackend;
  urls: MockUrlSettings;
}

type Route = (body: Json, context: RouteContext) => Json;

// Every piece is at least one token, so more pieces than the context holds make the tokenizer raise.
function textEmbedding(text: string, version: string): number[] {
  if (countClipPieces(text) > MAX_CLIP_TEXT_PIECES) fail(500, INTERNAL_ERROR);
  return mockTextEmbedding(text, version);
}

function textEmbeddings(texts: unknown[], version: string): number[][] {
  // A text of the wrong kind (an image where the request said text) makes the tokenizer throw.
  return texts.map((text) => (typeof text === 'string' ? textEmbedding(text, version) : fail(500, INTERNAL_ERROR)));
}

/**
 * One embedding per image, except where the inference-models backend is given a list: it runs the
 * images as one picture, so a list of same-size images gets ONE embedding and mixed sizes fail (500).
 */
function imageEmbeddings(images: LoadedImage[], asList: boolean, context: RouteContext): number[][] {
  if (context.backend === 'inference-models' && asList && images.length > 1) {
    if (new Set(images.map((image) => image.size)).size > 1) fail(500, INTERNAL_ERROR);
    return [mockImageBatchEmbedding(images, context.version)];
  }
  return images.map((image) => mockImageEmbedding(image, context.version));
}

function embedAs(items: unknown[], kind: unknown, asList: boolean, context: RouteContext): number[][] {
  if (kind === 'text') return textEmbeddings(items, context.version);
  if (kind === 'image') return imageEmbeddings(items.map((item) => loadImage(item, context.urls)), asList, context);
  // A subject_type or prompt_type other than image or text: the model raises, 500.
  fail(500, INTERNAL_ERROR);
}

/** An empty batch leaves the legacy model nothing to concatenate: 500. */
function requireItems(embeddings: number[][]): number[][] {
  if (embeddings.length === 0) fail(500, INTERNAL_ERROR);
  return embeddings;
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(aa * bb);
}

export const ROUTES: Record<string, Route> = {
  '/clip/embed_image'(body, context) {
    const images = Array.isArray(body.image) ? body.image : [body.image];
    if (images.length > MAX_BATCH_SIZE) fail(500, INTERNAL_ERROR);
    return { embeddings: requireItems(embedAs(images, 'image', Array.isArray(body.image), context)) };
  },

  '/clip/embed_text'(body, context) {
    const texts = Array.isArray(body.text) ? body.text : [body.text];
    const embeddings = textEmbeddings(texts, context.version);
    // The inference-models backend answers an empty list with no embeddings.
    return { embeddings: context.backend === 'legacy' ? requireItems(embeddings) : embeddings };
  },

  '/clip/compare'(body, context) {
    const { subject_type = 'image', prompt_type = 'text', prompt } = body;
    const [subject] = embedAs([body.subject], subject_type, false, context) as [number[]];
    // An object with both `type` and `value` is one image; any other object is a name map.
    // (JSON.parse moves integer-like keys of a name map to the front; the Python server keeps them in place.)
    const isNameMap = isRecord(prompt) && !('type' in prompt && 'value' in prompt);
    const prompts = isNameMap ? Object.values(prompt) : Array.isArray(prompt) ? prompt : [prompt];
    if (prompts.length > MAX_BATCH_SIZE) fail(500, INTERNAL_ERROR);
    const embeddings = requireItems(embedAs(prompts, prompt_type, isNameMap || Array.isArray(prompt), context));
    const similarity = embeddings.map((embedding) => cosine(subject, embedding));
    return {
      similarity: isNameMap ? Object.fromEntries(similarity.map((value, i) => [Object.keys(prompt)[i], value])) : similarity,
      parent_id: null,
    };
  },
};
