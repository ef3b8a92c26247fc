import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../src/testing.js';

const PAGE = 'http://127.0.0.1:8080';

/** A preflight as a browser sends it before a cross-origin POST with a JSON body. */
const preflight = (server: MockServer, origin: string) =>
  fetch(`${server.url}/clip/embed_text`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });

describe('CORS with corsOrigins (the server with ALLOW_ORIGINS set)', () => {
  let server: MockServer;
  beforeAll(async () => {
    server = await startMockServer({ corsOrigins: [PAGE] });
  });
  afterAll(() => server.close());

  it('answers the preflight of an allowed origin with its own origin, the requested headers and vary: Origin', async () => {
    const response = await preflight(server, PAGE);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('OK');
    const cors: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (name.startsWith('access-control-') || name === 'vary') cors[name] = value;
    });
    expect(cors).toEqual({
      'access-control-allow-origin': PAGE,
      'access-control-allow-methods': 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT',
      'access-control-allow-headers': 'content-type',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '600',
      vary: 'Origin',
    });
  });

  it('refuses the preflight of another origin with 400, without an allowed origin', async () => {
    const response = await preflight(server, 'https://elsewhere.example.com');
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('Disallowed CORS origin');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('vary')).toBe('Origin');
  });

  it('names an allowed origin on the answer itself, and no other', async () => {
    const post = (origin: string) =>
      fetch(`${server.url}/clip/embed_text`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{"text":"a"}' });
    const allowed = await post(PAGE);
    expect(allowed.status).toBe(200);
    expect([allowed.headers.get('access-control-allow-origin'), allowed.headers.get('vary')]).toEqual([PAGE, 'Origin']);
    const other = await post('https://elsewhere.example.com');
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("'*' allows any origin", async () => {
    const any = await startMockServer({ corsOrigins: ['*'] });
    const response = await preflight(any, 'https://anywhere.example.com');
    await any.close();
    expect([response.status, response.headers.get('access-control-allow-origin')]).toEqual([200, 'https://anywhere.example.com']);
  });
});

describe('CORS without corsOrigins (the server by default)', () => {
  it('sends no CORS headers: a preflight is just another non-POST request', async () => {
    const server = await startMockServer();
    const response = await preflight(server, PAGE);
    await server.close();
    expect(response.status).toBe(400);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
