/**
 * CORS as the server answers it when its `ALLOW_ORIGINS` setting lists origins: Starlette's
 * CORSMiddleware with credentials, every method and every header allowed. Without the setting the
 * server sends no CORS headers at all, and a preflight is just another non-POST request.
 */

import type { MockRequest, MockResponse } from './protocol.js';

const ALLOWED_METHODS = 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT';

const isAllowed = (origin: string, origins: readonly string[]) => origins.includes('*') || origins.includes(origin);

/** The answer to a preflight (OPTIONS with Origin and Access-Control-Request-Method), or undefined for any other request. */
export function corsPreflight(req: MockRequest, origins: readonly string[]): MockResponse | undefined {
  const origin = req.headers.origin;
  if (req.method.toUpperCase() !== 'OPTIONS' || origin === undefined || req.headers['access-control-request-method'] === undefined) {
    return undefined;
  }
  const headers: Record<string, string> = {
    'access-control-allow-methods': ALLOWED_METHODS,
    'access-control-max-age': '600',
    'access-control-allow-credentials': 'true',
    vary: 'Origin',
  };
  const allowed = isAllowed(origin, origins);
  // With credentials allowed, even "*" is answered with the caller's own origin.
  if (allowed) headers['access-control-allow-origin'] = origin;
  const requestedHeaders = req.headers['access-control-request-headers'];
  if (requestedHeaders !== undefined) headers['access-control-allow-headers'] = requestedHeaders;
  return {
    status: allowed ? 200 : 400,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
    body: allowed ? 'OK' : 'Disallowed CORS origin',
  };
}

/** Headers added to the answer of a request that carries an Origin. */
export function corsHeaders(req: MockRequest, origins: readonly string[]): Record<string, string> {
  const origin = req.headers.origin;
  if (origin === undefined) return {};
  const headers: Record<string, string> = { 'access-control-allow-credentials': 'true' };
  if (origins.includes('*') && req.headers.cookie === undefined) headers['access-control-allow-origin'] = '*';
  else if (isAllowed(origin, origins)) Object.assign(headers, { 'access-control-allow-origin': origin, vary: 'Origin' });
  return headers;
}
