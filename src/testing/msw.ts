import { http, HttpResponse, type HttpHandler } from 'msw';
import { handleClipRequest, type MockOptions } from './protocol.js';

export interface ClipHandlersOptions extends MockOptions {
  /** Defaults to https://infer.roboflow.com; may carry a path prefix (a proxy). */
  baseUrl?: string | undefined;
}

/**
 * msw handlers that answer like Roboflow's CLIP endpoints, without a network. They claim every path
 * under `baseUrl`, so unknown paths get the server's own 404 instead of reaching the network.
 */
export function clipHandlers(options: ClipHandlersOptions = {}): HttpHandler[] {
  const base = new URL(options.baseUrl ?? 'https://infer.roboflow.com');
  const prefix = base.pathname.replace(/\/+$/, '');
  return [
    http.all(`${base.origin}${prefix}/*`, async ({ request }) => {
      const url = new URL(request.url);
      const headers: Record<string, string> = {};
      request.headers.forEach((value, name) => {
        headers[name] = value;
      });
      const response = handleClipRequest(
        { method: request.method, url: url.pathname.slice(prefix.length) + url.search, headers, body: await request.text() },
        { apiKey: options.apiKey },
      );
      return new HttpResponse(response.body, { status: response.status, headers: response.headers });
    }),
  ];
}
