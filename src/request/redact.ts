/**
 * Key redaction: everything kept from a failed request passes here before the caller sees it, as
 * servers echo request bodies (FastAPI's 422 `input`) and URLs, and transport errors quote them.
 *
 * The rule, the same for a key of any length:
 *
 * 1. What is hidden is every spelling the key can take in a server's or a transport's output, each a
 *    reading of the whole key: as given; inside a string escaped once, twice or three times (JSON,
 *    JSON quoted in JSON: `\"`, `\\`, `\/`, `\u0041`, `\x41`); percent-encoded in either case, by
 *    any encoder (`encodeURIComponent`, Python's `quote`, form encoding with `+` for a space); and
 *    HTML-escaped. Within a reading each character may take any of its forms (an encoder's choice),
 *    but readings never mix, so that `api_key=%3D` does not read as the key `==`.
 * 2. A spelling is hidden where it stands as a token of its own: not glued to a letter, digit, `_`
 *    or `-` on a side where the key itself begins or ends with one. An escape sequence just before
 *    it (`%3D`, `\n`, `\u0022`) counts as a separator. So a key `e` is hidden in `?api_key=e&`,
 *    `"api_key": "e"` and `Bearer e`, while `message` and `x-echo` keep their letters.
 * 3. A key of 16 characters or more is hidden wherever it occurs, glued or not: no ordinary text
 *    holds such a string by chance, and a real key (Roboflow's are 20 or more) is then hidden even
 *    where a server runs it into other text.
 *
 * JSON is parsed before it is scrubbed, so that escapes never split a key and a scrubbed body stays
 * valid; errors are never scrubbed in place but rebuilt from an allow-list of their properties.
 */

/** What stands where a key was. */
export const REDACTED = '***';

/** From this length a key is hidden wherever it occurs (rule 3). */
const ALWAYS_HIDDEN_LENGTH = 16;

/** Levels of a JSON value kept in an error; deeper ones are replaced, so the error stays printable. */
export const MAX_KEPT_DEPTH = 64;
export const TOO_DEEP = `[nested deeper than ${MAX_KEPT_DEPTH} levels]`;

/** Causes kept below an error, and errors kept from an AggregateError. */
const MAX_CAUSE_DEPTH = 8;
const MAX_AGGREGATED = 16;

