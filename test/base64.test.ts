import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { base64WithoutWhitespace, decodeBase64Head, isValidBase64 } from '../src/wire/base64.js';

/** Longer than the validator's decoding step, so that strings span several steps. */
const LARGE = 200_000;
const reference = (value: string) => value.length > 0 && /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value);

function encoded(size: number, seed: number): string {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 131 + seed * 7919) & 0xff;
  return bytes.toString('base64');
}

describe('isValidBase64', () => {
  it('accepts the base64 of any bytes, short or several decoding steps long', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: LARGE }), fc.integer({ min: 0, max: 255 }), (size, seed) => isValidBase64(encoded(size, seed))),
      { numRuns: 40 },
    );
  });

  it('refuses a long string with one bad character (outside the alphabet, whitespace, base64url, or early padding) anywhere', () => {
    const value = encoded(LARGE, 3);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: value.length - 3 }), fc.constantFrom('$', ' ', '\n', '-', '_', '=', '.'), (at, bad) => {
        const broken = value.slice(0, at) + bad + value.slice(at + 1);
        expect(isValidBase64(broken)).toBe(reference(broken));
        return !isValidBase64(broken);
      }),
      { numRuns: 60 },
    );
  });

  it('agrees with the padded standard-alphabet grammar on short strings', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9+/=_\- ]{0,24}$/), (value) => isValidBase64(value) === reference(value)),
      { numRuns: 500 },
    );
  });
});

describe('base64WithoutWhitespace', () => {
  const value = encoded(3000, 5);

  it('removes line breaks, spaces, tabs and CRLFs, and gives back valid base64', () => {
    expect(base64WithoutWhitespace(value.replace(/(.{76})/g, '$1\n'))).toBe(value);
    expect(base64WithoutWhitespace(value.replace(/(.{64})/g, '$1\r\n').replace(/(.{9})/, '$1 \t\v\f '))).toBe(value);
  });

  it('gives undefined for what is not base64 without whitespace either', () => {
    expect(base64WithoutWhitespace(`${value.slice(0, 100)}\n$${value.slice(101)}`)).toBeUndefined();
    expect(base64WithoutWhitespace('abcde\n')).toBeUndefined();
    expect(base64WithoutWhitespace(' \n ')).toBeUndefined();
  });
});

describe('decodeBase64Head', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  const bytes = Buffer.from(encoded(2000, 9), 'base64');
  /** The head as plain numbers: Buffer and Uint8Array compare alike. */
  const plain = ({ bytes: head, complete }: { bytes: Uint8Array; complete: boolean }) => ({ bytes: [...head], complete });

  it('decodes the first bytes only, and says whether they are all of them', () => {
    expect(plain(decodeBase64Head(bytes.toString('base64'), 512))).toEqual({ bytes: [...bytes.subarray(0, 512)], complete: false });
    expect(plain(decodeBase64Head(bytes.subarray(0, 512).toString('base64'), 512))).toEqual({ bytes: [...bytes.subarray(0, 512)], complete: true });
    expect(decodeBase64Head(bytes.subarray(0, 513).toString('base64'), 512).complete).toBe(false);
  });

  it('decodes the same without Buffer (Workers, browsers)', async () => {
    vi.stubGlobal('Buffer', undefined);
    vi.resetModules();
    const edge = await import('../src/wire/base64.js');
    for (const size of [1, 2, 3, 511, 512, 513, 2000]) {
      const value = bytes.subarray(0, size).toString('base64');
      expect(plain(edge.decodeBase64Head(value, 512))).toEqual(plain(decodeBase64Head(value, 512)));
    }
  });
});
