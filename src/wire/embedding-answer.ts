/**
 * An embedding answer read from its bytes, with each vector as `JSON.parse` would give it (a
 * `number[]`) or, for the jobs that keep float32 (`embeddingFormat: 'float32'` or `'matrix'`, and
 * indexing into a store), straight into Float32Arrays. `JSON.parse` goes through the text as a
 * string and makes each number on its own, which is half of a request's time; this reads the bytes
 * once. Every value equals what `JSON.parse` gives (`Math.fround` of it for float32): the digits go
 * into an exact sum of two doubles, which one division by an exact power of ten places. A body in
 * any other shape, or with a number the short way cannot be sure of (more than 17 significant
 * digits, a decimal exponent past 22, a value within 1e-30 of halfway between two doubles), is left
 * to `JSON.parse` (the caller's), which also gives its errors.
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

/** A body shorter than this is quicker to JSON.parse whole (an answer of 4 numbers: by 0.7 us); 512 numbers take ~10 KB. */
export const SHORT_ANSWER_BYTES = 2048;

/** Exact powers of ten: every one up to 1e22 is a double. */
const POWERS = Array.from({ length: 23 }, (_, i) => 10 ** i);

// A byte order mark is kept, as the caller's decoding keeps it (and JSON.parse then refuses it).
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Where the last number read ended; set by `readNumber`. */
let numberEnd = 0;

/**
 * The answer as `JSON.parse` would give it, with `embeddings` a list of Float32Array views of one
 * buffer when `float32`; undefined when the body is not a JSON object whose `embeddings` is a
 * non-empty list of equally long, non-empty lists of numbers, or holds a number left to `JSON.parse`.
 */
export function parseEmbeddingAnswer(bytes: Uint8Array, float32: boolean): Record<string, unknown> | undefined {
  const key = findKey(bytes);
  if (key < 0) return undefined;
  const at = skipSpace(bytes, key + KEY.length);
  if (bytes[at] !== Byte.Colon) return undefined;
  const listStart = skipSpace(bytes, at + 1);
  const read = readRows(bytes, listStart, float32);
  // A second "embeddings" after the list (JSON.parse keeps the last of a repeated key) is left to JSON.parse.
  if (!read || findKey(bytes, read.end) >= 0) return undefined;
  // The rest of the body, with a placeholder where the list was: JSON.parse checks it whole.
  let rest: unknown;
  try {
    rest = JSON.parse(`${decoder.decode(bytes.subarray(0, listStart))}0${decoder.decode(bytes.subarray(read.end))}`);
  } catch {
    return undefined;
  }
  // The key found must be the object's own, not one in a nested object.
  if (typeof rest !== 'object' || rest === null || Array.isArray(rest) || (rest as { embeddings?: unknown }).embeddings !== 0) return undefined;
  (rest as { embeddings: unknown }).embeddings = read.rows;
  return rest as Record<string, unknown>;
}

/** Index of the first `"embeddings"` from `from` outside a string: a quote inside a string is escaped, so the bytes cannot match there. */
function findKey(bytes: Uint8Array, from = 0): number {
  for (let at = bytes.indexOf(Byte.Quote, from); at >= 0; at = bytes.indexOf(Byte.Quote, at + 1)) {
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
let scratch = new Float64Array(0);

/**
 * The list of rows at `at` (its `[`), or undefined (see `parseEmbeddingAnswer`): as Float32Array
 * views of one buffer when `float32`, else as arrays of exactly their length (as JSON.parse makes
 * them; an array grown by push holds spare room, 8% more memory for 100,000 vectors).
 */
function readRows(bytes: Uint8Array, at: number, float32: boolean): { rows: Float32Array[] | number[][]; end: number } | undefined {
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
        const grown = new Float64Array(Math.max(out.length * 2, 8 * 512));
        grown.set(out);
        scratch = out = grown;
      }
      out[written++] = value;
      at = skipSpace(bytes, numberEnd);
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
  return { rows: float32 ? float32Rows(out, count, dimension) : doubleRows(out, count, dimension), end: at + 1 };
}

/** `count` rows of `dimension` numbers as Float32Array views of one buffer (rounded as Math.fround does). */
function float32Rows(numbers: Float64Array, count: number, dimension: number): Float32Array[] {
  const buffer = new Float32Array(numbers.subarray(0, count * dimension));
  return Array.from({ length: count }, (_, i) => buffer.subarray(i * dimension, (i + 1) * dimension));
}

/** `count` rows of `dimension` numbers as arrays of exactly that length. */
function doubleRows(numbers: Float64Array, count: number, dimension: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0, at = 0; i < count; i++) {
    const row = new Array<number>(dimension);
    for (let j = 0; j < dimension; j++) row[j] = numbers[at++]!;
    rows.push(row);
  }
  return rows;
}

