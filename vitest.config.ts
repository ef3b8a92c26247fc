import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The packed package's tests need a build: `npm run test:package` and `npm run test:runtimes`.
    exclude: [...configDefaults.exclude, 'test/packed/**'],
    testTimeout: 20_000,
  },
});
