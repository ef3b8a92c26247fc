/**
 * Zero-shot classification: an image's embedding against the text embeddings of labels, scored
 * the way CLIP scores them. Label embeddings are cached, so repeat calls cost one image request.
 */
import { ClipResponseError, ClipValidationError, type ValidationIssue } from '../errors/errors.js';
import { waitWithin, type WaitLimits } from '../request/wait.js';
import { isPlainObject } from '../wire/images.js';
import { clipTextIssue } from '../wire/schemas.js';
import { LruCache } from './lru.js';
import { cosineSimilarity, softmax } from '../vectors/math.js';

/** CLIP's logit scale (inverse temperature): similarities are multiplied by it before the softmax. */
export const CLIP_LOGIT_SCALE = 100;

/** Label texts kept by a client's cache unless `labelCacheSize` says otherwise. */
export const DEFAULT_LABEL_CACHE_SIZE = 4096;


/** Labels as a list (each label is its own text) or a name map (`{ cat: 'a photo of a cat' }`, results keyed by name). */
export type Labels<L extends string = string> = readonly L[] | Readonly<Record<L, string>>;

export interface ClassifyOptions {
  /** Wraps each label's text before it is embedded; every `{}` stands for the text, e.g. `'a photo of a {}'`. Default: none. */
  template?: string | undefined;
  /** Return only the `topK` best labels; their scores stay those computed over all labels. Default: all labels. */
  topK?: number | undefined;
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
  const refuse = (path: (string | number)[], message: string) => issues.push({ path, message });
  const { template, topK } = options;
  if (Array.isArray(image)) refuse(['image'], 'classify takes one image, got a list');
  if (template !== undefined && (typeof template !== 'string' || !template.includes('{}'))) {
    refuse(['template'], 'must be a string containing {} where the label goes');
  }
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 1)) refuse(['topK'], `must be an integer >= 1, got ${String(topK)}`);
  const names: string[] = [];
  const texts: string[] = [];
  const paths: (string | number)[][] = [];
  const take = (name: string, text: unknown, path: (string | number)[]) => {
    if (typeof text !== 'string' || text.length === 0) refuse(path, 'must be a non-empty string');
    else {
      names.push(name);
      texts.push(text);
      paths.push(path);
    }
  };
  if (Array.isArray(labels)) {
    const seen = new Set<unknown>();
    labels.forEach((label: unknown, i) => {
      if (seen.has(label)) refuse(['labels', i], `duplicate label "${String(label)}"`);
      else take(label as string, label, ['labels', i]);
      seen.add(label);
    });
  } else if (isPlainObject(labels)) {
    for (const [name, text] of Object.entries(labels)) take(name, text, ['labels', name]);
  } else {
    refuse(['labels'], 'must be a list of labels or a name map of label texts');
  }
  if (issues.length === 0 && names.length === 0) refuse(['labels'], 'must hold at least one label');
  const wrap = (text: string) => (template === undefined ? text : template.replaceAll('{}', () => text));
  const wrapped = texts.map(wrap);
  // Checked here, not when the labels are embedded, as the image request goes out alongside them.
  wrapped.forEach((text, i) => {
    const tooLong = clipTextIssue(text);
    if (tooLong) refuse(paths[i]!, tooLong);
  });
  if (issues.length > 0) throw new ClipValidationError(issues, 'Invalid classification');
  return { names, texts: wrapped };
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

/** Embeds texts, in order. */
export type EmbedTexts = (texts: string[]) => Promise<readonly ArrayLike<number>[]>;

/**
 * Text embeddings in a bounded LRU keyed by CLIP version and exact text, so a label embedded once
 * is not requested again while it stays among the most recently used. A label already being
 * requested by another call is awaited, not requested twice.
 *
 * As requests are shared, `embedTexts` must send with the client's own options, never a caller's:
 * otherwise one caller's abort, short timeout or `maxRetries: 0` would fail the others. Each caller
 * waits with its own signal and deadline instead; a request it stops waiting for still fills the cache.
 */
export class LabelEmbeddingCache {
  readonly #cache: LruCache<string, Float32Array>;
  readonly #pending = new Map<string, Promise<Float32Array>>();

  /** `capacity`: an integer >= 0, checked with the client's options. */
  constructor(capacity = DEFAULT_LABEL_CACHE_SIZE) {
    this.#cache = new LruCache(capacity);
  }

  get size(): number {
    return this.#cache.size;
  }

  /**
   * One embedding per text, in order: cached ones reused, the rest requested in one `embedTexts` call.
   * Server embeddings are float32, so Float32Array storage loses nothing.
   */
  async embed(clipVersion: string, texts: readonly string[], embedTexts: EmbedTexts, wait: WaitLimits = { deadlineMs: Infinity }): Promise<Float32Array[]> {
    const keyOf = (text: string) => `${clipVersion}\u0000${text}`;
    const vectors = new Map<string, Float32Array | Promise<Float32Array>>();
    const missing: string[] = [];
    for (const text of new Set(texts)) {
      const key = keyOf(text);
      const known = this.#cache.get(key) ?? this.#pending.get(key);
      if (known) vectors.set(text, known);
      else missing.push(text);
    }
    if (missing.length > 0) {
      const requested = embedTexts(missing).then((list) =>
        missing.map((text, i) => {
          const vector = Float32Array.from(list[i]!);
          this.#cache.set(keyOf(text), vector);
          return vector;
        }),
      );
      const shared = missing.map((text, i) => {
        const vector = requested.then((all) => all[i]!);
        // Nobody may be waiting when it fails: its failure is handled here and seen by those who wait.
        vector.catch(() => {});
        this.#pending.set(keyOf(text), vector);
        vectors.set(text, vector);
        return vector;
      });
      const done = () => missing.forEach((text, i) => this.#pending.get(keyOf(text)) === shared[i] && this.#pending.delete(keyOf(text)));
      requested.then(done, done);
    }
    return waitWithin(Promise.all(texts.map((text) => vectors.get(text)!)), wait, 'label embeddings were requested');
  }
}
