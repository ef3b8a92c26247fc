/**
 * A client's hold on its transport. Clients made by `withOptions` share their parent's connection
 * pool: each has its own lease, and only the parent's `close()` closes the pool. A closed lease, or
 * a lease on a closed pool, refuses to send with a `ClipError` that says so, final and not retried.
 */
import { ClipError } from '../errors/errors.js';
import type { Transport, TransportRequest, TransportResponse } from '../transport/types.js';

/** A transport closed at most once, however often and by whomever `close()` is called. */
class SharedPool {
  closed = false;
  #closing: Promise<void> | undefined;

  constructor(readonly transport: Transport) {}

  close(): Promise<void> {
    this.closed = true;
    return (this.#closing ??= this.transport.close());
  }
}

export class TransportLease implements Transport {
  readonly #pool: SharedPool;
  readonly #ownsPool: boolean;
  #closed = false;

  constructor(pool: Transport | SharedPool) {
    this.#ownsPool = !(pool instanceof SharedPool);
    this.#pool = pool instanceof SharedPool ? pool : new SharedPool(pool);
  }

  /** A lease on the same pool for a client made by `withOptions`: closing it leaves the pool open. */
  share(): TransportLease {
    return new TransportLease(this.#pool);
  }

  send(request: TransportRequest): Promise<TransportResponse> {
    if (this.#closed || this.#pool.closed) {
      const by = this.#closed ? 'close() was called on it' : 'close() was called on the client it was made from by withOptions()';
      return Promise.reject(new ClipError(`This ClipClient is closed (${by}); create a new ClipClient to send more requests`));
    }
    return this.#pool.transport.send(request);
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.#ownsPool ? this.#pool.close() : Promise.resolve();
  }
}