const WORD = /[\p{L}\p{N}_-]/u;
/** An escape sequence ending just before a match: a separator, not part of a word. */
const ESCAPE_BEFORE = /(?:%[\da-f]{2}|\\u[\da-f]{4}|\\x[\da-f]{2}|\\[nrtbfv0]|&#?\w+;)$/i;
const HTML_NAMED: Record<string, string> = { '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' };

/** Removes the key, in every spelling, from the strings, errors and JSON-like values a failure keeps. */
export class Redactor {
  /** One pattern per reading of the key, in the order they are looked for. */
  readonly #patterns: RegExp[];
  readonly #anywhere: boolean;

  /** `secrets`: the key (and any other form of it the client sends); empty when there is none. */
  constructor(secrets: readonly string[]) {
    const keys = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
    this.#patterns = keys.length === 0 ? [] : READINGS.map((reading) => new RegExp(keys.map((key) => spellings(key, reading)).join('|'), 'gu'));
    this.#anywhere = keys.every((key) => key.length >= ALWAYS_HIDDEN_LENGTH);
  }

  /**
   * The text with every spelling of the key that stands as a token replaced by `***`, one reading
   * after the other (see `READINGS`).
   */
  text(text: string): string {
    if (this.#patterns.length === 0) return text;
    let pieces: (string | typeof HIDDEN)[] = [text];
    for (const pattern of this.#patterns) {
      const next: (string | typeof HIDDEN)[] = [];
      for (const piece of pieces) {
        if (piece === HIDDEN) {
          next.push(piece);
          continue;
        }
        let kept = 0;
        for (const match of piece.matchAll(pattern)) {
          if (!this.#anywhere && glued(piece, match[0], match.index)) continue;
          next.push(piece.slice(kept, match.index), HIDDEN);
          kept = match.index + match[0].length;
        }
        next.push(piece.slice(kept));
      }
      pieces = next;
    }
    return pieces.map((piece) => (piece === HIDDEN ? REDACTED : piece)).join('');
  }

  /**
   * A copy of a JSON-like value with the key removed from every string, object keys included.
   * Walked without recursion, so that no depth throws; levels past `MAX_KEPT_DEPTH` become `TOO_DEEP`.
   */
  value<T>(value: T): T {
    if (this.#patterns.length === 0) return value;
    const root: { value: unknown } = { value: undefined };
    const stack: { source: unknown; target: Record<string, unknown>; key: string; depth: number }[] = [
      { source: value, target: root, key: 'value', depth: 0 },
    ];
    for (let item = stack.pop(); item; item = stack.pop()) {
      const { source, target, key, depth } = item;
      if (typeof source === 'string') target[key] = this.text(source);
      else if (source === null || typeof source !== 'object') target[key] = source;
      else if (depth >= MAX_KEPT_DEPTH) target[key] = TOO_DEEP;
      else if (Array.isArray(source)) {
        const copy: unknown[] = new Array(source.length);
        target[key] = copy;
        for (let i = 0; i < source.length; i++) stack.push({ source: source[i], target: copy as unknown as Record<string, unknown>, key: String(i), depth: depth + 1 });
      } else {
        const copy: Record<string, unknown> = {};
        target[key] = copy;
        for (const [name, v] of Object.entries(source)) {
          const safeName = this.text(name);
          // Defined, not assigned, so that a `__proto__` key stays a key instead of a prototype.
          Object.defineProperty(copy, safeName, { value: undefined, enumerable: true, writable: true, configurable: true });
          stack.push({ source: v, target: copy, key: safeName, depth: depth + 1 });
        }
      }
    }
    return root.value as T;
  }

  /**
   * A clean copy of what a transport threw: an `Error` rebuilt from its name, code, message and
   * stack (scrubbed), its cause and an AggregateError's errors rebuilt alike, a bounded number of
   * levels down; every other property (undici's raw `.data`, `.headers`, `.body`) is left behind,
   * as no scrubbing can vouch for the contents of an unknown object.
   */
  error(thrown: unknown, depth = 0): unknown {
    if (typeof thrown === 'string') return this.text(thrown);
    if (thrown === null || typeof thrown !== 'object') return typeof thrown === 'function' || typeof thrown === 'symbol' ? undefined : thrown;
    const source = thrown as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown; cause?: unknown; errors?: unknown };
    const message = this.text(stringOr(read(source, 'message'), ''));
    const errors = read(source, 'errors');
    const copy: Error = Array.isArray(errors)
      ? new AggregateError(depth < MAX_CAUSE_DEPTH ? errors.slice(0, MAX_AGGREGATED).map((e) => this.error(e, depth + 1)) : [], message)
      : new Error(message);
    const name = stringOr(read(source, 'name'), thrown instanceof Error ? 'Error' : 'Object');
    Object.defineProperty(copy, 'name', { value: this.text(name), writable: true, configurable: true });
    copy.stack = this.text(stringOr(read(source, 'stack'), `${copy.name}: ${message}`));
    const code = read(source, 'code');
    if (typeof code === 'string' || typeof code === 'number') (copy as { code?: unknown }).code = typeof code === 'string' ? this.text(code) : code;
    const cause = read(source, 'cause');
    if (cause !== undefined && depth < MAX_CAUSE_DEPTH) {
      Object.defineProperty(copy, 'cause', { value: this.error(cause, depth + 1), writable: true, configurable: true });
    }
    return copy;
  }
}

/** How a character of the key may be written in one reading of it; every character of a match is read alike. */
type Reading = (char: string, rest: string) => string[];

const HIDDEN = Symbol('hidden');

/** A run of `count` backslashes, as regular expression source. */
const backslashes = (count: number) => (count > 0 ? `\\\\{${count}}` : '');

/**
 * The key inside a string escaped `depth` times (JSON inside JSON...): a backslash is 2^depth of
 * them and a double quote has 2^depth - 1 before it, for the whole key alike, so that a key ending
 * in a backslash never takes the escape of the character after it for its own.
 */
const escaped =
  (depth: number): Reading =>
  (char, rest) => {
    const code = char.codePointAt(0)!;
    const forms: string[] = [];
    if (depth > 0) {
      if (code <= 0xffff) forms.push(`${backslashes(2 ** (depth - 1))}u${hexPattern(code, 4)}`);
      if (code <= 0xff) forms.push(`${backslashes(2 ** (depth - 1))}x${hexPattern(code, 2)}`);
      if (`"/'`.includes(char)) forms.push(`${backslashes(2 ** depth - 1)}${escapeRegExp(char)}`);
    }
    if (char === '\\') forms.push(backslashes(2 ** depth));
    else if (char !== '"' || depth === 0) forms.push(startsEncoding(char, rest) ? STARTS_ENCODING[char]! : escapeRegExp(char));
    return forms;
  };

/**
 * A `%` or `&` of the text that begins a percent-encoding or a character reference is left to those
 * readings, unless the key itself goes on like one there.
 */
const STARTS_ENCODING: Record<string, string> = { '%': '%(?![\\da-fA-F]{2})', '&': '&(?!#?\\w+;)' };
const ENCODING_TAIL: Record<string, RegExp> = { '%': /^[\da-fA-F]{2}/, '&': /^#?\w+;/ };

function startsEncoding(char: string, rest: string): boolean {
  const tail = ENCODING_TAIL[char];
  return tail !== undefined && !tail.test(rest);
}

/** The key exactly as given: the last reading, for what none of the others reads. */
const asGiven: Reading = (char) => [escapeRegExp(char)];

/**
 * Percent-encoded, in either case: what every encoder leaves alone (letters, digits, `-._~`) and
 * what some do (`encodeURIComponent` keeps `!'()*`, Python's `quote` keeps the slash) may stand as
 * itself, everything else is encoded; a space may be `+`.
 */
const percentEncoded: Reading = (char) => {
  const forms = [[...new TextEncoder().encode(char)].map((b) => `%${hexPattern(b, 2)}`).join('')];
  if (/[\w.~!'()*/-]/.test(char)) forms.push(escapeRegExp(char));
  if (char === ' ') forms.push('\\+');
  return forms;
};

/** HTML-escaped: `& < > "` as references, anything else as itself or a numeric reference. */
const htmlEscaped: Reading = (char) => {
  const code = char.codePointAt(0)!;
  const forms = [`&#0*${code};`, `&#[xX]0*${hexPattern(code, 0)};`];
  if (HTML_NAMED[char]) forms.push(`&${HTML_NAMED[char]};`);
  if (!'&<>"'.includes(char)) forms.push(escapeRegExp(char));
  return forms;
};

/**
 * The readings, looked for in this order, each pass out of reach of what the earlier ones hid: deep
 * escapes first, the key as given last, so that a shallow reading never takes a character of the
 * text around a deeper one.
 */
const READINGS: Reading[] = [escaped(3), escaped(2), escaped(1), percentEncoded, htmlEscaped, escaped(0), asGiven];

/** The regular expression source matching `key` in one reading (rule 1). */
function spellings(key: string, reading: Reading): string {
  const chars = [...key];
  return chars.map((char, i) => `(?:${reading(char, chars.slice(i + 1).join('')).join('|')})`).join('');
}

/** `value` in hex, at least `width` digits, each letter digit in either case. */
function hexPattern(value: number, width: number): string {
  return [...value.toString(16).padStart(width, '0')].map((d) => (/[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d)).join('');
}

function escapeRegExp(char: string): string {
  return char.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** Whether a match runs into a word on a side where the key itself has a word character (rule 2). */
function glued(text: string, match: string, offset: number): boolean {
  const end = offset + match.length;
  const before = text[offset - 1];
  const after = text[end];
  const left = before !== undefined && WORD.test(match[0]!) && WORD.test(before) && !ESCAPE_BEFORE.test(text.slice(Math.max(0, offset - 8), offset));
  const right = after !== undefined && WORD.test(match[match.length - 1]!) && WORD.test(after);
  return left || right;
}

/** A property read that a hostile getter or proxy cannot turn into a throw. */
function read(source: object, name: string): unknown {
  try {
    return (source as Record<string, unknown>)[name];
  } catch {
    return undefined;
  }
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}
