/**
 * JSON as the server's Python reads it (CPython's `json.loads`): the same values as `JSON.parse` plus
 * `NaN`, `Infinity` and `-Infinity`, and on bad input the same message and position (in code points),
 * which FastAPI echoes in its 422.
 */

export class PythonJsonError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Parses `text` like Python, throwing a PythonJsonError with Python's message and position. */
export function parsePythonJson(text: string): unknown {
  // Python indexes strings by code point; JavaScript by UTF-16 unit.
  const s = Array.from(text);
  const skip = (i: number) => {
    while (i < s.length && WHITESPACE.has(s[i]!)) i++;
    return i;
  };
  const expectingValue = (i: number): never => {
    throw new PythonJsonError('Expecting value', i);
  };

  function string(start: number): [string, number] {
    let out = '';
    let i = start + 1;
    for (;;) {
      if (i >= s.length) throw new PythonJsonError('Unterminated string starting at', start);
      const c = s[i]!;
      if (c === '"') return [out, i + 1];
      if (c.codePointAt(0)! <= 0x1f) throw new PythonJsonError('Invalid control character at', i);
      if (c !== '\\') {
        out += c;
        i++;
        continue;
      }
      const escape = s[i + 1];
      if (escape === undefined) throw new PythonJsonError('Unterminated string starting at', start);
      if (escape !== 'u') {
        if (!(escape in ESCAPES)) throw new PythonJsonError('Invalid \\escape', i);
        out += ESCAPES[escape];
        i += 2;
        continue;
      }
      const hex = s.slice(i + 2, i + 6).join('');
      if (i + 6 >= s.length || !/^[0-9a-fA-F]{4}$/.test(hex)) throw new PythonJsonError('Invalid \\uXXXX escape', i + 1);
      out += String.fromCharCode(parseInt(hex, 16));
      i += 6;
    }
  }

  function value(i: number): [unknown, number] {
    const c = s[i];
    if (c === undefined) return expectingValue(i);
    if (c === '"') return string(i);
    if (c === '{') return object(i + 1);
    if (c === '[') return array(i + 1);
    const rest = s.slice(i, i + 9).join('');
    for (const [word, literal] of [
      ['null', null],
      ['true', true],
      ['false', false],
      ['NaN', NaN],
      ['Infinity', Infinity],
      ['-Infinity', -Infinity],
    ] as const) {
      if (rest.startsWith(word)) return [literal, i + word.length];
    }
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(s.slice(i, i + 400).join(''));
    if (!number) return expectingValue(i);
    return [Number(number[0]), i + number[0].length];
  }

  function object(i: number): [Record<string, unknown>, number] {
    const result: Record<string, unknown> = {};
    i = skip(i);
    if (s[i] === '}') return [result, i + 1];
    for (;;) {
      if (s[i] !== '"') throw new PythonJsonError('Expecting property name enclosed in double quotes', i);
      const [key, afterKey] = string(i);
      i = skip(afterKey);
      if (s[i] !== ':') throw new PythonJsonError("Expecting ':' delimiter", i);
      const [item, afterValue] = value(skip(i + 1));
      result[key] = item;
      i = skip(afterValue);
      if (s[i] === '}') return [result, i + 1];
      if (s[i] !== ',') throw new PythonJsonError("Expecting ',' delimiter", i);
      i = skip(i + 1);
    }
  }

  function array(i: number): [unknown[], number] {
    const result: unknown[] = [];
    i = skip(i);
    if (s[i] === ']') return [result, i + 1];
    for (;;) {
      const [item, afterValue] = value(i);
      result.push(item);
      i = skip(afterValue);
      if (s[i] === ']') return [result, i + 1];
      if (s[i] !== ',') throw new PythonJsonError("Expecting ',' delimiter", i);
      i = skip(i + 1);
    }
  }

  const [result, end] = value(skip(0));
  const after = skip(end);
  if (after !== s.length) throw new PythonJsonError('Extra data', after);
  return result;
}
