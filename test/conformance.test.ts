import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { handleClipRequest, type MockOptions } from '../src/testing.js';

/**
 * Every request of a transcript of the real inference server 1.5.0 replayed through the mock's
 * protocol, under each server setting the transcript recorded, and compared with the real answer as
 * the transcript summarises it. Where a real answer depends on something the mock cannot know, the
 * case names the rule the mock follows instead.
 */

interface RecordedAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}
interface Case {
  id: string;
  title: string;
  request: { method: string; path: string; query: string; headers: Record<string, string>; body: string };
  responses: Record<Setting, RecordedAnswer>;
}
type Setting = 'legacy' | 'inferenceModels' | 'urlFetchOn';

const transcript = JSON.parse(readFileSync(new URL('./fixtures/upstream/clip-server-1.5.0.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};

const SETTINGS: Record<Setting, MockOptions> = {
  legacy: {},
  inferenceModels: { backend: 'inference-models' },
  urlFetchOn: { allowNonHttpsUrls: true, allowUrlsWithoutFqdn: true },
};

const MODEL_NOT_FOUND = 'Requested Roboflow resource not found. Make sure that workspace, project or model you referred in request exists.';
const NEVER_FETCHES = 'the mock never fetches a URL: one its settings allow is a picture';

/** Where the mock cannot give the recorded answer: the rule it follows, and what it answers by that rule. */
const RULES: Partial<Record<Setting, Record<string, { rule: string; answer: Summary }>>> = {
  legacy: {
    verUnknown: {
      rule: 'a version the server lacks is looked up on the Roboflow API: the mock answers as a server that reaches it (404), not one that cannot (503)',
      answer: { status: 404, headers: { 'x-model-id': 'clip/ViT-X-99' }, body: { message: MODEL_NOT_FOUND } },
    },
  },
  urlFetchOn: {
    verUnknown: {
      rule: 'a version the server lacks is looked up on the Roboflow API: the mock answers as a server that reaches it (404), not one that cannot (503)',
      answer: { status: 404, headers: { 'x-model-id': 'clip/ViT-X-99' }, body: { message: MODEL_NOT_FOUND } },
    },
    urlHttpsIp: { rule: NEVER_FETCHES, answer: { status: 200, body: { embeddings: { count: 1, dims: [512] } } } },
    url404: { rule: NEVER_FETCHES, answer: { status: 200, body: { embeddings: { count: 1, dims: [512] } } } },
    urlNotImg: { rule: NEVER_FETCHES, answer: { status: 200, body: { embeddings: { count: 1, dims: [512] } } } },
  },
};

/** What the conformance compares of an answer. */
interface Summary {
  status: number;
  headers?: Record<string, string | undefined>;
  body: unknown;
}

const COMPARED_HEADERS = ['x-request-id', 'x-model-id', 'x-model-cold-start', 'x-model-cold-start-count', 'x-model-load-time'];

/** The transcript's own summary of a long string. */
const cut = (text: string) => (text.length > 120 ? `${text.slice(0, 60)}...<${text.length} chars>` : text);

function summarise(status: number, headers: Record<string, string>, body: any): Summary {
  const compared = Object.fromEntries(
    COMPARED_HEADERS.map((name) => [name, name === 'x-request-id' && headers[name] ? '<present>' : headers[name]]),
  );
  let shape: unknown = body;
  if (Array.isArray(body?.embeddings)) {
    const embeddings = body.embeddings as number[][];
    shape = { fields: Object.keys(body).sort(), embeddings: { count: embeddings.length, dims: embeddings.map((e) => e.length) } };
  } else if (body?.embeddings) {
    shape = { fields: Object.keys(body).sort(), embeddings: { count: body.embeddings.count, dims: body.embeddings.dims } };
  } else if (body?.similarity !== undefined) {
    const similarity = body.similarity;
    shape = { fields: Object.keys(body).sort(), similarity: Array.isArray(similarity) ? similarity.length : Object.keys(similarity).sort() };
  } else if (typeof body?.message === 'string') {
    shape = { message: cut(body.message) };
  } else if (Array.isArray(body?.detail)) {
    shape = { detail: body.detail.map((item: { type: string; loc: unknown[] }) => ({ type: item.type, loc: item.loc })) };
  }
  return { status, headers: compared, body: shape };
}

function replay(request: Case['request'], options: MockOptions): Summary {
  const body = request.body.replaceAll('{IMAGE_PORT}', '8000');
  const url = request.path + (request.query ? `?${request.query}` : '');
  const answer = handleClipRequest({ method: request.method, url, headers: request.headers, body }, options);
  return summarise(answer.status, answer.headers, JSON.parse(answer.body));
}

describe.each(Object.keys(SETTINGS) as Setting[])('the mock answers as the real server 1.5.0 (%s)', (setting) => {
  const rules = RULES[setting] ?? {};

  it.each(transcript.cases.filter((c) => !rules[c.id]).map((c) => [`${c.id}: ${c.title}`, c] as const))('%s', (_, c) => {
    const real = c.responses[setting];
    expect(replay(c.request, SETTINGS[setting])).toEqual(summarise(real.status, real.headers, real.body));
  });

  it.each(Object.entries(rules).map(([id, { rule, answer }]) => [`${id}: ${rule}`, id, answer] as const))('%s', (_, id, answer) => {
    const c = transcript.cases.find((candidate) => candidate.id === id)!;
    const real = c.responses[setting];
    const got = replay(c.request, SETTINGS[setting]);
    // The rule is needed: the recorded answer is not what the mock can give.
    expect(got).not.toEqual(summarise(real.status, real.headers, real.body));
    expect(got).toMatchObject({ ...answer, body: expect.objectContaining(answer.body) });
  });

  it('covers all 55 requests of the transcript', () => {
    expect(transcript.cases).toHaveLength(55);
  });
});
