import { inspect } from 'node:util';

/**
 * Every string reachable from `root`: own and inherited properties (enumerable or not, symbol-keyed
 * too), getters' values, the bytes of Buffers and typed arrays read as text, Map and Set entries,
 * at any depth. Walked without recursion; built-in prototypes are not entered.
 */
export function reachableStrings(root: unknown): string[] {
  const found: string[] = [];
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  const decoder = new TextDecoder();
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') found.push(value);
    if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) continue;
    seen.add(value);
    if (ArrayBuffer.isView(value)) found.push(decoder.decode(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)));
    if (value instanceof ArrayBuffer) found.push(decoder.decode(new Uint8Array(value)));
    if (value instanceof Map || value instanceof Set) for (const entry of value) stack.push(entry);
    for (let object: object | null = value; object && !BUILT_IN_PROTOTYPES.has(object); object = Object.getPrototypeOf(object)) {
      for (const key of Reflect.ownKeys(object)) {
        if (typeof key === 'string') found.push(key);
        const descriptor = Object.getOwnPropertyDescriptor(object, key)!;
        if ('value' in descriptor) stack.push(descriptor.value);
        else if (descriptor.get) {
          try {
            stack.push(descriptor.get.call(value));
          } catch {
            // A getter that throws shows nothing.
          }
        }
      }
    }
  }
  return found;
}

const BUILT_IN_PROTOTYPES = new Set<object>(
  [Object, Function, Error, TypeError, RangeError, SyntaxError, AggregateError, Array, Uint8Array, ArrayBuffer, Map, Set, Promise].map(
    (c) => c.prototype as object,
  ),
);
BUILT_IN_PROTOTYPES.add(Object.getPrototypeOf(Uint8Array.prototype) as object);

/** Every way an error is commonly shown: its message and stack, printed, inspected in full, as JSON, and the strings reachable from it. */
export function errorViews(error: unknown): string[] {
  const views = [String(error), inspect(error, { depth: Infinity, showHidden: true }), ...reachableStrings(error)];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 20; e = e.cause, depth++) {
    views.push(e.message, e.stack ?? '', safeJson(e), safeJson(e.cause));
    if (e instanceof AggregateError) for (const inner of e.errors) views.push(safeJson(inner), inspect(inner, { depth: Infinity, showHidden: true }));
  }
  return views;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch (error) {
    return String(error);
  }
}

/** The spellings of a key that a leak would show: as given, URL-encoded (both cases), and JSON-escaped. */
export function keySpellings(key: string): string[] {
  const encoded = encodeURIComponent(key);
  return [...new Set([key, encoded, encoded.replace(/%[\dA-F]{2}/g, (e) => e.toLowerCase()), JSON.stringify(key).slice(1, -1)])];
}

/** The first view holding the key in any spelling, or undefined: what a test expects to be undefined. */
export function findLeak(error: unknown, key: string): string | undefined {
  const spellings = keySpellings(key);
  return errorViews(error).find((view) => spellings.some((s) => view.includes(s)));
}
