// Buffer's native codec is ~20x faster than a regex on multi-megabyte images; runtimes without
// Buffer (Workers, browsers) fall back to atob/btoa.
const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;

/** Standard (RFC 4648 section 4), padded base64 of the bytes. */
export function encodeBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/**
 * Whether the string is non-empty, padded, standard-alphabet base64 with no whitespace: the form
 * the server decodes. The decoder skips characters outside the alphabet, so a decoded length that
 * falls short of the one the string's length implies reveals them.
 */
export function isValidBase64(value: string): boolean {
  const length = value.length;
  if (length === 0 || length % 4 !== 0) return false;
  if (value.includes('-') || value.includes('_')) return false;
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  const expected = (length / 4) * 3 - padding;
  if (NodeBuffer) return decodesFully(value, expected, NodeBuffer);
  try {
    return atob(value).length === expected;
  } catch {
    return false;
  }
}

/** Characters decoded per step: a multiple of 4, so that every step but the last is whole quanta. */
const CHUNK_CHARS = 64 * 1024;
let scratch: Buffer | undefined;

/**
 * Decodes into one small reused buffer, chunk by chunk: a multi-megabyte image costs a fraction of
 * a millisecond instead of allocating (and page-faulting) a buffer as large as the image, and a
 * small one allocates nothing.
 */
function decodesFully(value: string, expected: number, buffer: typeof Buffer): boolean {
  scratch ??= buffer.allocUnsafe((CHUNK_CHARS / 4) * 3);
  let decoded = 0;
  for (let start = 0; start < value.length; start += CHUNK_CHARS) {
    const written = scratch.write(value.slice(start, start + CHUNK_CHARS), 'base64');
    if (start + CHUNK_CHARS < value.length && written !== scratch.length) return false;
    decoded += written;
  }
  return decoded === expected;
}

/**
 * The first `count` bytes that valid base64 `value` decodes to (fewer when it is shorter), and whether
 * they are all of them: enough to tell what a large image is without decoding it.
 */
export function decodeBase64Head(value: string, count: number): { bytes: Uint8Array; complete: boolean } {
  const chars = Math.ceil(count / 3) * 4;
  const head = value.length <= chars ? value : value.slice(0, chars);
  const bytes = NodeBuffer ? NodeBuffer.from(head, 'base64') : Uint8Array.from(atob(head), (c) => c.charCodeAt(0));
  return { bytes: bytes.subarray(0, count), complete: head === value && bytes.length <= count };
}

/** What the server's decoder skips inside base64: ASCII whitespace. */
const BASE64_WHITESPACE = /[\t\n\v\f\r ]+/g;

/**
 * `value` without the whitespace the server skips, when it is valid base64 then; else undefined. The
 * line breaks `base64` prints every 76 characters go first, by a plain replace: over megabytes, several
 * times faster than the regex that removes the rest.
 */
export function base64WithoutWhitespace(value: string): string | undefined {
  const joined = value.replaceAll('\n', '');
  if (isValidBase64(joined)) return joined;
  const stripped = joined.replace(BASE64_WHITESPACE, '');
  return stripped !== joined && isValidBase64(stripped) ? stripped : undefined;
}
