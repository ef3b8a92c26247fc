import type { z } from 'zod';
import { ClipValidationError } from '../errors/errors.js';
import { LONGEST_BODY_CHARS } from './images.js';

/** The validated wire payload, its keys in the caller's order so the body reads as the caller wrote it. */
export function validate<S extends z.ZodType>(schema: S, input: Record<string, unknown>, maxRequestBytes = Infinity): z.output<S> & Record<string, unknown> {
  refuseUnsendableLists(input, maxRequestBytes);
  const result = schema.safeParse(input);
  if (result.success) {
    const data = result.data as Record<string, unknown>;
    const ordered: Record<string, unknown> = {};
    for (const key in input) if (data[key] !== undefined) ordered[key] = data[key];
    return ordered as z.output<S> & Record<string, unknown>;
  }
  throw new ClipValidationError(
    result.error.issues.map((issue) => ({ path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message: issue.message })),
  );
}

/** A request must be a plain object before any of its fields is read. */
export function asObject(request: unknown): Record<string, unknown> {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw new ClipValidationError([{ path: [], message: 'the request must be an object' }]);
  }
  return request as Record<string, unknown>;
}

/** The fewest bytes a list item takes in the body: `"a",` for a text. */
const MIN_ITEM_BYTES = 4;

/**
 * A list whose items could never fit one body (above `maxRequestBytes`, or the longest string an
 * engine builds: `new Array(2 ** 32 - 1)`, say) is refused from its length, before any item is read.
 */
function refuseUnsendableLists(input: Record<string, unknown>, maxRequestBytes: number): void {
  const limit = Math.min(maxRequestBytes, LONGEST_BODY_CHARS);
  for (const field of Object.keys(input)) {
    const value = input[field];
    if (!Array.isArray(value) || value.length * MIN_ITEM_BYTES <= limit) continue;
    const message = `holds ${value.length} items: at ${MIN_ITEM_BYTES} bytes each at least, the body would pass the limit of ${limit} bytes`;
    throw new ClipValidationError([{ path: [field], message }], 'Request too large');
  }
}
