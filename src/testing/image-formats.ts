/**
 * What the mock reads from image bytes without decoding pixels: the format by its signature, the
 * dimensions from its header, and any text the file carries (PNG text chunks, JPEG comments).
 * The server decodes with OpenCV, so bytes count as an image when they start like one of the formats
 * OpenCV reads and their header gives a size; anything else is what OpenCV would refuse.
 */

export interface ImageHeader {
  format: 'jpeg' | 'png' | 'gif' | 'bmp' | 'webp' | 'tiff' | 'pnm';
  width: number;
  height: number;
}

/** The bytes of a binary string (as `atob` returns); a mapping callback per byte is far slower on images of megabytes. */
export function binaryBytes(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const ascii = (bytes: Uint8Array, start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));
const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u16le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);
const u32be = (b: Uint8Array, i: number) => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
const u32le = (b: Uint8Array, i: number) => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
const u24le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);

const sized = (format: ImageHeader['format'], width: number, height: number): ImageHeader | undefined =>
  width > 0 && height > 0 ? { format, width, height } : undefined;

/** The image's format and size, or undefined when the bytes are no image OpenCV would decode. */
export function readImageHeader(bytes: Uint8Array): ImageHeader | undefined {
  if (bytes.length < 8) return undefined;
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return jpegHeader(bytes);
  if (ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') {
    return bytes.length >= 24 && ascii(bytes, 12, 16) === 'IHDR' ? sized('png', u32be(bytes, 16), u32be(bytes, 20)) : undefined;
  }
  const start = ascii(bytes, 0, 6);
  if (start === 'GIF87a' || start === 'GIF89a') return bytes.length >= 10 ? sized('gif', u16le(bytes, 6), u16le(bytes, 8)) : undefined;
  if (start.startsWith('BM')) return bytes.length >= 26 ? sized('bmp', u32le(bytes, 18) | 0, Math.abs(u32le(bytes, 22) | 0)) : undefined;
  if (start.startsWith('RIFF') && bytes.length >= 30 && ascii(bytes, 8, 12) === 'WEBP') return webpHeader(bytes);
  if (start.startsWith('II*\0') || start.startsWith('MM\0*')) return tiffHeader(bytes);
  if (/^P[1-6]\s/.test(ascii(bytes, 0, 3))) return pnmHeader(bytes);
  return undefined;
}

function jpegHeader(bytes: Uint8Array): ImageHeader | undefined {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    // SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return sized('jpeg', u16be(bytes, i + 7), u16be(bytes, i + 5));
    }
    i += 2 + u16be(bytes, i + 2);
  }
  return undefined;
}

function webpHeader(bytes: Uint8Array): ImageHeader | undefined {
  const chunk = ascii(bytes, 12, 16);
  if (chunk === 'VP8 ') return sized('webp', u16le(bytes, 26) & 0x3fff, u16le(bytes, 28) & 0x3fff);
  if (chunk === 'VP8L') {
    const bits = u32le(bytes, 21);
    return sized('webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (chunk === 'VP8X') return sized('webp', u24le(bytes, 24) + 1, u24le(bytes, 27) + 1);
  return undefined;
}

function tiffHeader(bytes: Uint8Array): ImageHeader | undefined {
  const little = bytes[0] === 0x49;
  const u16 = little ? u16le : u16be;
  const u32 = little ? u32le : u32be;
  const ifd = u32(bytes, 4);
  if (ifd + 2 > bytes.length) return undefined;
  let width = 0;
  let height = 0;
  const entries = u16(bytes, ifd);
  for (let e = 0; e < entries; e++) {
    const at = ifd + 2 + e * 12;
    if (at + 12 > bytes.length) return undefined;
    const tag = u16(bytes, at);
    // Type 3 is SHORT, stored in the first two bytes of the value field; otherwise LONG.
    const value = u16(bytes, at + 2) === 3 ? u16(bytes, at + 8) : u32(bytes, at + 8);
    if (tag === 256) width = value;
    if (tag === 257) height = value;
  }
  return sized('tiff', width, height);
}

function pnmHeader(bytes: Uint8Array): ImageHeader | undefined {
  const header = ascii(bytes, 0, Math.min(bytes.length, 512)).replace(/#[^\n]*\n/g, ' ');
  const match = /^P[1-6]\s+(\d+)\s+(\d+)\s/.exec(header);
  return match ? sized('pnm', Number(match[1]), Number(match[2])) : undefined;
}

const latin1 = (bytes: Uint8Array) => Array.from(bytes, (b) => String.fromCharCode(b)).join('');
const utf8 = new TextDecoder();

/** The text an image file carries beside its pixels: PNG tEXt/iTXt chunks and JPEG COM segments. */
export function readImageText(bytes: Uint8Array, format: ImageHeader['format']): string {
  const texts: string[] = [];
  if (format === 'png') {
    for (let i = 8; i + 12 <= bytes.length; ) {
      const length = u32be(bytes, i);
      const type = ascii(bytes, i + 4, i + 8);
      const data = bytes.subarray(i + 8, Math.min(bytes.length, i + 8 + length));
      const keywordEnd = data.indexOf(0);
      if (type === 'tEXt' && keywordEnd >= 0) texts.push(latin1(data.subarray(keywordEnd + 1)));
      // iTXt: keyword, NUL, compression flag and method, language tag NUL, translated keyword NUL, text.
      if (type === 'iTXt' && keywordEnd >= 0 && data[keywordEnd + 1] === 0) {
        const language = data.indexOf(0, keywordEnd + 3);
        const translated = language < 0 ? -1 : data.indexOf(0, language + 1);
        if (translated >= 0) texts.push(utf8.decode(data.subarray(translated + 1)));
      }
      i += 12 + length;
    }
  } else if (format === 'jpeg') {
    for (let i = 2; i + 4 <= bytes.length && bytes[i] === 0xff; ) {
      const marker = bytes[i + 1]!;
      if (marker === 0xda || marker === 0xd9) break;
      const length = u16be(bytes, i + 2);
      if (marker === 0xfe) texts.push(utf8.decode(bytes.subarray(i + 4, i + 2 + length)));
      i += 2 + length;
    }
  }
  return texts.join(' ');
}
