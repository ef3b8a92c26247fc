/**
 * Checks of the API key against where it is used: a hosted Roboflow URL without a key, and a key in
 * a web page.
 */
import { ClipError } from '../errors/errors.js';
import { invalidOption } from '../errors/errors.js';

/** Roboflow's hosted API needs a key; a self-hosted server may not. */
export function isHostedRoboflow(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  return host === 'roboflow.com' || host.endsWith('.roboflow.com');
}

/** The error each call of a client aimed at the hosted API without a key fails with, before sending. */
export function missingKeyError(url: URL): ClipError {
  return new ClipError(
    `No API key for ${url.origin}: set the ROBOFLOW_API_KEY environment variable or pass apiKey to new ClipClient() ` +
      '(your key is at https://app.roboflow.com/settings/api). A self-hosted server needs none: pass its baseUrl.',
  );
}

/** A web page, as opposed to a server-side runtime that happens to define `window` (Deno 1, jsdom in Node). */
function inBrowser(): boolean {
  const scope = globalThis as { window?: unknown; document?: unknown; process?: { versions?: { node?: string } } };
  return typeof scope.window !== 'undefined' && typeof scope.document !== 'undefined' && !scope.process?.versions?.node;
}

/**
 * A key sent from a web page is readable by anyone who opens it. A client with a key in a browser
 * needs `dangerouslyAllowBrowser: true`, which says the key is meant to be public (a key scoped to a
 * demo, say).
 */
export function checkBrowserKey(apiKey: string | undefined, allowed: boolean | undefined): void {
  if (apiKey === undefined || allowed === true || !inBrowser()) return;
  throw invalidOption(
    'dangerouslyAllowBrowser',
    'a client with an API key in a browser shows the key to every visitor of the page; call Roboflow from your server instead, ' +
      'or pass dangerouslyAllowBrowser: true if the key is meant to be public',
  );
}
