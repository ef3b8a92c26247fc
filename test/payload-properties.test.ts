import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClipError, ClipValidationError, CLIP_VERSIONS } from '../src/index.js';
import { useMockClient } from './helpers/mock-client.js';

type Method = 'embedText' | 'embedImage' | 'compare';
interface Call {
  method: Method;
  request: unknown;
}

const ctx = useMockClient();

function send({ method, request }: Call): Promise<unknown> {
  return (ctx.clip[method] as (request: unknown) => Promise<unknown>)(request);
}

// ---- valid parts ---------------------------------------------------------------------------

const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 });
const urlImage = fc
  .webPath()
  .map((path) => ({ type: 'url' as const, value: `https://images.example.com/${encodeURI(path.replace(/^\/+/, ''))}` }));
/** An encoded image's bytes: a JPEG's start-of-image marker, then anything. */
const JPEG_SOI = [0xff, 0xd8, 0xff];
const base64Image = fc
  .uint8Array({ maxLength: 64 })
  .map((bytes) => ({ type: 'base64' as const, value: Buffer.from([...JPEG_SOI, ...bytes]).toString('base64') }));
const image = fc.oneof(urlImage, base64Image);
const upTo8 = <T>(item: fc.Arbitrary<T>) => fc.array(item, { minLength: 1, maxLength: 8 });
/** Names of a name-map prompt; an object with both `type` and `value` would read as one image. */
const nameMap = <T>(item: fc.Arbitrary<T>) =>
  fc
    .dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== '__proto__'), item, { minKeys: 1, maxKeys: 8 })
    .filter((map) => !('type' in map && 'value' in map));
const common = fc.record(
  { clip_version_id: fc.constantFrom(...CLIP_VERSIONS), id: fc.string(), usage_billable: fc.boolean(), start: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { requiredKeys: [] },
);

const validCall: fc.Arbitrary<Call> = fc.oneof(
  fc.tuple(fc.oneof(text, upTo8(text)), common).map(([t, rest]) => ({ method: 'embedText' as const, request: { text: t, ...rest } })),
  fc.tuple(fc.oneof(image, upTo8(image)), common).map(([i, rest]) => ({ method: 'embedImage' as const, request: { ...rest, image: i } })),
  fc.tuple(image, fc.oneof(text, upTo8(text), nameMap(text)), common).map(([subject, prompt, rest]) => ({
    method: 'compare' as const,
    request: { subject, prompt, ...rest },
  })),
  fc.tuple(text, fc.oneof(upTo8(image), nameMap(image))).map(([subject, prompt]) => ({
    method: 'compare' as const,
    request: { subject, subject_type: 'text', prompt, prompt_type: 'image' },
  })),
);

// ---- invalid parts: each generator breaks exactly one rule -----------------------------------

const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.object({ maxDepth: 1 }), fc.array(fc.integer(), { maxLength: 3 }));
const notAnImage = fc.oneof(
  fc.string({ maxLength: 30 }).filter((s) => !/^(https?:\/\/|data:image\/)/i.test(s)),
  fc.constantFrom('file', 'numpy', 'pil', 'multipart', 'FILE', 'jpeg', 'png', '').map((type) => ({ type, value: 'x' })),
  fc.constantFrom('ftp://example.com/a.jpg', 'file:///etc/passwd', 'javascript:alert(1)').map((value) => ({ type: 'url', value })),
  fc
    .string({ minLength: 1, maxLength: 30 })
    .map((s) => ({ s, clean: s.replace(/[\t\n\v\f\r ]/g, '') }))
    .filter(({ clean }) => !/^[A-Za-z0-9+/]+={0,2}$/.test(clean) || clean.length % 4 !== 0)
    .map(({ s }) => ({ type: 'base64', value: s })),
  fc
    .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 })
    .filter((text) => !/^P[1-7Ff]\s/.test(text)) // the text header of a PNM image
    .map((text) => ({ type: 'base64', value: Buffer.from(text).toString('base64') })),
  fc.constant({ type: 'base64', value: '' }),
  fc.integer().map((value) => ({ type: 'url', value })),
  fc.constant({ type: 'url', value: 'https://example.com/a.jpg', extra: true }),
  fc.constantFrom(null, 42, true, [], new Uint8Array(0)),
);
/** A list with one bad item at a random place among good ones. */
const withBadItem = <T, B>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<B>, max = 8) =>
  fc.tuple(fc.array(good, { maxLength: max - 1 }), bad, fc.nat()).map(([items, b, at]) => {
    const out: unknown[] = [...items];
    out.splice(at % (items.length + 1), 0, b);
    return out;
  });
const unknownField = fc
  .string({ minLength: 1, maxLength: 12 })
  .filter((k) => !['text', 'image', 'subject', 'prompt', 'subject_type', 'prompt_type', 'clip_version_id', 'id', 'usage_billable', 'start', 'source', 'source_info', 'disable_model_monitoring', '__proto__'].includes(k));
