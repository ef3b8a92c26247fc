/** Inputs as the server loads them. */

import type { MockImage } from './embeddings.js';
import { fail, imageError, INTERNAL_ERROR } from './reply.js';
import type { Json } from './validation.js';

// The server's own pattern: only lower-case subtypes without "+" are stripped.
export const stripDataPrefix = (value: string) => value.replace(/^data:image\/[a-z]+;base64,/, '');

function checkBase64(value: string): void {
  const b64 = stripDataPrefix(value).replace(/\s+/g, '');
  if (b64 === '') imageError('Empty image payload.');
  // The mock does not decode pixels, so bytes that are valid base64 but no picture are accepted.
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) imageError('Malformed base64 input image.');
}

// Names that have no public suffix, which the server's tldextract check turns away like an IP literal.
const PRIVATE_TLDS = new Set(['localhost', 'local', 'localdomain', 'internal', 'lan', 'home', 'test', 'invalid', 'example']);

function checkUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    imageError('Provided image URL is invalid');
  }
  if (url.protocol !== 'https:') {
    imageError('Providing images via non https:// URL is not supported in this configuration of `inference`.');
  }
  const labels = url.hostname.toLowerCase().split('.');
  const tld = labels[labels.length - 1]!;
  if (labels.length < 2 || !/^([a-z]{2,}|xn--[a-z0-9-]+)$/.test(tld) || PRIVATE_TLDS.has(tld)) {
    imageError('Providing images via URL without FQDN is not supported in this configuration of `inference`.');
  }
}

/**
 * Hosted servers disable local files (a mapped 400) and numpy input; numpy, pil, multipart and unknown
 * types end in exceptions the server does not map, hence 500 Internal error.
 */
export function loadImage(image: Json): MockImage {
  const type = String(image.type).toLowerCase();
  if (type === 'file') imageError('Loading images from local filesystem is disabled.');
  if ((type !== 'url' && type !== 'base64') || typeof image.value !== 'string') fail(500, INTERNAL_ERROR);
  if (type === 'url') checkUrl(image.value);
  else checkBase64(image.value);
  return { type, value: image.value };
}
