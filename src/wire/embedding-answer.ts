/**
 * An embedding answer read with its vectors straight into Float32Arrays, for the jobs that keep
 * vectors as float32 (`embeddingFormat: 'float32'` or `'matrix'`, and indexing into a store).
 * `JSON.parse` makes a double of every number and then an array of them, which is most of a batch
 * job's own time; this reads the bytes once. Every value equals `Math.fround` of what `JSON.parse`
 * gives. A body in any other shape, or with a value the short way cannot be sure of (within 2e-14
 * of a float32 rounding boundary, or with a decimal exponent past 22), is left to `JSON.parse` (the
 * caller's), which also gives its errors.
 */

/** `"embeddings"`, byte by byte. */
const KEY = [0x22, 0x65, 0x6d, 0x62, 0x65, 0x64, 0x64, 0x69, 0x6e, 0x67, 0x73, 0x22];

/**
 * The bytes the reader looks for. A const enum, so that each use is the number itself: a bundler
 * turns module constants into `var`s, which V8 loads on every comparison (1.5x slower here).
 */
const enum Byte {
  Tab = 0x09,
  LineFeed = 0x0a,
  Return = 0x0d,
  Space = 0x20,
  Quote = 0x22,
  Comma = 0x2c,
  Plus = 0x2b,
  Minus = 0x2d,
  Dot = 0x2e,
  Zero = 0x30,
  Nine = 0x39,
  Colon = 0x3a,
  Open = 0x5b,
  Close = 0x5d,
  UpperE = 0x45,
  LowerE = 0x65,
}

/** Exact powers of ten: every one up to 1e22 is a double. */
const POWERS = Array.from({ length: 23 }, (_, i) => 10 ** i);

// A byte order mark is kept, as the caller's decoding keeps it (and JSON.parse then refuses it).
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Where the last number read ended; set by `readNumber`. */
let end = 0;

/**
 * The answer as `JSON.parse` would give it, but with `embeddings` a list of Float32Array views of
 * one buffer; undefined when the body is not a JSON object whose `embeddings` is a non-empty list
 * of equally long, non-empty lists of numbers that all fit in a float32.
 */
export function parseFloat32Answer(bytes: Uint8Array): Record<string, unknown> | undefined {
  const key = findKey(bytes);
  if (key < 0) return undefined;
  let at = skipSpace(bytes, key + KEY.length);
  if (bytes[at] !== Byte.Colon) return undefined;
  const listStart = skipSpace(bytes, at + 1);
  const read = readRows(bytes, listStart);
  if (!read) return undefined;
  // The rest of the body, with a placeholder where the list was: JSON.parse checks it whole.
  let rest: unknown;
  try {
    rest = JSON.parse(`${decoder.decode(bytes.subarray(0, listStart))}0${decoder.decode(bytes.subarray(read.end))}`);
  } catch {
    return undefined;
  }
  // The key found must be the object's own (not one in a nested object, nor twice).
  if (typeof rest !== 'object' || rest === null || Array.isArray(rest) || (rest as { embeddings?: unknown }).embeddings !== 0) return undefined;
  (rest as { embeddings: Float32Array[] }).embeddings = read.rows;
  return rest as Record<string, unknown>;
}

/** Index of the first `"embeddings"` outside a string: a quote inside a string is escaped, so the bytes cannot match there. */
function findKey(bytes: Uint8Array): number {
  for (let at = bytes.indexOf(Byte.Quote); at >= 0; at = bytes.indexOf(Byte.Quote, at + 1)) {
    let j = 1;
    while (j < KEY.length && bytes[at + j] === KEY[j]) j++;
    if (j === KEY.length) return at;
  }
  return -1;
}

function skipSpace(bytes: Uint8Array, at: number): number {
  let c = bytes[at];
  while (c === Byte.Space || c === Byte.LineFeed || c === Byte.Return || c === Byte.Tab) c = bytes[++at]!;
  return at;
}

/** Scratch space for the numbers of one answer, made on first use, grown as needed and copied out at the end. */
let scratch = new Float32Array(0);

