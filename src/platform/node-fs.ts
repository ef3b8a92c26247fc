/**
 * Node's file system (also in Bun and Deno), loaded on first use. The specifier is not a literal, so
 * that bundlers for Workers and browsers, where the module does not exist, leave it alone instead of
 * failing the build; calling a function that needs it there rejects instead.
 */
const NODE_FS = 'node:fs/promises';

export function loadNodeFs(): Promise<typeof import('node:fs/promises')> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ NODE_FS);
}
