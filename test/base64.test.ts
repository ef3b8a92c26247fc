import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidBase64 } from '../src/wire/base64.js';

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
