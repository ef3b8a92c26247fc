/**
 * How CLIP's tokenizer cuts a text before byte-pair encoding: its pre-tokenizer pattern. Every piece
 * becomes at least one token, so the piece count is a lower bound of the token count: a text of more
 * pieces than fit CLIP's context (77 tokens, start and end tokens included) certainly fails.
 */

/** CLIP's context of 77 tokens less its start and end tokens. */
export const MAX_CLIP_TEXT_PIECES = 75;

// CLIP's own pattern (matched on the lower-cased text): the special tokens, the contractions, runs of
// letters, single digits, and runs of anything else that is neither space, letter nor digit.
const CLIP_PIECE = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/gu;

/** The number of pieces CLIP's tokenizer splits `text` into before byte-pair encoding. */
export function countClipPieces(text: string): number {
  let count = 0;
  for (const _ of text.toLowerCase().matchAll(CLIP_PIECE)) count++;
  return count;
}
