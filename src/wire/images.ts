import { ClipValidationError } from '../errors/errors.js';
import { base64WithoutWhitespace, decodeBase64Head, encodeBase64, isValidBase64 } from './base64.js';
import { checkedBase64 } from './wire-json.js';
import { SAMPLE_BYTES, textInsteadOfImage } from './image-bytes.js';
import { loadNodeFs } from '../platform/node-fs.js';

/** An image as the wire carries it: a URL the server downloads, or the base64 of an encoded image file. */
export interface WireImage {
  type: 'url' | 'base64';
  value: string;
}

/** The wire object as a caller may write it: the server matches `type` case-insensitively. */
export type WireImageInput = WireImage | { type: 'URL' | 'BASE64'; value: string };

/**
 * Every form an image may take: the wire object (its `type` in any case, sent lower-cased); an
 * `http(s)://` URL string or `URL`; a `data:image/...;base64,` string; or the encoded file's bytes
 * (`Uint8Array`, `Buffer`, `ArrayBuffer`, `Blob`), sent as base64.
 */
export type ImageInput = WireImageInput | string | URL | Uint8Array | ArrayBuffer | Blob;

/** Most images per `embed_image` request and prompts per `compare` request; the server fails with 500 beyond. */
export const MAX_ITEMS_PER_REQUEST = 8;

const DATA_URL = /^data:image\/[\w.+-]+;base64,/i;
const SERVER_SIDE_TYPES = new Set<unknown>(['file', 'numpy', 'pil', 'multipart']);

const HOW_TO_MARK =
  'pass {type: "url", value} or {type: "base64", value}, an http(s):// URL, a data:image/...;base64, string, or the image bytes';

/** The wire form of an image, or a message saying why the input is not one. Blobs must be read first. */
export function toWireImage(input: unknown): WireImage | string {
  if (typeof input === 'string') return fromString(input);
  if (input instanceof URL) return fromUrl(input.href);
  if (input instanceof Uint8Array) return fromBytes(input);
  if (input instanceof ArrayBuffer) return fromBytes(new Uint8Array(input));
  if (input instanceof Blob) return 'a Blob must be read before validation';
  if (isThenable(input)) return 'got a Promise, not an image: await it first (e.g. await imageFromFile(path))';
  if (input && typeof input === 'object' && 'type' in input) return fromWireObject(input);
  return `expected an image: ${HOW_TO_MARK}`;
}

