import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClipApiError, ClipClient, ClipResponseError, type ClipClientOptions } from '../src/index.js';
import { MAX_KEPT_DEPTH, Redactor, TOO_DEEP } from '../src/request/redact.js';
import { findLeak } from './helpers/leaks.js';
import { useStub, type StubHandler } from './helpers/http.js';

const stub = useStub();
const clients: ClipClient[] = [];
const stubClient = (options: ClipClientOptions) => {
  const made = new ClipClient({ baseUrl: stub.url, maxRetries: 0, ...options });
  clients.push(made);
  return made;
};
const failure = (call: Promise<unknown>) =>
  call.then(
    () => expect.fail('the call resolved'),
    (error: unknown) => error,
  );
const answer = (status: number, body: string, type = 'application/json'): StubHandler => (_req, res) => res.writeHead(status, { 'content-type': type }).end(body);

/** Python's `urllib.parse.quote` (safe '/'), form encoding (`+` for space), and lower-case hex. */
const pythonQuote = (key: string) => key.replace(/[^A-Za-z0-9_.~/-]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
const formEncoded = (key: string) => new URLSearchParams({ k: key }).toString().slice(2);
const lowerHex = (key: string) => encodeURIComponent(key).replace(/%[\dA-F]{2}/g, (e) => e.toLowerCase());
const jsonEscaped = (key: string) => JSON.stringify(key).slice(1, -1);
const htmlEscaped = (key: string) => key.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const SPELLINGS = { raw: (k: string) => k, encodeURIComponent, pythonQuote, formEncoded, lowerHex, jsonEscaped, htmlEscaped };

describe('an error body', () => {
  const KEY = 'q"uo\\te k(e)y*!~';

  it('is parsed before it is scrubbed: a key with " or \\ is hidden in the body and the message', async () => {
    stub.answer = answer(422, JSON.stringify({ message: `invalid key ${KEY}`, detail: [{ input: { api_key: KEY } }] }));
    const error = (await failure(stubClient({ apiKey: KEY, apiKeyTransport: 'body' }).embedText({ text: 'a cat' }))) as ClipApiError;
    expect(error).toBeInstanceOf(ClipApiError);
    expect(error.body).toEqual({ message: 'invalid key ***', detail: [{ input: { api_key: '***' } }] });
    expect(findLeak(error, KEY)).toBeUndefined();
  });

  it.each(Object.entries(SPELLINGS))('hides the key spelled %s', async (_name, spell) => {
    stub.answer = answer(400, `rejected /clip/embed_text?api_key=${spell(KEY)}&x=1`, 'text/plain');
    const error = (await failure(stubClient({ apiKey: KEY }).embedText({ text: 'a cat' }))) as ClipApiError;
    expect(error.body).toBe('rejected /clip/embed_text?api_key=***&x=1');
  });

  it('that is not JSON keeps no part of the key in the parser’s message', async () => {
    const key = 'rf_SECRETSECRETSECRET';
    // V8 quotes the few characters around the error: here the key's last ones, which alone no rule can find.
    stub.answer = answer(200, `{"api_key": "${key}" x}`);
    const error = await failure(stubClient({ apiKey: key }).embedText({ text: 'a cat' }));
    expect(error).toBeInstanceOf(ClipResponseError);
    expect(findLeak(error, key.slice(-6))).toBeUndefined();
  });
});

describe('a short key', () => {
  it('is hidden where it is the echoed key, and ordinary words keep their letters', async () => {
    stub.answer = (req, res) =>
      res
        .writeHead(400, { 'content-type': 'application/json', 'x-echo': req.url })
        .end(JSON.stringify({ message: 'the key e is not valid', url: req.url, detail: 'see the message' }));
    const error = (await failure(stubClient({ apiKey: 'e' }).embedText({ text: 'a cat' }))) as ClipApiError;
    expect(error.body).toEqual({ message: 'the key *** is not valid', url: '/clip/embed_text?api_key=***', detail: 'see the message' });
    expect(error.headers['x-echo']).toBe('/clip/embed_text?api_key=***');
    expect(error.headers['content-type']).toBe('application/json');
    expect(error.message).toBe('HTTP 400 from /clip/embed_text: the key *** is not valid');
  });
});

describe('a 2xx body nested deeper than any scrubber recursion', () => {
  it('gives ClipResponseError with the deep part replaced, not RangeError', async () => {
    const depth = 200_000;
    stub.answer = answer(200, `{"embeddings": ${'['.repeat(depth)}${']'.repeat(depth)}}`);
    const error = (await failure(stubClient({ apiKey: 'rf_deep_key_0123456789' }).embedText({ text: 'a cat' }))) as ClipResponseError;
    expect(error).toBeInstanceOf(ClipResponseError);
    let level: unknown = (error.body as { embeddings: unknown }).embeddings;
    for (let i = 1; i < MAX_KEPT_DEPTH; i++) level = (level as unknown[])[0];
    expect(level).toBe(TOO_DEEP);
    expect(() => JSON.stringify(error)).not.toThrow();
  });
});

// ---- properties -----------------------------------------------------------------------------

const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));
/** Any key the client accepts: printable ASCII, no space at either end, any length. */
/** The characters that escapes and encodings change, drawn often so that their runs and mixes are tried. */
const ESCAPED = [...'\\"\'%+&<>/= ?#'];
const anyKey = fc.string({ unit: fc.oneof(fc.constantFrom(...PRINTABLE), fc.constantFrom(...ESCAPED)), minLength: 1, maxLength: 40 }).filter((k) => /^\S(?:.*\S)?$/.test(k));
/** Ordinary text: printable, without the characters every non-literal spelling of a key needs (% \ & +). */
const ordinary = fc.string({ unit: fc.constantFrom(...PRINTABLE.filter((c) => !'%\\&+'.includes(c))), maxLength: 24 });
const SEPARATORS = [' ', '=', '"', "'", ':', '/', '?', ',', '{', '}', '[', ']', '(', ')', '<', '>', ';', '|', '#', '!', '\n'];

describe('redaction, for any key', () => {
  it('replaces the key in any spelling where it stands between separators, and changes nothing else', () => {
    const spelling = fc.constantFrom(...Object.values(SPELLINGS));
    fc.assert(
      fc.property(anyKey, fc.array(fc.tuple(ordinary, spelling), { maxLength: 5 }), ordinary, (key, parts, tail) => {
        const separator = SEPARATORS.find((s) => !key.includes(s));
        fc.pre(separator !== undefined && ![...parts.map(([text]) => text), tail].some((text) => text.includes(key)));
        const text = parts.map(([before, spell]) => `${before}${separator}${spell(key)}${separator}`).join('') + tail;
        const expected = parts.map(([before]) => `${before}${separator}***${separator}`).join('') + tail;
        expect(new Redactor([key, encodeURIComponent(key)]).text(text)).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it('leaves text without the key as it is, whatever the key’s length', () => {
    fc.assert(
      fc.property(anyKey, ordinary, (key, text) => {
        fc.pre(!text.includes(key));
        expect(new Redactor([key]).text(text)).toBe(text);
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps a word that merely holds a short key', () => {
    const redactor = new Redactor(['e', 'k']);
    const body = { message: 'key rejected', 'x-echo': 'keep', detail: ['e', 'k', 'ek'] };
    expect(redactor.value(body)).toEqual({ message: 'key rejected', 'x-echo': 'keep', detail: ['***', '***', 'ek'] });
  });
});
