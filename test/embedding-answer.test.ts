import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClipResponseError } from '../src/errors/errors.js';
import { RequestSender } from '../src/request/pipeline.js';
import type { TransportResponse } from '../src/transport/types.js';
import { parseEmbeddingAnswer, SHORT_ANSWER_BYTES } from '../src/wire/embedding-answer.js';
import { checkEmbeddings } from '../src/wire/responses.js';

const bytes = (text: string) => new TextEncoder().encode(text);

/** What the long way gives: JSON.parse, then each vector rounded to float32. */
function expected(text: string): Record<string, unknown> {
  const body = JSON.parse(text) as { embeddings: number[][] };
  return { ...body, embeddings: body.embeddings.map((row) => Float32Array.from(row)) };
}

function parsed(text: string) {
  const body = parseEmbeddingAnswer(bytes(text), true);
  return body && { ...body, embeddings: body.embeddings };
}

/** A JSON number text: sign, integer digits, fraction digits and an exponent, any of each. */
const numberText = fc
  .tuple(
    fc.boolean(),
    fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9]\d{0,20}$/)),
    fc.option(fc.stringMatching(/^\d{1,24}$/), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 40 })), { nil: undefined }),
  )
  .map(([negative, whole, fraction, exponent]) => {
    const e = exponent ? `${exponent[0]}${exponent[1]}${String(exponent[2]).padStart(exponent[2] < 10 ? 2 : 1, '0')}` : '';
    return `${negative ? '-' : ''}${whole}${fraction === undefined ? '' : `.${fraction}`}${e}`;
  });

/**
 * Runs `property` over `values`: the answer is read as JSON.parse and Math.fround would read it, or
 * left to JSON.parse (undefined); returns the share that was read, so that a test can ask for most.
 */
function readShare<T>(arbitrary: fc.Arbitrary<T>, text: (value: T) => string, numRuns: number): number {
  let read = 0;
  fc.assert(
    fc.property(arbitrary, (value) => {
      const body = parsed(text(value));
      if (body === undefined) return;
      read++;
      expect(body).toEqual(expected(text(value)));
    }),
    { numRuns },
  );
  return read / numRuns;
}