function fromString(value: string): WireImage | string {
  if (/^https?:\/\//i.test(value)) return fromUrl(value);
  const dataUrl = DATA_URL.exec(value);
  if (dataUrl) return fromBase64(value.slice(dataUrl[0].length));
  if (looksLikeFilePath(value)) {
    return `the string "${preview(value)}" looks like a file path, which is not read for you: pass await imageFromFile(path) instead`;
  }
  return `the string "${preview(value)}" is not marked as an image: ${HOW_TO_MARK}`;
}

const IMAGE_FILE_NAME = /\.(?:jpe?g|png|gif|webp|bmp|tiff?|heic|avif)$/i;

/** A relative or absolute path, Windows ones included, or a bare file name with an image extension. */
function looksLikeFilePath(value: string): boolean {
  if (/\s/.test(value.trim()) && !IMAGE_FILE_NAME.test(value)) return false;
  return /^(?:\.{1,2}[\\/]|~[\\/]|\/|[A-Za-z]:[\\/]|file:)/.test(value) || IMAGE_FILE_NAME.test(value);
}

function isThenable(value: unknown): boolean {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function fromWireObject({ type: given, value, ...extra }: Record<string, unknown>): WireImage | string {
  const type = typeof given === 'string' ? given.toLowerCase() : given;
  if (type !== 'url' && type !== 'base64') {
    return SERVER_SIDE_TYPES.has(type)
      ? `image type "${String(given)}" reads the server's disk and is not accepted; use "url" or "base64"`
      : `image type must be "url" or "base64", got ${JSON.stringify(given)}`;
  }
  const unknown = Object.keys(extra);
  if (unknown.length > 0) return `unknown image field(s): ${unknown.join(', ')}`;
  if (typeof value !== 'string') return `image value must be a string, got ${typeof value}`;
  return type === 'url' ? fromUrl(value) : fromBase64(value.replace(DATA_URL, ''));
}

function fromUrl(value: string): WireImage | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${preview(value)}" is not a valid URL`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `image URL must use http or https, got ${url.protocol.slice(0, -1)}`;
  return { type: 'url', value };
}

/**
 * The server skips whitespace inside base64 (`base64` breaks its lines every 76 characters); it is
 * removed before sending, and looked for only when the strict check fails, so a clean value is not copied.
 */
function fromBase64(given: string): WireImage | string {
  const value = isValidBase64(given) ? given : base64WithoutWhitespace(given);
  if (value === undefined) {
    return given.trim() === '' ? 'base64 image is empty' : 'base64 image is not valid padded base64 (A-Z a-z 0-9 + /, = padding; whitespace is skipped)';
  }
  const { bytes, complete } = decodeBase64Head(value, SAMPLE_BYTES);
  const text = textInsteadOfImage(bytes, complete);
  if (text) return `base64 image decodes to ${text}${NOT_AN_IMAGE}`;
  return checkedBase64(value);
}

const NOT_AN_IMAGE = ', not an encoded image (the server answers 400 Malformed base64 input image)';

function fromBytes(bytes: Uint8Array): WireImage | string {
  if (bytes.byteLength === 0) return 'image bytes are empty';
  const text = textInsteadOfImage(bytes.subarray(0, SAMPLE_BYTES), bytes.byteLength <= SAMPLE_BYTES);
  if (text) return `image bytes are ${text}${NOT_AN_IMAGE}`;
  return encodedSizeProblem(bytes.byteLength) ?? checkedBase64(encodeBase64(bytes));
}

/**
 * The longest string sent: V8's limit is just under 2^29 characters (512 Mi); others allow more, but
 * a body that size is far beyond any server's limit anyway.
 */
export const LONGEST_BODY_CHARS = 2 ** 29 - 24;

/**
 * Why bytes of this length cannot be sent as base64, told from the length alone before any encoding:
 * 420 MiB and more encode to a string longer than a JavaScript engine builds.
 */
function encodedSizeProblem(byteLength: number): string | undefined {
  const encoded = Math.ceil(byteLength / 3) * 4;
  if (encoded <= LONGEST_BODY_CHARS) return undefined;
  return `image of ${mebibytes(byteLength)} encodes to ${mebibytes(encoded)} of base64, more than a request can carry (${mebibytes(LONGEST_BODY_CHARS)})`;
}

function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function preview(value: string): string {
  return value.length > 40 ? `${value.slice(0, 37)}...` : value;
}

/**
 * Replaces each Blob found where an image may stand (a field itself, an element of its list, or a
 * value of its name map) with its bytes, so validation that follows stays synchronous. A Blob's read
 * may never settle (a stream that stalls): callers wait for it within the call's limits. Nothing else
 * is awaited: a Promise given as an image stays one, for validation to refuse.
 */
export async function readBlobs<T extends Record<string, unknown>>(payload: T, fields: readonly string[]): Promise<T> {
  let out: Record<string, unknown> | undefined;
  for (const field of fields) {
    const value = payload[field];
    const pending = blobsIn(value);
    if (pending === undefined) continue;
    (out ??= { ...payload })[field] = await pending;
  }
  return (out ?? payload) as T;
}

/**
 * The value with its Blobs read, or undefined when it holds none, so that a payload without Blobs is
 * not copied. A list longer than a request takes is left to validation to refuse, unread. Only Blobs
 * are read: any other item, a Promise included, is kept as it is.
 */
function blobsIn(value: unknown): Promise<unknown> | undefined {
  if (Array.isArray(value)) {
    if (value.length > MAX_ITEMS_PER_REQUEST || !value.some(isBlob)) return undefined;
    return Promise.all(value.map((item) => (isBlob(item) ? readBlob(item) : undefined))).then((read) =>
      value.map((item, i) => (isBlob(item) ? read[i] : item)),
    );
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value);
    if (entries.length > MAX_ITEMS_PER_REQUEST || !entries.some(([, item]) => isBlob(item))) return undefined;
    return Promise.all(entries.map(([, item]) => (isBlob(item) ? readBlob(item) : undefined))).then((read) =>
      Object.fromEntries(entries.map(([name, item], i) => [name, isBlob(item) ? read[i] : item])),
    );
  }
  return isBlob(value) ? readBlob(value) : undefined;
}

const isBlob = (value: unknown): value is Blob => value instanceof Blob;

async function readBlob(blob: Blob): Promise<Uint8Array> {
  // Told from the size before reading: the bytes of an image too large to send are never loaded.
  const problem = encodedSizeProblem(blob.size);
  if (problem) throw new ClipValidationError([{ path: [], message: problem }]);
  return new Uint8Array(await blob.arrayBuffer());
}

/** A plain `{...}` object (not a class instance such as URL, Uint8Array or Blob). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Reads an image file into a base64 wire image (Node, Bun, Deno: runtimes with a file system). */
export async function imageFromFile(path: string): Promise<WireImage> {
  const { readFile } = await loadNodeFs();
  const bytes = await readFile(path);
  if (bytes.byteLength === 0) throw new TypeError(`image file is empty: ${path}`);
  const problem = encodedSizeProblem(bytes.byteLength);
  if (problem) throw new ClipValidationError([{ path: [], message: `${path}: ${problem}` }]);
  return { type: 'base64', value: encodeBase64(bytes) };
}
