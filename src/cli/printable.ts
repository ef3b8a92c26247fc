/**
 * Text the CLI did not write itself (file names, ids read from an index, server messages) may hold
 * terminal control sequences: escaped, they show as text instead of moving the cursor, retitling
 * the window or hiding what follows.
 */

/** C0 and C1 controls, DEL, line and paragraph separators, and the bidirectional overrides that reorder what a reader sees. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with each control character written as an escape (`\x1b`, `\u202e`). */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (char) => {
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** What `JSON.stringify` leaves unescaped in strings (it escapes the C0 controls itself; its own newlines are layout). */
const UNPRINTABLE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** JSON that is safe on a terminal and still the same JSON: the controls `JSON.stringify` leaves are written as `\u` escapes. */
export function printableJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(UNPRINTABLE_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