describe('parseEmbeddingAnswer, float32', () => {
  it('reads every answer of embedding-like values (magnitudes 1e-6 to 10), each number as Math.fround of what JSON.parse gives', () => {
    const component = fc.float({ min: Math.fround(1e-6), max: 10, noNaN: true }).chain((v) => fc.constantFrom(v, -v));
    fc.assert(
      fc.property(fc.array(component, { minLength: 1, maxLength: 64 }), (values) => {
        const text = JSON.stringify({ time: 0.01, embeddings: [values, values.map((v) => -v)] });
        expect(parsed(text)).toEqual(expected(text));
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads any float32 value written out by JSON.stringify as JSON.parse would, or leaves it to JSON.parse', () => {
    const values = fc.array(fc.float({ noDefaultInfinity: true, noNaN: true }), { minLength: 1, maxLength: 8 });
    expect(readShare(values, (v) => JSON.stringify({ embeddings: [v] }), 3_000)).toBeGreaterThan(0.03);
  });

  it('reads any double as JSON.parse and Math.fround would, or leaves it to JSON.parse', () => {
    const values = fc.array(fc.double({ noDefaultInfinity: true, noNaN: true, min: -3e38, max: 3e38 }), { minLength: 1, maxLength: 4 });
    expect(readShare(values, (v) => JSON.stringify({ embeddings: [v] }), 3_000)).toBeGreaterThan(0.01);
  });

  it('never misreads a double beside a float32 rounding boundary: such a value is left to JSON.parse', () => {
    const bits = new Uint32Array(1);
    const float = new Float32Array(bits.buffer);
    const doubleBits = new BigInt64Array(1);
    const double = new Float64Array(doubleBits.buffer);
    /** The double `steps` doubles away from `x`. */
    const stepped = (x: number, steps: number) => {
      double[0] = x;
      doubleBits[0]! += BigInt(steps);
      return double[0]!;
    };
    const beside = fc.tuple(fc.float({ min: Math.fround(1e-6), max: Math.fround(1e6), noNaN: true }), fc.integer({ min: -4, max: 4 }), fc.boolean()).map(([f, steps, negative]) => {
      float[0] = f;
      bits[0]! += 1;
      // Halfway between two neighbouring float32s (exact in a double), and doubles just beside it.
      return stepped((f + float[0]!) / 2, steps) * (negative ? -1 : 1);
    });
    readShare(beside, (value) => JSON.stringify({ embeddings: [[value]] }), 20_000);
  });

  it('reads number texts of any length and exponent as JSON.parse and Math.fround would, or leaves them to JSON.parse', () => {
    const texts = fc.array(numberText, { minLength: 1, maxLength: 4 });
    expect(readShare(texts, (t) => `{"embeddings":[[${t.join(',')}]]}`, 5_000)).toBeGreaterThan(0.2);
  });

  it('reads Python-style spacing and exponents, and keeps the other fields as JSON.parse gives them', () => {
    const text = '{"inference_id": null, "frame_id": null, "time": 0.0123, "embeddings": [[1e-05, -0.0, 0.5], [2.5E+3 , 1 ,-7.25e-7]], "extra": {"a": [1, "x"]}}';
    const body = parsed(text)!;
    expect(body).toEqual(expected(text));
    expect(Object.is((body.embeddings as Float32Array[])[0]![1], -0)).toBe(true);
  });

  it('reads answers larger than any before it (32 x 512 numbers, then 64 x 768)', () => {
    for (const [count, dimension] of [[32, 512], [64, 768]] as const) {
      const embeddings = Array.from({ length: count }, (_, i) => Array.from({ length: dimension }, (_, j) => Math.fround(Math.sin(i * 1000 + j))));
      const text = JSON.stringify({ embeddings });
      expect(parsed(text)).toEqual(expected(text));
    }
  });

  it('gives the rows as Float32Arrays of equal length', () => {
    const body = parseEmbeddingAnswer(bytes('{"embeddings":[[1,2],[3,4],[5,6]]}'), true)!;
    const rows = body.embeddings as Float32Array[];
    expect(rows.map((row) => [row.constructor.name, [...row]])).toEqual([
      ['Float32Array', [1, 2]],
      ['Float32Array', [3, 4]],
      ['Float32Array', [5, 6]],
    ]);
  });

  it.each([
    ['text that is not JSON', '{"embeddings":[[1,2]]'],
    ['a body cut inside the list', '{"embeddings":[[1,2],[3'],
    ['trailing text', '{"embeddings":[[1,2]]} x'],
    ['the key only in a nested object', '{"data":{"embeddings":[[1,2]]}}'],
    ['the key twice', '{"embeddings":[[1,2]],"embeddings":[[3,4]]}'],
    ['the key again, holding 0', '{"embeddings":[[1,2]],"embeddings":0}'],
    ['a nested key before the own one', '{"meta":{"embeddings":[[9]]},"embeddings":[[1,2]]}'],
    ['rows of different lengths', '{"embeddings":[[1,2],[3]]}'],
    ['an empty list', '{"embeddings":[]}'],
    ['an empty row', '{"embeddings":[[]]}'],
    ['a row that is not a list', '{"embeddings":[1,2]}'],
    ['a string in a row', '{"embeddings":[[1,"2"]]}'],
    ['null in a row', '{"embeddings":[[1,null]]}'],
    ['NaN', '{"embeddings":[[1,NaN]]}'],
    ['Infinity', '{"embeddings":[[1,Infinity]]}'],
    ['a value past float32 range', '{"embeddings":[[1,1e39]]}'],
    ['a leading zero', '{"embeddings":[[01,2]]}'],
    ['a hex number', '{"embeddings":[[0x10,2]]}'],
    ['a bare dot', '{"embeddings":[[1.,2]]}'],
    ['a plus sign', '{"embeddings":[[+1,2]]}'],
    ['a list at the top', '[{"embeddings":[[1,2]]}]'],
    ['a byte order mark', '\uFEFF{"embeddings":[[1,2]]}'],
    ['the key as a value in a string', '{"note":"\\"embeddings\\":[[1]]"}'],
  ])('leaves %s to JSON.parse', (_, text) => {
    expect(parseEmbeddingAnswer(bytes(text), true)).toBeUndefined();
  });
});

describe('parseEmbeddingAnswer, doubles', () => {
  /** What JSON.parse gives, number for number (Object.is: -0 is not 0). */
  function same(text: string, body: Record<string, unknown> | undefined): boolean {
    if (body === undefined) return false;
    const want = (JSON.parse(text) as { embeddings: number[][] }).embeddings;
    const got = body.embeddings as number[][];
    expect(got.every(Array.isArray)).toBe(true);
    return got.length === want.length && want.every((row, i) => row.length === got[i]!.length && row.every((x, j) => Object.is(x, got[i]![j])));
  }
  const read = (text: string) => parseEmbeddingAnswer(bytes(text), false);

  it('reads every answer of embedding-like values (magnitudes 1e-6 to 10) exactly as JSON.parse does', () => {
    const component = fc.double({ min: 1e-6, max: 10, noNaN: true }).chain((v) => fc.constantFrom(v, -v));
    fc.assert(
      fc.property(fc.array(component, { minLength: 1, maxLength: 64 }), (values) => {
        const text = JSON.stringify({ time: 0.01, embeddings: [values, values.map((v) => v * 3)] });
        expect(same(text, read(text))).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads Python-style exponents (1.2345e-05, down to 1e-06) exactly as JSON.parse does', () => {
    const small = fc.double({ min: 1e-6, max: 1e-4, noNaN: true }).map((v) => v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2'));
    fc.assert(
      fc.property(fc.array(small, { minLength: 1, maxLength: 16 }), (texts) => {
        const text = `{"embeddings": [[${texts.join(', ')}]]}`;
        expect(same(text, read(text))).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads halfway cases and 17-digit integers as JSON.parse does (ties to even), or leaves them to it', () => {
    const cases = ['4503599627370497.5', '4503599627370498.5', '9007199254740993', '9007199254740995.0', '0.1', '0.30000000000000004', '-0.0', '1e-22', '12345678901234567'];
    for (const number of cases) {
      const text = `{"embeddings":[[${number}]]}`;
      const body = read(text);
      if (body !== undefined) expect(same(text, body)).toBe(true);
    }
    const halfway = fc.bigInt({ min: 2n ** 52n, max: 2n ** 53n - 1n }).chain((n) => fc.constantFrom(`${n}.5`, `${n}.0`, `${2n * n + 1n}`));
    fc.assert(
      fc.property(halfway, (number) => {
        const text = `{"embeddings":[[${number}]]}`;
        const body = read(text);
        if (body !== undefined) expect(same(text, body)).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it('reads any double, and number texts of any length and exponent, as JSON.parse does, or leaves them to it', () => {
    let readCount = 0;
    const runs = 3_000;
    fc.assert(
      fc.property(fc.array(fc.oneof(numberText, fc.double({ noDefaultInfinity: true, noNaN: true }).map(String)), { minLength: 1, maxLength: 4 }), (texts) => {
        const text = `{"embeddings":[[${texts.join(',')}]]}`;
        const body = read(text);
        if (body === undefined) return;
        readCount++;
        expect(same(text, body)).toBe(true);
      }),
      { numRuns: runs },
    );
    expect(readCount / runs).toBeGreaterThan(0.05);
  });
});

describe('the request pipeline reading answers from their bytes', () => {
  // Long enough to be read from its bytes (SHORT_ANSWER_BYTES).
  const first = Array.from({ length: 200 }, (_, i) => (i + 1) / 7);
  const second = first.map((x) => -x);
  const answer = JSON.stringify({ time: 0.5, embeddings: [first, second] });
  function sender(response: TransportResponse) {
    const transport = { send: async () => response, close: async () => {} };
    return new RequestSender({
      transport,
      requestBase: { origin: 'http://127.0.0.1:1', headers: {}, maxResponseBytes: 1 << 20 },
      path: (route) => route,
      secrets: [],
      retryPolicy: { statuses: new Set(), timeouts: false, baseMs: 1, capMs: 1 },
      maxRequestBytes: 1 << 20,
      logger: undefined,
    });
  }
  const limits = (float32: boolean) => ({ timeoutMs: 1_000, deadlineMs: 1_000, maxRetries: 0, float32 });
  const check = (body: unknown) => checkEmbeddings(body, 2);

  it("reads a 2xx answer from the transport's bytes, never decoding its text", async () => {
    const response = { status: 200, headers: {}, bytes: bytes(answer), get body(): string { throw new Error('the text was read'); } };
    const result = await sender(response).send<{ embeddings: Float32Array[]; time: number }>('/clip/embed_text', {}, check, limits(true));
    expect(answer.length).toBeGreaterThanOrEqual(SHORT_ANSWER_BYTES);
    expect(result.embeddings).toEqual([Float32Array.from(first), Float32Array.from(second)]);
    expect(result.time).toBe(0.5);
  });

  it('without float32 limits, reads the bytes into arrays of doubles, never decoding the text', async () => {
    const response = { status: 200, headers: {}, bytes: bytes(answer), get body(): string { throw new Error('the text was read'); } };
    expect((await sender(response).send<{ embeddings: unknown[] }>('/clip/embed_text', {}, check, limits(false))).embeddings).toEqual([first, second]);
  });

  it('parses a short answer with JSON.parse: quicker than taking it apart', async () => {
    const short = '{"embeddings":[[0.1,0.2],[0.3,0.4]]}';
    const response = { status: 200, headers: {}, bytes: bytes('not JSON'), body: short };
    expect((await sender(response).send<{ embeddings: unknown[] }>('/clip/embed_text', {}, check, limits(true))).embeddings).toEqual([[0.1, 0.2], [0.3, 0.4]]);
  });

  it('reads the text as JSON when the bytes are not an answer it knows', async () => {
    const odd = { status: 200, headers: {}, bytes: bytes(answer.replace('0,', '"x",')), body: answer };
    expect((await sender(odd).send<{ embeddings: unknown[] }>('/clip/embed_text', {}, check, limits(true))).embeddings).toEqual([first, second]);
    expect((await sender(odd).send<{ embeddings: unknown[] }>('/clip/embed_text', {}, check, limits(false))).embeddings).toEqual([first, second]);
  });

  it('checks an answer read as float32 like any other: a wrong count is a ClipResponseError', async () => {
    const one = JSON.stringify({ embeddings: [first] });
    const response = { status: 200, headers: {}, bytes: bytes(one), body: one };
    await expect(sender(response).send('/clip/embed_text', {}, check, limits(true))).rejects.toThrow(ClipResponseError);
  });
});
