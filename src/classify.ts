/**
 * Zero-shot classification: an image's embedding against the text embeddings of labels, scored
 * the way CLIP scores them. Label embeddings are cached, so repeat calls cost one image request.
 */
import { DEFAULT_CONCURRENCY, DEFAULT_TEXT_BATCH_SIZE } from './batch.js';
import { ClipResponseError, ClipValidationError, type ValidationIssue } from './errors.js';
import { isPlainObject } from './images.js';
import { LruCache } from './lru.js';
import { cosineSimilarity, softmax } from './math.js';

/** CLIP's logit scale (inverse temperature): similarities are multiplied by it before the softmax. */
export const CLIP_LOGIT_SCALE = 100;

/** Label texts kept by a client's cache unless `labelCacheSize` says otherwise. */
export const DEFAULT_LABEL_CACHE_SIZE = 4096;


/** Labels as a list (each label is its own text) or a name map (`{ cat: 'a photo of a cat' }`, results keyed by name). */
export type Labels<L extends string = string> = readonly L[] | Readonly<Record<L, string>>;

export interface ClassifyOptions {
  /** Wraps each label's text before it is embedded; every `{}` stands for the text, e.g. `'a photo of a {}'`. Default: none. */
  template?: string;
  /** Return only the `topK` best labels; their scores stay those computed over all labels. Default: all labels. */
  topK?: number;
}

export interface Classification<L extends string = string> {
  /** The label, or its name in a name map. */
  label: L;
  /** Softmax of 100 x similarity over all labels: CLIP's probability for this label. Scores of all labels sum to 1. */
  score: number;
  /** Cosine similarity of the image and the label's text, in [-1, 1]. */
  similarity: number;
}

/** Checked labels: their names, and the texts to embed (template applied), in the same order. */
export interface LabelSet {
  names: string[];
  texts: string[];
}

/**
 * Checks what a classify call was given, throwing ClipValidationError (before anything is sent) when
 * it is unusable. The image itself is checked by embedImage; here only that it is a single one.
 */
export function parseClassifyRequest(image: unknown, labels: unknown, options: ClassifyOptions = {}): LabelSet {
  const issues: ValidationIssue[] = [];
  const { template, topK } = options;
  if (Array.isArray(image)) issues.push({ path: ['image'], message: 'classify takes one image, got a list' });
  if (template !== undefined && (typeof template !== 'string' || !template.includes('{}'))) {
    issues.push({ path: ['template'], message: 'must be a string containing {} where the label goes' });
  }
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 1)) {
    issues.push({ path: ['topK'], message: `must be an integer >= 1, got ${String(topK)}` });
  }
  const names: string[] = [];
  const texts: string[] = [];
  const take = (name: string, text: unknown, path: (string | number)[]) => {
    if (typeof text !== 'string' || text.length === 0) issues.push({ path, message: 'must be a non-empty string' });
    else {
      names.push(name);
      texts.push(text);
    }
  };
  if (Array.isArray(labels)) {
    const seen = new Set<unknown>();
    labels.forEach((label: unknown, i) => {
      if (seen.has(label)) issues.push({ path: ['labels', i], message: `duplicate label "${String(label)}"` });
      else take(label as string, label, ['labels', i]);
      seen.add(label);
    });
  } else if (isPlainObject(labels)) {
    for (const [name, text] of Object.entries(labels)) take(name, text, ['labels', name]);
  } else {
    issues.push({ path: ['labels'], message: 'must be a list of labels or a name map of label texts' });
  }
  if (issues.length === 0 && names.length === 0) issues.push({ path: ['labels'], message: 'must hold at least one label' });
  if (issues.length > 0) throw new ClipValidationError(issues, 'Invalid classification');
  const wrap = (text: string) => (template === undefined ? text : template.replaceAll('{}', () => text));
  return { names, texts: texts.map(wrap) };
}