const badCommon = fc.oneof(
  fc.string().filter((v) => !(CLIP_VERSIONS as readonly string[]).includes(v)).map((v) => ({ clip_version_id: v })),
  notAString.filter((v) => v !== undefined).map((v) => ({ id: v })),
  fc.oneof(fc.string(), fc.integer()).map((v) => ({ usage_billable: v })),
  fc.string().map((v) => ({ start: v })),
  fc.tuple(unknownField, fc.jsonValue()).map(([k, v]) => ({ [k]: v })),
);

const invalidCall: fc.Arbitrary<Call> = fc.oneof(
  // embed_text
  fc.constantFrom({}, { text: '' }, { text: [] }, { clip_version_id: 'ViT-B-16' }).map((request) => ({ method: 'embedText' as const, request })),
  notAString.map((t) => ({ method: 'embedText' as const, request: { text: t } })),
  withBadItem(text, fc.oneof(fc.constant(''), notAString), 20).map((t) => ({ method: 'embedText' as const, request: { text: t } })),
  fc.tuple(text, badCommon).map(([t, bad]) => ({ method: 'embedText' as const, request: { text: t, ...bad } })),
  // embed_image
  fc.constant({ method: 'embedImage' as const, request: {} }),
  notAnImage.map((i) => ({ method: 'embedImage' as const, request: { image: i } })),
  withBadItem(urlImage, notAnImage).map((i) => ({ method: 'embedImage' as const, request: { image: i } })),
  fc.array(urlImage, { minLength: 9, maxLength: 20 }).map((i) => ({ method: 'embedImage' as const, request: { image: i } })),
  fc.constant({ method: 'embedImage' as const, request: { image: [] } }),
  fc.tuple(urlImage, badCommon).map(([i, bad]) => ({ method: 'embedImage' as const, request: { image: i, ...bad } })),
  // compare
  fc.tuple(urlImage, fc.array(text, { minLength: 9, maxLength: 20 })).map(([subject, prompt]) => ({ method: 'compare' as const, request: { subject, prompt } })),
  fc.tuple(urlImage, fc.dictionary(fc.string({ minLength: 1 }).filter((k) => k !== '__proto__'), text, { minKeys: 9, maxKeys: 12 })).map(
    ([subject, prompt]) => ({ method: 'compare' as const, request: { subject, prompt } }),
  ),
  fc.tuple(urlImage, fc.constantFrom([], {})).map(([subject, prompt]) => ({ method: 'compare' as const, request: { subject, prompt } })),
  upTo8(text).map((prompt) => ({ method: 'compare' as const, request: { prompt } })),
  urlImage.map((subject) => ({ method: 'compare' as const, request: { subject } })),
  fc.tuple(notAnImage, upTo8(text)).map(([subject, prompt]) => ({ method: 'compare' as const, request: { subject, prompt } })),
  fc.tuple(fc.oneof(fc.constant(''), notAString), text).map(([subject, prompt]) => ({
    method: 'compare' as const,
    request: { subject, subject_type: 'text', prompt },
  })),
  fc.tuple(urlImage, withBadItem(text, fc.oneof(fc.constant(''), notAString))).map(([subject, prompt]) => ({
    method: 'compare' as const,
    request: { subject, prompt },
  })),
  fc.tuple(text, withBadItem(urlImage, notAnImage)).map(([subject, prompt]) => ({
    method: 'compare' as const,
    request: { subject, subject_type: 'text', prompt, prompt_type: 'image' },
  })),
  fc.tuple(urlImage, text, fc.string().filter((t) => t !== 'image' && t !== 'text')).map(([subject, prompt, type]) => ({
    method: 'compare' as const,
    request: { subject, prompt, prompt_type: type },
  })),
  fc.tuple(urlImage, text, badCommon).map(([subject, prompt, bad]) => ({ method: 'compare' as const, request: { subject, prompt, ...bad } })),
  // not a request object at all
  fc.tuple(fc.constantFrom<Method>('embedText', 'embedImage', 'compare'), fc.oneof(fc.constant(null), fc.string(), fc.integer(), fc.array(fc.string()))).map(
    ([method, request]) => ({ method, request }),
  ),
);

describe('payload properties', () => {
  it('refuses every generated invalid payload with ClipValidationError, and the server sees none', async () => {
    await fc.assert(
      fc.asyncProperty(invalidCall, async (call) => {
        const error = await send(call).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ClipValidationError);
        expect((error as ClipValidationError).issues.length).toBeGreaterThan(0);
      }),
      { numRuns: 3_000 },
    );
    expect(ctx.mock.requests).toEqual([]);
  });

  it('sends every generated valid payload byte-for-byte as built', async () => {
    await fc.assert(
      fc.asyncProperty(validCall, async (call) => {
        ctx.mock.requests.length = 0;
        const error = await send(call).then(
          () => undefined,
          (e: unknown) => e,
        );
        // The mock may refuse what the client cannot check (a text over 77 words): that is still a sent request.
        if (error !== undefined) expect(error).not.toBeInstanceOf(ClipValidationError);
        if (error !== undefined) expect(error).toBeInstanceOf(ClipError);
        expect(ctx.mock.requests).toHaveLength(1);
        expect(ctx.mock.requests[0]!.rawBody).toBe(JSON.stringify(call.request));
      }),
      { numRuns: 400 },
    );
  });
});
