import { describe, expect, it } from 'vitest';
import { countClipPieces, MAX_CLIP_TEXT_PIECES } from '../src/wire/clip-text.js';

describe('countClipPieces: the pieces CLIP cuts a text into before byte-pair encoding', () => {
  it.each([
    ['a photo of a cat', 5],
    ['', 0],
    ['   ', 0],
    // Runs of letters, lower-cased first; accents and other scripts are letters too.
    ['CATS and Dogs', 3],
    ['Ünïcödé 日本語', 2],
    // Each digit is a piece of its own.
    ['word42', 3],
    ['2024', 4],
    // Runs of anything that is neither space, letter nor digit.
    ['hello!!! ...?', 3],
    ['a-b', 3],
    // Contractions, in either case, split from the word before them.
    ["it's the cat's", 5],
    ["WE'LL SEE", 3],
    ["don't", 2],
    // The special tokens are one piece each.
    ['<|startoftext|>hi<|endoftext|>', 3],
    ["rock'n'roll", 5],
    // Whitespace of any kind and amount separates pieces and is no piece itself.
    ['  a\tcat\n\n on  a mat ', 5],
    // "İ" lower-cases to "i" and a combining dot, which is a piece of its own.
    ['İ', 2],
  ])('%j is %i pieces', (text, pieces) => {
    expect(countClipPieces(text)).toBe(pieces);
  });

  it('leaves 75 pieces of the 77-token context for the text, besides its start and end tokens', () => {
    expect(MAX_CLIP_TEXT_PIECES).toBe(75);
  });
});
