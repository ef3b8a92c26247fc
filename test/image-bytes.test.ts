import { describe, expect, it } from 'vitest';
import { ClipApiError, ClipValidationError, type ImageInput } from '../src/index.js';
import { useMockClient } from './helpers/mock-client.js';
import { PNG_BYTES } from './fixtures/images.js';
import { upstreamBody, upstreamCase, UPSTREAM_JPEGS } from './fixtures/upstream.js';

const ctx = useMockClient();

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));
const le32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];

/** The first bytes of an image of each format the server decodes (OpenCV's): enough to tell it from text. */
const IMAGES: [string, Buffer][] = [
  ['JPEG', Buffer.from(UPSTREAM_JPEGS.red, 'base64')],
  ['PNG', Buffer.from(PNG_BYTES)],
  ['GIF', Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')],
  ['BMP', bytes('BM', le32(58), le32(0), le32(54), le32(40), le32(1), le32(1), [1, 0, 24, 0], le32(0), le32(4), le32(0), le32(0), le32(0), le32(0), [0, 0, 255, 0])],
  ['WebP', Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64')],
  ['TIFF (little-endian)', bytes('II', [42, 0], le32(8), [0, 0])],
  ['TIFF (big-endian)', bytes('MM', [0, 42, 0, 0, 0, 8, 0, 0])],
  ['JPEG 2000', bytes([0, 0, 0, 12], 'jP  ', [13, 10, 0x87, 10])],
  ['PPM (binary pixels)', bytes('P6\n1 1\n255\n', [255, 0, 0])],
  ['PBM (text pixels)', bytes('P1\n2 2\n0 1\n1 0\n')],
  ['Radiance HDR', bytes('#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 1 +X 1\n', [128, 128, 128, 129])],
  ['an unknown binary format', bytes([0, 1, 2, 3, 250, 251, 252])],
];

const TEXTS: [string, string, RegExp][] = [
  ['plain text', 'hello, this is plain text and not an image', /plain text/],
  ['the transcript\'s non-image bytes', Buffer.from(upstreamBody<{ image: { value: string } }>('b64notimg').image.value, 'base64').toString(), /plain text/],
  ['UTF-8 text', 'un café à Paris, 東京の猫', /plain text/],
  ['an HTML error page', '<!DOCTYPE html>\n<html><body>404 Not Found</body></html>', /HTML or XML text/],
  ['SVG', '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>', /HTML or XML text .*SVG/],
  ['JSON', '  {"message": "Could not load input image."}', /JSON text/],
  ['a JSON list', '[1, 2, 3]', /JSON text/],
  ['text longer than the part that is looked at', 'a line of text\n'.repeat(100), /plain text/],
];

/** What the client sent; the mock, like the server, may still fail to decode a header-only image (400). */
async function sentImage(image: ImageInput): Promise<unknown> {
  ctx.mock.requests.length = 0;
  await ctx.clip.embedImage({ image }).catch((error: unknown) => {
    if (!(error instanceof ClipApiError && error.status === 400)) throw error;
  });
  expect(ctx.mock.requests).toHaveLength(1);
  return (ctx.mock.requests[0]!.body as { image: unknown }).image;
}

async function refusal(image: ImageInput): Promise<string> {
  const error = await ctx.clip.embedImage({ image }).then(
    () => expect.fail('the call resolved'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClipValidationError);
  expect(ctx.mock.requests).toEqual([]);
  return (error as ClipValidationError).issues[0]!.message;
}

describe('image bytes', () => {
  it.each(IMAGES)('sends %s, as base64 and as bytes', async (_format, image) => {
    const base64 = image.toString('base64');
    expect(await sentImage({ type: 'base64', value: base64 })).toEqual({ type: 'base64', value: base64 });
    expect(await sentImage(new Uint8Array(image))).toEqual({ type: 'base64', value: base64 });
  });

  it.each(TEXTS)('refuses %s before sending, as base64 and as bytes', async (_what, text, kind) => {
    const base64 = Buffer.from(text).toString('base64');
    const fromBase64 = await refusal({ type: 'base64', value: base64 });
    expect(fromBase64).toMatch(kind);
    expect(fromBase64).toMatch(/^base64 image decodes to .*, not an encoded image/);
    expect(await refusal(`data:image/png;base64,${base64}`)).toMatch(kind);
    expect(await refusal(Buffer.from(text))).toMatch(/^image bytes are .*, not an encoded image/);
  });

  it('refuses empty bytes and empty base64', async () => {
    expect(await refusal(new Uint8Array(0))).toBe('image bytes are empty');
    expect(await refusal({ type: 'base64', value: '' })).toBe('base64 image is empty');
    expect(await refusal({ type: 'base64', value: ' \n ' })).toBe('base64 image is empty');
  });
});

describe('base64 with whitespace', () => {
  it('is sent without it: the transcript image with a line break every 76 characters', async () => {
    const { value } = upstreamBody<{ image: { value: string } }>('b64ws').image;
    expect(upstreamCase('b64ws').responses.legacy.status).toBe(200);
    expect(value).toContain('\n');
    expect(await sentImage({ type: 'base64', value })).toEqual({ type: 'base64', value: UPSTREAM_JPEGS.red });
  });

  it('is sent without it: spaces, tabs and CRLF line breaks, in a data URL too', async () => {
    const spread = UPSTREAM_JPEGS.red.replace(/(.{64})/g, '$1\r\n').replace(/(.{10})/, '$1 \t ');
    expect(await sentImage({ type: 'base64', value: spread })).toEqual({ type: 'base64', value: UPSTREAM_JPEGS.red });
    expect(await sentImage(`data:image/jpeg;base64,${spread}\n`)).toEqual({ type: 'base64', value: UPSTREAM_JPEGS.red });
  });
});

describe('image types', () => {
  it.each([['BASE64'], ['Base64']])('"%s" is accepted and sent lower-cased', async (type) => {
    expect(upstreamCase('typeUpper').responses.legacy.status).toBe(200);
    expect(await sentImage({ type, value: UPSTREAM_JPEGS.red } as ImageInput)).toEqual({ type: 'base64', value: UPSTREAM_JPEGS.red });
  });

  it('"URL" is accepted and sent lower-cased', async () => {
    const value = 'https://example.com/cat.jpg';
    expect(await sentImage({ type: 'URL', value })).toEqual({ type: 'url', value });
  });

  it.each(['FILE', 'Numpy', 'PIL'])('the server-side type "%s" is refused in any case', async (type) => {
    expect(await refusal({ type, value: '/etc/hostname' } as ImageInput)).toMatch(new RegExp(`image type "${type}" .*not accepted`));
  });
});
