import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClipClient, type ApiKeyTransport, type FetchFunction, type FetchInit, type FetchResponse } from '../src/index.js';
import { Redactor } from '../src/request/redact.js';
import { errorViews } from './helpers/leaks.js';

/** How a careless server or a broken transport repeats what it was sent. */
type Echo = (sent: { url: string; init: FetchInit }) => FetchResponse;
const raw = ({ url, init }: { url: string; init: FetchInit }) => `POST ${url}\r\n${Object.entries(init.headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${init.body}`;
const respond = (status: number, body: string, headers: Record<string, string> = {}): FetchResponse => ({
  status,
  headers: new Headers(headers),
  body: new Blob([body]).stream(),
});
const ECHOES: Record<string, Echo> = {
  '422 with the payload as JSON': (sent) =>
    respond(422, JSON.stringify({ detail: [{ msg: 'bad', input: JSON.parse(sent.init.body) }], url: sent.url, auth: sent.init.headers.authorization ?? '' }), {
      'x-echo': encodeURI(sent.url),
    }),
  '400 with the raw request as text': (sent) => respond(400, raw(sent)),
  '200 of the wrong shape': (sent) => respond(200, JSON.stringify({ embeddings: 'none', echo: raw(sent) })),
  '200 that is not JSON': (sent) => respond(200, `{"echo": ${JSON.stringify(raw(sent))}`),
  'a parser error holding the raw bytes': (sent) => {
    const parser = Object.assign(new Error('Response does not match the HTTP/1.1 protocol (Expected HTTP/)'), {
      name: 'HTTPParserError',
      code: 'HPE_INVALID_CONSTANT',
      data: Buffer.from(raw(sent)),
      headers: sent.init.headers,
      body: sent.init.body,
    });
    throw new TypeError('fetch failed', { cause: new AggregateError([parser, new Error(sent.url)], `failed ${sent.url}`, { cause: parser }) });
  },
};

const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));
/** The characters that escapes and encodings change, drawn often so that their runs and mixes are tried. */
const ESCAPED = [...'\\"\'%+&<>/= ?#'];
const anyKey = fc.string({ unit: fc.oneof(fc.constantFrom(...PRINTABLE), fc.constantFrom(...ESCAPED)), minLength: 1, maxLength: 32 }).filter((k) => /^\S(?:.*\S)?$/.test(k));
/** A key that occurs in nothing the client or the echo writes: the views of a call with it are the reference. */
const REFERENCE_KEY = 'Zq7Zq7Zq7Zq7Zq7Zq7Zq7';
const CHANNELS: ApiKeyTransport[] = ['query', 'header', 'body'];

const FRAME = / *at (?:async )?[^\n'(]*\((?:file:\/\/|node:|\/)[^)]*\)(?:\\n)?/g;

interface Outcome {
  views: string[];
  sent: { url: string; init: FetchInit };
}

async function call(apiKey: string, apiKeyTransport: ApiKeyTransport, echo: Echo, text: string): Promise<Outcome> {
  let sent: Outcome['sent'] | undefined;
  const fetch: FetchFunction = async (url, init) => echo((sent = { url, init }));
  const client = new ClipClient({ baseUrl: 'http://127.0.0.1:9', apiKey, apiKeyTransport, fetch, maxRetries: 0 });
  const error = await client.embedText({ text }).then(
    () => expect.fail('the call resolved'),
    (e: unknown) => e,
  );
  // Stack frames differ with how the fake fetch was reached (at once or after an await), not with the key.
  return { views: errorViews(error).map((view) => view.replace(FRAME, '')), sent: sent! };
}

describe.each(CHANNELS)('for any key over the %s channel', (channel) => {
  it.each(Object.keys(ECHOES))('the request carries the key exactly, and an error after %s differs from one with another key only where the key was', async (name) => {
    const echo = ECHOES[name]!;
    await fc.assert(
      fc.asyncProperty(anyKey, fc.string({ minLength: 1, maxLength: 12 }), async (key, text) => {
        // Both calls from one place, so that their stack traces are the same.
        const outcomes: Outcome[] = [];
        for (const apiKey of [REFERENCE_KEY, key]) outcomes.push(await call(apiKey, channel, echo, text));
        const [reference, outcome] = outcomes as [Outcome, Outcome];
        for (const view of reference.views) expect(view).not.toContain(REFERENCE_KEY);
        // The key may equal a word the client or the echo writes anyway ("POST", "Error"): hiding that is right, but not comparable.
        const redactor = new Redactor([key, encodeURIComponent(key)]);
        fc.pre(reference.views.every((view) => redactor.text(view) === view));

        const { url, init } = outcome.sent;
        if (channel === 'query') expect(new URL(url).searchParams.get('api_key')).toBe(key);
        if (channel === 'header') expect(init.headers.authorization).toBe(`Bearer ${key}`);
        if (channel === 'body') expect((JSON.parse(init.body) as { api_key: string }).api_key).toBe(key);
        expect(outcome.views).toEqual(reference.views);
      }),
      { numRuns: 60 },
    );
  });
});
