import type { z } from 'zod';
import { ClipValidationError } from '../errors/errors.js';

/** The validated wire payload, its keys in the caller's order so the body reads as the caller wrote it. */
export function validate<S extends z.ZodType>(schema: S, input: Record<string, unknown>): z.output<S> & Record<string, unknown> {
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
