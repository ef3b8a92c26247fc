import type { Dispatcher } from 'undici';
import { invalidOption } from '../errors/errors.js';
import { FetchTransport, type FetchFunction } from './fetch.js';
import type { Transport } from './types.js';
import { UndiciTransport } from './undici.js';

/** The client options that choose how requests travel. */
export interface TransportOptions {
  fetch?: FetchFunction | undefined;
  dispatcher?: Dispatcher | undefined;
}

/**
 * The Node build's choice: undici unless a `fetch` is given. The edge build replaces this module with
 * `default.edge.ts`, so that it never loads undici.
 */
export function createTransport(options: TransportOptions, origins: readonly string[]): Transport {
  if (options.fetch === undefined) return new UndiciTransport(options.dispatcher, origins);
  if (options.dispatcher !== undefined) {
    throw invalidOption('dispatcher', 'give either fetch or dispatcher: a dispatcher is for the undici transport');
  }
  return new FetchTransport(options.fetch, origins);
}