/**
 * The JSON number at `at` as the double `JSON.parse` makes of it (setting `numberEnd`), or NaN when there
 * is none, or when the short way cannot be sure of it (then the whole answer is left to JSON.parse).
 */
function readNumber(bytes: Uint8Array, at: number): number {
  // Past the end `c` is undefined, which no comparison below takes for a digit.
  let c = bytes[at]!;
  const negative = c === Byte.Minus;
  if (negative) c = bytes[++at]!;
  // Up to 17 significant digits: the first 9 in `high`, the others (`lowDigits` of them) in `low`;
  // `exponent` places the decimal point.
  let high = 0;
  let low = 0;
  let lowDigits = 0;
  let digits = 0;
  let exponent = 0;
  if (c === Byte.Zero) {
    c = bytes[++at]!;
  } else if (c > Byte.Zero && c <= Byte.Nine) {
    do {
      if (digits < 9) high = high * 10 + (c - Byte.Zero);
      else {
        low = low * 10 + (c - Byte.Zero);
        lowDigits++;
      }
      digits++;
      c = bytes[++at]!;
    } while (c >= Byte.Zero && c <= Byte.Nine);
  } else {
    return Number.NaN;
  }
  if (c === Byte.Dot) {
    c = bytes[++at]!;
    if (!(c >= Byte.Zero && c <= Byte.Nine)) return Number.NaN;
    if (digits === 0) {
      while (c === Byte.Zero) {
        exponent--;
        c = bytes[++at]!;
      }
    }
    while (c >= Byte.Zero && c <= Byte.Nine) {
      if (digits < 9) high = high * 10 + (c - Byte.Zero);
      else {
        low = low * 10 + (c - Byte.Zero);
        lowDigits++;
      }
      digits++;
      exponent--;
      c = bytes[++at]!;
    }
  }
  if (c === Byte.LowerE || c === Byte.UpperE) {
    c = bytes[++at]!;
    const negativeExponent = c === Byte.Minus;
    if (negativeExponent || c === Byte.Plus) c = bytes[++at]!;
    if (!(c >= Byte.Zero && c <= Byte.Nine)) return Number.NaN;
    let written = 0;
    do {
      // Past 4 digits the exponent is out of reach whatever the digits: refused below.
      if (written < 1e4) written = written * 10 + (c - Byte.Zero);
      c = bytes[++at]!;
    } while (c >= Byte.Zero && c <= Byte.Nine);
    exponent += negativeExponent ? -written : written;
  }
  numberEnd = at;
  if (digits > 17 || exponent > 22 || exponent < -22) return Number.NaN;
  let value: number;
  if (lowDigits === 0) {
    // At most 9 digits, exact; one operation with an exact power of ten rounds as JSON.parse does.
    value = exponent >= 0 ? high * POWERS[exponent]! : high / POWERS[-exponent]!;
  } else {
    if (exponent > 0) return Number.NaN;
    // Local constants: V8 folds them, as it does not a bundle's module `var`s.
    const splitter = 134217729; // 2^27 + 1, for Dekker's exact products
    // The digits, high x 10^lowDigits + low (an integer below 2^57), as an exact sum of two doubles.
    // The product is exact: 10^k is 2^k x 5^k, and high x 5^8 is below 2^53.
    const product = high * POWERS[lowDigits]!;
    const sum = product + low;
    const back = sum - product;
    const tail = product - (sum - back) + (low - back);
    const whole = sum + tail;
    if (exponent === 0) {
      // One addition of two doubles rounds as JSON.parse does.
      value = whole;
    } else {
      const wholeTail = tail - (whole - sum);
      // The quotient by an exact power of ten: a first double, then the remainder's share.
      const divisor = POWERS[-exponent]!;
      const quotient = whole / divisor;
      const back2 = quotient * divisor;
      let t = splitter * quotient;
      const quotientHi = t - (t - quotient);
      const quotientLo = quotient - quotientHi;
      t = splitter * divisor;
      const divisorHi = t - (t - divisor);
      const divisorLo = divisor - divisorHi;
      const backError = quotientHi * divisorHi - back2 + quotientHi * divisorLo + quotientLo * divisorHi + quotientLo * divisorLo;
      const correction = (whole - back2 - backError + wholeTail) / divisor;
      value = quotient + correction;
      const rest = correction - (value - quotient);
      // The sum is within ~1e-31 of the exact quotient (relative): where a rounding boundary lies
      // closer than the margin, the double is not certain and the answer goes to JSON.parse.
      const margin = value * 1.3e-30;
      if (value + (rest + margin) !== value || value + (rest - margin) !== value) return Number.NaN;
    }
  }
  return negative ? -value : value;
}
