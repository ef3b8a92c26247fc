/**
 * Key redaction: everything kept from a failed request passes here before the caller sees it, as
 * servers echo request bodies (FastAPI's 422 `input`) and URLs, and transport errors quote them.
 *
 * The rule, the same for a key of any length:
 *
 * 1. What is hidden is every spelling the key can take in a server's or a transport's output: as
 *    given; any of its characters percent-encoded in either case (`encodeURIComponent`, Python's
 *    `quote`, form encoding, lower-case hex), `+` for a space, JSON and JavaScript string escapes
 *    (`\"`, `\\`, `\/`, `\u0041`, `\x41`), and HTML character references. One pattern per key
 *    matches all of them at once, character by character, so that a mix of them is found too.
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
  readonly #pattern: RegExp | undefined;
  readonly #anywhere: boolean;

  /** `secrets`: the key (and any other form of it the client sends); empty when there is none. */
  constructor(secrets: readonly string[]) {
    const keys = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
    this.#pattern = keys.length > 0 ? new RegExp(keys.map(spellings).join('|'), 'gu') : undefined;
    this.#anywhere = keys.every((key) => key.length >= ALWAYS_HIDDEN_LENGTH);
  }

  /** The text with every spelling of the key that stands as a token replaced by `***`. */
  text(text: string): string {
    const pattern = this.#pattern;
    if (!pattern) return text;
    return text.replace(pattern, (match: string, offset: number) => (this.#anywhere || !glued(text, match, offset) ? REDACTED : match));
  }

  /**
   * A copy of a JSON-like value with the key removed from every string, object keys included.
   * Walked without recursion, so that no depth throws; levels past `MAX_KEPT_DEPTH` become `TOO_DEEP`.
   */
  value<T>(value: T): T {
    if (!this.#pattern) return value;
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

const ODD_BACKSLASHES = '(?:\\\\\\\\)*\\\\';

/** The regular expression source matching `key` in any of its spellings (rule 1). */
function spellings(key: string): string {
  let source = '';
  for (const char of key) {
    const bytes = [...new TextEncoder().encode(char)];
    const code = char.codePointAt(0)!;
    const forms = [bytes.map((b) => `%${hexPattern(b, 2)}`).join('')];
    // An escape is an odd run of backslashes and an escaped backslash an even one: a string escaped
    // once (JSON) or again (JSON quoted inside JSON), without eating the escape of what follows.
    if (code <= 0xffff) forms.push(`${ODD_BACKSLASHES}u${hexPattern(code, 4)}`);
    if (code <= 0xff) forms.push(`${ODD_BACKSLASHES}x${hexPattern(code, 2)}`);
    forms.push(`&#0*${code};`, `&#[xX]0*${hexPattern(code, 0)};`);
    if (HTML_NAMED[char]) forms.push(`&${HTML_NAMED[char]};`);
    if (char === ' ') forms.push('\\+');
    if (char === '\\') forms.push('(?:\\\\\\\\)+');
    else if (`"/'`.includes(char)) forms.push(`${ODD_BACKSLASHES}${escapeRegExp(char)}`);
    // Last, so that an escape (`\\` for a backslash) is taken whole rather than as two literal characters.
    forms.push(escapeRegExp(char));
    source += `(?:${forms.join('|')})`;
  }
  return source;
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
