/**
 * What every route method does after its own checks: Blob inputs read within the call's limits, the
 * payload validated, then the complete wire payload (CLIP version, a key sent in the body,
 * `extraBody`) sent through the request pipeline, by way of the image batching policy for a payload
 * of several images.
 */
import type { z } from 'zod';
import { ImageBatching } from '../request/image-batching.js';
import { RequestSender, type CallLimits } from '../request/pipeline.js';
import { waitWithin, type WaitLimits } from '../request/wait.js';
import { readBlobs } from '../wire/images.js';
import type { CheckOf, ResponseMeta } from '../wire/responses.js';
import { completeWirePayload, textContextHint } from '../wire/schemas.js';
import { asObject, validate } from '../wire/validate.js';
import type { RequestOptions, ResolvedOptions } from './options.js';

export type Route = '/clip/embed_image' | '/clip/embed_text' | '/clip/compare';

/** The fields of each route's payload that may hold Blobs. */
export const IMAGE_FIELDS = ['image'] as const;
export const COMPARE_IMAGE_FIELDS = ['subject', 'prompt'] as const;

/** Blob inputs are read within the call's limits: a read may never settle. */
const READING = 'its image inputs were read';

/** `request` with its Blobs read (within `limits`), then validated by `schema`. */
export async function readAndValidate<S extends z.ZodType>(schema: S, request: unknown, fields: readonly string[], limits: WaitLimits): Promise<z.output<S> & Record<string, unknown>> {
  return validate(schema, await waitWithin(readBlobs(asObject(request), fields), limits, READING));
}

export class RouteSender {
  readonly #options: ResolvedOptions;
  readonly #sender: RequestSender;
  readonly #imageBatching: ImageBatching;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#sender = new RequestSender(options);
    const server = options.baseUrls.map((url) => new URL(url).origin).join(', ');
    this.#imageBatching = new ImageBatching(options.imageBatching, server, options.logger);
  }

  /** Sends a validated payload to `route`; `checkOf` gives the check of a payload's answer. */
  send<T extends object>(
    route: Route,
    payload: Record<string, unknown>,
    checkOf: CheckOf,
    limits: CallLimits,
    options: RequestOptions | undefined,
  ): Promise<T & { readonly meta: ResponseMeta }> {
    if (this.#options.missingKey) return Promise.reject(this.#options.missingKey);
    const wire = completeWirePayload(payload, this.#options.clipVersion, this.#options.bodyApiKey, options?.extraBody);
    const hint = textContextHint(route, wire);
    const sent = this.#imageBatching.send(wire, checkOf, limits, (part, check, partLimits) => this.#sender.send(route, part, check, partLimits, hint));
    return sent as Promise<unknown> as Promise<T & { readonly meta: ResponseMeta }>;
  }
}
