import { defineConfig } from 'vitest/config';

// Tests of the packed package as users install it: consumers, examples, package quality and the
// runtime matrix. The global setup packs the package (which builds it) and installs it in a temporary folder.
export default defineConfig({
  test: {
    include: ['test/packed/**/*.test.ts'],
    globalSetup: ['test/packed/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file starts processes of its own; one file at a time keeps the 2 cores from thrashing.
    fileParallelism: false,
  },
});
