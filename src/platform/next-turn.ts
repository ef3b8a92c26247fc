const setImmediateOrTimeout: (callback: () => void) => unknown = globalThis.setImmediate ?? ((callback) => setTimeout(callback, 0));

/** Resolves after the work already queued (answers that arrived, what they start) has run: `setImmediate` where there is one. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediateOrTimeout(resolve));
}
