/**
 * A bounded least-recently-used map. A Map iterates in insertion order, so re-inserting on every
 * hit keeps the least recently used entry first, where eviction takes it in O(1).
 */
export class LruCache<K, V> {
  readonly #capacity: number;
  readonly #entries = new Map<K, V>();

  /** Holds at most `capacity` entries (an integer >= 0; 0 keeps nothing). */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(`LruCache: capacity must be an integer >= 0, got ${capacity}`);
    }
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value for `key`, marking it most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) this.set(key, value);
    return value;
  }

  /**
   * Stores `value` as the most recently used entry, evicting the least recently used beyond capacity
   * (with capacity 0, the entry just stored).
   */
  set(key: K, value: V): void {
    const entries = this.#entries;
    entries.delete(key);
    entries.set(key, value);
    if (entries.size > this.#capacity) entries.delete(entries.keys().next().value!);
  }
}