/** Labels ranked by CLIP's softmax over the scaled cosine similarities, best first; ties keep label order. */
export function rankLabels<L extends string>(
  image: ArrayLike<number>,
  names: readonly L[],
  labelVectors: readonly ArrayLike<number>[],
  topK = names.length,
): Classification<L>[] {
  const similarities = labelVectors.map((vector) => {
    if (vector.length !== image.length) {
      throw new ClipResponseError(`Label embeddings have ${vector.length} numbers but the image embedding has ${image.length}`);
    }
    return cosineSimilarity(image, vector);
  });
  const scores = softmax(similarities, CLIP_LOGIT_SCALE);
  return names
    .map((label, i) => ({ label, score: scores[i]!, similarity: similarities[i]! }))
    .sort((a, b) => b.score - a.score)
    .slice(0, topK);
}

/** Embeds texts in one request, in order. */
export type EmbedTexts = (texts: string[]) => Promise<ArrayLike<number>[]>;

/**
 * Text embeddings in a bounded LRU keyed by CLIP version and exact text, so a label embedded once
 * is not requested again while it stays among the most recently used. A label already being
 * requested by another call is awaited, not requested twice.
 */
export class LabelEmbeddingCache {
  readonly #cache: LruCache<string, Float32Array>;
  readonly #pending = new Map<string, Promise<Float32Array>>();

  constructor(capacity = DEFAULT_LABEL_CACHE_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new ClipValidationError(
        [{ path: ['labelCacheSize'], message: `must be an integer >= 0, got ${String(capacity)}` }],
        'Invalid client options',
      );
    }
    this.#cache = new LruCache(capacity);
  }

  get size(): number {
    return this.#cache.size;
  }

  /**
   * One embedding per text, in order: cached ones reused, the rest requested `DEFAULT_TEXT_BATCH_SIZE`
   * at a time. Server embeddings are float32, so Float32Array storage loses nothing.
   */
  async embed(clipVersion: string, texts: readonly string[], embedTexts: EmbedTexts): Promise<Float32Array[]> {
    const found = new Map<string, Float32Array>();
    const missing: string[] = [];
    const elsewhere: Promise<void>[] = [];
    for (const text of new Set(texts)) {
      const key = keyOf(clipVersion, text);
      const cached = this.#cache.get(key);
      const pending = cached ? undefined : this.#pending.get(key);
      if (cached) found.set(text, cached);
      else if (pending) elsewhere.push(pending.then((vector) => void found.set(text, vector)));
      else missing.push(text);
    }
    const settlers = new Map(missing.map((text) => [text, this.#announce(keyOf(clipVersion, text))]));
    try {
      const requested = forEachChunk(missing, DEFAULT_TEXT_BATCH_SIZE, DEFAULT_CONCURRENCY, async (chunk) => {
        const vectors = await embedTexts(chunk);
        chunk.forEach((text, i) => {
          const vector = Float32Array.from(vectors[i]!);
          found.set(text, vector);
          this.#cache.set(keyOf(clipVersion, text), vector);
          settlers.get(text)!.resolve(vector);
        });
      });
      // One Promise.all over both, so that no rejection is left without a handler.
      await Promise.all([requested, ...elsewhere]);
    } catch (error) {
      for (const settler of settlers.values()) settler.reject(error);
      throw error;
    } finally {
      for (const text of missing) this.#pending.delete(keyOf(clipVersion, text));
    }
    return texts.map((text) => found.get(text)!);
  }

  /** Marks a label as being requested, for other calls to await; settled by the call that requests it. */
  #announce(key: string): { resolve: (vector: Float32Array) => void; reject: (error: unknown) => void } {
    let settler!: { resolve: (vector: Float32Array) => void; reject: (error: unknown) => void };
    const promise = new Promise<Float32Array>((resolve, reject) => (settler = { resolve, reject }));
    // The requesting call reports its own failure; a call that waits on this promise gets it too.
    promise.catch(() => {});
    this.#pending.set(key, promise);
    return settler;
  }
}

function keyOf(clipVersion: string, text: string): string {
  return `${clipVersion}\u0000${text}`;
}

/** Runs `run` over chunks of `items` with at most `concurrency` in flight; stops taking chunks after the first failure. */
async function forEachChunk<T>(
  items: readonly T[],
  size: number,
  concurrency: number,
  run: (chunk: T[]) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const chunk = items.slice(next, (next += size));
      try {
        await run(chunk);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const workers = Math.min(concurrency, Math.ceil(items.length / size));
  await Promise.all(Array.from({ length: workers }, worker));
}
