import { invalidOption } from '../errors/errors.js';
import type { TransportOptions } from './default.js';
import { FetchTransport } from './fetch.js';
import type { Transport } from './types.js';

/**
 * The edge build's choice (Workers, Deno, Bun, browsers): always fetch. The global is looked up at
 * each call, not at construction, so that a fetch patched later (msw, a polyfill) is the one used.
 */
export function createTransport(options: TransportOptions, origins: readonly string[]): Transport {
  if (options.dispatcher !== undefined) {
    throw invalidOption('dispatcher', 'a dispatcher needs the Node build of roboflow-clip; this build sends with fetch');
  }
  return new FetchTransport(options.fetch ?? ((url, init) => globalThis.fetch(url, init)), origins);
}
