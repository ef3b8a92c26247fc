/**
 * CLIP's text limit, counted before sending. The server's BPE tokenizer has a context of 77 tokens, its
 * start and end tokens included, and fails the whole request (HTTP 500) for a longer text. It first
 * splits the cleaned, lower-cased text into pieces, and every piece becomes at least one token: a text
 * of more than 75 pieces certainly does not fit, whatever the vocabulary.
 */

/** Pieces that fit CLIP's 77-token context besides its start and end tokens. */
export const MAX_CLIP_TEXT_PIECES = 75;

/** CLIP's pre-tokenizer pattern (its special tokens aside), matched case-insensitively as CLIP does. */
const PIECE = /'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/giu;

/**
 * How many pieces CLIP's tokenizer splits `text` into, after its whitespace cleanup and lower-casing:
 * runs of letters, single digits, runs of other non-space characters, and the contractions
 * `'s 't 're 've 'm 'll 'd`. A lower bound of the text's token count.
 */
export function countClipPieces(text: string): number {
  const cleaned = text.replace(/\s+/g, ' ').trim().toLowerCase();
  return cleaned.match(PIECE)?.length ?? 0;
}