/** The list of rows at `at` (its `[`), or undefined for anything but a non-empty list of equal, non-empty rows of numbers. */
function readRows(bytes: Uint8Array, at: number): { rows: Float32Array[]; end: number } | undefined {
  if (bytes[at] !== Byte.Open) return undefined;
  let count = 0;
  let dimension = 0;
  let written = 0;
  let out = scratch;
  at = skipSpace(bytes, at + 1);
  for (;;) {
    if (bytes[at] !== Byte.Open) return undefined;
    at = skipSpace(bytes, at + 1);
    const rowStart = written;
    for (;;) {
      const value = readNumber(bytes, at);
      if (value !== value) return undefined;
      if (written === out.length) {
        const grown = new Float32Array(Math.max(out.length * 2, 8 * 512));
        grown.set(out);
        scratch = out = grown;
      }
      out[written++] = value;
      at = skipSpace(bytes, end);
      if (bytes[at] === Byte.Comma) {
        at = skipSpace(bytes, at + 1);
        continue;
      }
      if (bytes[at] !== Byte.Close) return undefined;
      break;
    }
    const length = written - rowStart;
    if (count === 0) dimension = length;
    else if (length !== dimension) return undefined;
    count++;
    at = skipSpace(bytes, at + 1);
    if (bytes[at] === Byte.Comma) {
      at = skipSpace(bytes, at + 1);
      continue;
    }
    if (bytes[at] !== Byte.Close) return undefined;
    break;
  }
  const buffer = out.slice(0, written);
  const rows = Array.from({ length: count }, (_, i) => buffer.subarray(i * dimension, (i + 1) * dimension));
  return { rows, end: at + 1 };
}

/**
 * The JSON number at `at` as a float32 (setting `end`), or NaN when there is none, or when the short
 * way cannot be sure of its float32 (then the whole answer is left to JSON.parse: about one answer in
 * a few hundred of 8 x 512 numbers).
 */
function readNumber(bytes: Uint8Array, at: number): number {
  // Past the end `c` is undefined, which no comparison below takes for a digit.
  let c = bytes[at]!;
  const negative = c === Byte.Minus;
  if (negative) c = bytes[++at]!;
  // The first 15 significant digits, as an integer (exact in a double); `exponent` places its
  // decimal point. Local constants: V8 folds them, as it does not a bundle's module `var`s.
  const keptDigits = 15;
  // More than the error of the short way (the digits past the 15th, one operation): ~1e-14, relative.
  const margin = 2e-14;
  let digits = 0;
  let kept = 0;
  let exponent = 0;
  if (c === Byte.Zero) {
    c = bytes[++at]!;
  } else if (c > Byte.Zero && c <= Byte.Nine) {
    do {
      if (kept < keptDigits) {
        digits = digits * 10 + (c - Byte.Zero);
        kept++;
      } else {
        exponent++;
      }
      c = bytes[++at]!;
    } while (c >= Byte.Zero && c <= Byte.Nine);
  } else {
    return Number.NaN;
  }
  if (c === Byte.Dot) {
    c = bytes[++at]!;
    if (!(c >= Byte.Zero && c <= Byte.Nine)) return Number.NaN;
    do {
      if (kept < keptDigits) {
        digits = digits * 10 + (c - Byte.Zero);
        if (digits !== 0) kept++;
        exponent--;
      }
      c = bytes[++at]!;
    } while (c >= Byte.Zero && c <= Byte.Nine);
  }
  if (c === Byte.LowerE || c === Byte.UpperE) {
    c = bytes[++at]!;
    const negativeExponent = c === Byte.Minus;
    if (negativeExponent || c === Byte.Plus) c = bytes[++at]!;
    if (!(c >= Byte.Zero && c <= Byte.Nine)) return Number.NaN;
    let written = 0;
    do {
      // Past 4 digits the value is out of float32's reach (or zero) whatever the digits: refused below.
      if (written < 1e4) written = written * 10 + (c - Byte.Zero);
      c = bytes[++at]!;
    } while (c >= Byte.Zero && c <= Byte.Nine);
    exponent += negativeExponent ? -written : written;
  }
  end = at;
  // Powers of ten past 1e22 are not exact in a double.
  if (exponent > 22 || exponent < -22) return Number.NaN;
  const value = exponent >= 0 ? digits * POWERS[exponent]! : digits / POWERS[-exponent]!;
  const rounded = Math.fround(value);
  // Every real number within `margin` of `value` rounds to the same float32, so the exact decimal does too.
  if (Math.fround(value * (1 + margin)) !== rounded || Math.fround(value * (1 - margin)) !== rounded || rounded === Infinity) return Number.NaN;
  return negative ? -rounded : rounded;
}
