/** Inputs as the server loads them: image declarations, base64, URLs. */

import type { MockImage } from './embeddings.js';
import { binaryBytes, readImageHeader } from './image-formats.js';
import { fail, imageError, INTERNAL_ERROR } from './reply.js';
import { isRecord } from './validation.js';

/** The server's settings for image URLs. The mock never fetches one: a URL they allow is a picture. */
export interface MockUrlSettings {
  /** Accept `http://` image URLs, as the server's `ALLOW_NON_HTTPS_URL_INPUT=True`. Default: false (400). */
  allowNonHttpsUrls?: boolean | undefined;
  /** Accept image URLs to IP literals and names without a public suffix, as `ALLOW_URL_INPUT_WITHOUT_FQDN=True`. Default: false (400). */
  allowUrlsWithoutFqdn?: boolean | undefined;
}

export interface LoadedImage extends MockImage {
  /** `WIDTHxHEIGHT`; the mock never fetches a URL, so every URL image has the same unknown size. */
  size: string;
}

const IMAGE_TYPES = ['base64', 'file', 'multipart', 'numpy', 'pil', 'url'];
const NUMPY_DISABLED = 'NumPy image type is not supported in this configuration of `inference`.';
const MALFORMED = 'Malformed base64 input image.';

// The server's own pattern: only lower-case subtypes without "+" are stripped.
export const stripDataPrefix = (value: string) => value.replace(/^data:image\/[a-z]+;base64,/, '');

/** Strict base64 (whitespace aside), then bytes OpenCV would decode, as the server's base64 loader requires. */
function decodeBase64Image(value: string): string {
  const b64 = stripDataPrefix(value).replace(/\s+/g, '');
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) imageError(MALFORMED);
  const binary = atob(b64);
  if (binary.length === 0) imageError('Empty image payload.');
  const header = readImageHeader(binaryBytes(binary));
  if (!header) imageError(MALFORMED);
  return `${header.width}x${header.height}`;
}

// Names that have no public suffix, which the server's tldextract check turns away like an IP literal.
const PRIVATE_TLDS = new Set(['localhost', 'local', 'localdomain', 'internal', 'lan', 'home', 'test', 'invalid', 'example']);

function hasPublicDomain(hostname: string): boolean {
  const labels = hostname.toLowerCase().split('.');
  const tld = labels[labels.length - 1]!;
  return labels.length >= 2 && /^([a-z]{2,}|xn--[a-z0-9-]+)$/.test(tld) && !PRIVATE_TLDS.has(tld);
}

function checkUrl(value: string, settings: MockUrlSettings): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    imageError('Provided image URL is invalid');
  }
  if (url.protocol !== 'https:' && !settings.allowNonHttpsUrls) {
    imageError('Providing images via non https:// URL is not supported in this configuration of `inference`.');
  }
  if (!hasPublicDomain(url.hostname) && !settings.allowUrlsWithoutFqdn) {
    imageError('Providing images via URL without FQDN is not supported in this configuration of `inference`.');
  }
}

const URL_SIZE = 'url';

/**
 * A string without a declared type: a URL if it says so, else base64 if it decodes to an image, else
 * the server's last guess, a NumPy array, which its default settings refuse. (A path to a file on the
 * server's own disk would be read; the mock has no such disk.)
 */
function loadUntyped(value: string, settings: MockUrlSettings): LoadedImage {
  if (value.startsWith('http://') || value.startsWith('https://')) {
    checkUrl(value, settings);
    return { type: 'url', value, size: URL_SIZE };
  }
  try {
    return { type: 'base64', value, size: decodeBase64Image(value) };
  } catch {
    imageError(NUMPY_DISABLED);
  }
}

/**
 * An image declaration as the server loads it. `type` is matched case-insensitively; `file` makes the
 * server read its own disk, which fails with 500 for anything but an image file there; numpy input is
 * refused by the default settings; pil and multipart values cannot come from JSON and fail with 500.
 */
export function loadImage(image: unknown, settings: MockUrlSettings): LoadedImage {
  if (typeof image === 'string') return loadUntyped(image, settings);
  if (!isRecord(image)) fail(500, INTERNAL_ERROR);
  const type = String(image.type).toLowerCase();
  if (!IMAGE_TYPES.includes(type)) imageError('Image declaration contains not recognised image type.');
  if (type === 'numpy') imageError(NUMPY_DISABLED);
  if ((type !== 'url' && type !== 'base64') || typeof image.value !== 'string') fail(500, INTERNAL_ERROR);
  if (type === 'url') {
    checkUrl(image.value, settings);
    return { type, value: image.value, size: URL_SIZE };
  }
  return { type, value: image.value, size: decodeBase64Image(image.value) };
}
