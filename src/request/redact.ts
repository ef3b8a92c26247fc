/**
 * Key redaction: everything kept from a failed request passes here before the caller sees it, as
 * servers echo request bodies (FastAPI's 422 `input`) and URLs, and transport errors quote them.
 */

/** Replaces every occurrence of the secret in a string, or in the strings of a JSON-like value. */
export function redact<T>(value: T, secret: string | undefined): T {
  if (!secret) return value;
  if (typeof value === 'string') return value.replaceAll(secret, '***') as T;
  if (Array.isArray(value)) return value.map((v) => redact(v, secret)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k, secret), redact(v, secret)])) as T;
  }
  return value;
}

/**
 * An error that may carry the key (for instance an undici error quoting a URL) is replaced by a
 * plain copy with the key removed from its message and stack.
 */
export function redactCause(cause: unknown, secret: string | undefined): unknown {
  if (!secret || !(cause instanceof Error)) return cause;
  const leaks = cause.message.includes(secret) || (cause.stack ?? '').includes(secret);
  if (!leaks) return cause;
  const clean = new Error(redact(cause.message, secret));
  clean.name = cause.name;
  clean.stack = redact(cause.stack, secret);
  const code = (cause as { code?: unknown }).code;
  if (code !== undefined) (clean as { code?: unknown }).code = code;
  return clean;
}
