/** Ends a request early with an answer, like the server's exception handlers. */

export const INTERNAL_ERROR = { message: 'Internal error.' };
// The real server sends no help_url with image errors; the mock adds one because clients must cope with both.
const IMAGE_HELP_URL = 'https://inference.roboflow.com/';

/** Thrown anywhere below to end the request with this answer, like the server's exception handlers. */
export class Reply {
  constructor(
    readonly status: number,
    readonly payload: unknown,
  ) {}
}

export function fail(status: number, payload: unknown): never {
  throw new Reply(status, payload);
}

export function imageError(cause: string): never {
  fail(400, { message: `Could not load input image. Cause: ${cause}`, help_url: IMAGE_HELP_URL });
}
