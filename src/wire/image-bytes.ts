/**
 * Bytes that certainly are not an encoded image, told apart before sending. The server decodes images
 * with OpenCV (JPEG, PNG, GIF, BMP, WebP, TIFF, JPEG 2000, PNM, HDR, EXR, ...) and answers 400
 * `Malformed base64 input image.` for anything else. Binary bytes of an unknown format are left to the
 * server; only bytes that read as text from the start are refused, as no format OpenCV reads is text,
 * apart from the few whose header is (below).
 */

/** Enough to tell text from a binary header; a base64 image is decoded this far, no further. */
export const SAMPLE_BYTES = 512;

/** Formats OpenCV reads whose header is text: PBM, PGM, PPM, PAM and PFM (`P1`..`P7`, `PF`, `Pf`), Radiance HDR. */
const TEXT_HEADED_IMAGE = /^(?:P[1-7Ff]\s|#\?(?:RADIANCE|RGBE))/;

/**
 * What `bytes` (an encoded image's start, or all of it) are when they certainly are not an image the
 * server decodes, e.g. `'JSON text'`; undefined when they may be one.
 */
export function textInsteadOfImage(bytes: Uint8Array, complete: boolean): string | undefined {
  if (bytes.length === 0 || !isText(bytes, !complete)) return undefined;
  const head = String.fromCharCode(...bytes.subarray(0, 16));
  if (TEXT_HEADED_IMAGE.test(head)) return undefined;
  const first = head.replace(/^\xEF\xBB\xBF/, '').trimStart()[0];
  if (first === '<') return 'HTML or XML text (an error page, or SVG, which the server does not decode)';
  if (first === '{' || first === '[') return 'JSON text';
  return 'plain text';
}

/**
 * Whether every byte is printable ASCII, a tab, line or page break, or part of a well-formed UTF-8
 * character; `cut` allows the sample's last character to be cut short.
 */
function isText(bytes: Uint8Array, cut: boolean): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x20 && byte < 0x7f) continue;
    if (byte === 0x09 || byte === 0x0a || byte === 0x0c || byte === 0x0d) continue;
    const continuations = byte >= 0xc2 && byte <= 0xdf ? 1 : byte >= 0xe0 && byte <= 0xef ? 2 : byte >= 0xf0 && byte <= 0xf4 ? 3 : -1;
    if (continuations < 0) return false;
    for (let k = 1; k <= continuations; k++) {
      if (i + k >= bytes.length) return cut;
      if ((bytes[i + k]! & 0xc0) !== 0x80) return false;
    }
    i += continuations;
  }
  return true;
}
