/**
 * Several images in one request, on servers that cannot take them. The default backend of inference
 * 1.5.0 answers a list of same-size images with ONE embedding, images of different sizes with HTTP 500,
 * and several image prompts with one similarity. In `'auto'` mode such an answer makes the call re-send
 * its images one per request and, once that worked, the client sends that server one image per request.
 */
import { ClipApiError } from '../errors/errors.js';
import { imageListOf, type ImageList } from '../wire/image-lists.js';
import { withMeta, type WithMeta } from '../wire/responses.js';
import type { Logger } from './logger.js';
import type { CallLimits, ResponseCheck } from './pipeline.js';

/** `'auto'`: batch, and fall back to one image per request on a server that fails at it; `'always'`: never fall back; `'never'`: one image per request. */
export type ImageBatchingMode = 'auto' | 'always' | 'never';

export const IMAGE_BATCHING_MODES: readonly ImageBatchingMode[] = ['auto', 'always', 'never'];

type Result = Record<string, unknown> & WithMeta;
/** The check of a payload's answer. */
type CheckOf = (payload: Record<string, unknown>) => ResponseCheck;
/** One request through the pipeline. */
export type SendPayload = (payload: Record<string, unknown>, check: ResponseCheck, limits: CallLimits) => Promise<Result>;

/** A client's way of sending images to its server (or pool of servers), and what it has learnt of it. */
export class ImageBatching {
  readonly #mode: ImageBatchingMode;
  readonly #server: string;
  readonly #logger: Logger | undefined;
  #oneImagePerRequest: boolean;
  /** The server has answered a request of several images in full, so an answer to one is final. */
  #batchesAnswered = false;

  constructor(mode: ImageBatchingMode, server: string, logger: Logger | undefined) {
    this.#mode = mode;
    this.#server = server;
    this.#logger = logger;
    this.#oneImagePerRequest = mode === 'never';
  }

  /**
   * Sends a payload that may carry several images; `checkOf` gives the check of a payload's answer.
   * A payload of one image, or any payload in `'always'` mode, goes straight through.
   */
  send(payload: Record<string, unknown>, checkOf: CheckOf, limits: CallLimits, send: SendPayload): Promise<Result> {
    const images = this.#mode === 'always' ? undefined : imageListOf(payload);
    return images ? this.#sendImages(images, payload, checkOf, limits, send) : send(payload, checkOf(payload), limits);
  }

  async #sendImages(images: ImageList, payload: Record<string, unknown>, checkOf: CheckOf, limits: CallLimits, send: SendPayload): Promise<Result> {
    const started = performance.now();
    if (this.#oneImagePerRequest) return this.#oneByOne(images, checkOf, limits, send, started);

    const check = checkOf(payload);
    let short = false;
    try {
      // A short answer passes the pipeline's check so that it is not reported as a final failure.
      // Until this server has answered a batch in full, an answer may still be followed by one request per image.
      const batchLimits = this.#batchesAnswered ? limits : { ...limits, onAnswer: undefined };
      const result = await send(payload, (body) => (images.isShort(body) ? void (short = true) : check(body)), batchLimits);
      if (!short) {
        this.#batchesAnswered = true;
        return result;
      }
    } catch (error) {
      if (!(error instanceof ClipApiError) || error.status !== 500) throw error;
    }
    const result = await this.#oneByOne(images, checkOf, limits, send, started);
    this.#learn(images.count, short);
    return result;
  }

  /** One request per image, in order, one at a time, so that a batch job keeps to its `concurrency`; all within the call's deadline. */
  async #oneByOne(images: ImageList, checkOf: CheckOf, limits: CallLimits, send: SendPayload, started: number): Promise<Result> {
    const results: Result[] = [];
    for (let i = 0; i < images.count; i++) {
      const single = images.single(i);
      const left = limits.deadlineMs - (performance.now() - started);
      results.push(await send(single, checkOf(single), { ...limits, deadlineMs: Math.max(left, 1), onAnswer: undefined }));
    }
    const last = results[results.length - 1]!.meta;
    return withMeta(images.merge(results), { ...last, elapsedMs: performance.now() - started }) as Result;
  }

  #learn(count: number, short: boolean): void {
    if (this.#oneImagePerRequest) return;
    this.#oneImagePerRequest = true;
    const answer = short ? 'fewer results than images' : 'HTTP 500';
    this.#logger?.warn(
      `roboflow-clip: ${this.#server} answered ${answer} to a request of ${count} images, and each image alone correctly ` +
        "(inference 1.5.0's default backend cannot batch images); sending it one image per request from now on (imageBatching: 'auto')",
    );
  }
}
