/**
 * A real PNG that carries a description: any decoder opens it (a plain grey picture), and the mock
 * embeds it by the words of its description, so tests can send pictures whose similarity they can
 * predict. Built by hand (stored deflate blocks) so that it needs no zlib and runs anywhere.
 */

export interface MockPngOptions {
  /** Default: 8. */
  width?: number | undefined;
  /** Default: 8. */
  height?: number | undefined;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const x of bytes) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

function concat(parts: (Uint8Array | number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const typed = concat([Array.from(type, (c) => c.charCodeAt(0)), data]);
  return concat([u32(data.length), typed, u32(crc32(typed))]);
}

/** A zlib stream of stored (uncompressed) deflate blocks. */
function zlibStored(raw: Uint8Array): Uint8Array {
  const BLOCK = 0xffff;
  const count = Math.max(1, Math.ceil(raw.length / BLOCK));
  const parts: (Uint8Array | number[])[] = [[0x78, 0x01]];
  for (let i = 0; i < count; i++) {
    const block = raw.subarray(i * BLOCK, (i + 1) * BLOCK);
    const n = block.length;
    parts.push([i === count - 1 ? 1 : 0, n & 0xff, n >>> 8, ~n & 0xff, (~n >>> 8) & 0xff], block);
  }
  parts.push(u32(adler32(raw)));
  return concat(parts);
}

/**
 * The bytes of a valid grey RGB PNG of `width` x `height` whose iTXt `Description` is `description`.
 * The mock embeds it as it embeds that text (plus a part specific to these exact bytes).
 */
export function mockPng(description: string, options: MockPngOptions = {}): Uint8Array {
  const { width = 8, height = 8 } = options;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width * height > 1 << 22) {
    throw new RangeError(`mockPng: width and height must be positive integers of at most 2^22 pixels, got ${width} x ${height}`);
  }
  const row = 1 + width * 3;
  // Filter byte 0 then mid-grey pixels on every row.
  const raw = new Uint8Array(row * height).fill(0x80);
  for (let y = 0; y < height; y++) raw[y * row] = 0;
  const header = new Uint8Array([...u32(width), ...u32(height), 8, 2, 0, 0, 0]);
  // iTXt: keyword, NUL, no compression (flag and method), empty language tag and translated keyword, UTF-8 text.
  const text = concat([new TextEncoder().encode('Description'), [0, 0, 0, 0, 0], new TextEncoder().encode(description)]);
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  return concat([signature, chunk('IHDR', header), chunk('iTXt', text), chunk('IDAT', zlibStored(raw)), chunk('IEND', new Uint8Array())]);
}
