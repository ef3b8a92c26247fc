import { resolve } from 'node:path';
import { defineConfig, type Options } from 'tsup';

const nodeTransport = resolve('src/transport/default.js');

/** Swaps the Node transport choice (undici) for the edge one (fetch), so the edge build never imports undici. */
const edgeTransport: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'edge-transport',
  setup(build) {
    build.onResolve({ filter: /\/default\.js$/ }, (args) =>
      resolve(args.resolveDir, args.path) === nodeTransport ? { path: resolve('src/transport/default.edge.ts') } : undefined,
    );
  },
};

// Deno and Workers know the built-in modules only by their `node:` names.
const shared = { sourcemap: true, treeshake: true, removeNodeProtocol: false } satisfies Options;

export default defineConfig([
  {
    ...shared,
    entry: {
      index: 'src/index.ts',
      vectors: 'src/vectors.ts',
      'testing/index': 'src/testing.ts',
      pgvector: 'src/pgvector.ts',
      msw: 'src/msw.ts',
    },
    format: ['esm', 'cjs'],
    // Entries share chunks, so the error classes are one class whichever entry throws them.
    splitting: true,
    dts: true,
    // The builds below run at the same time and write beside this one: their files are not this build's to clean.
    clean: ['!edge/**', '!cli.*'],
    target: 'node20',
  },
  {
    ...shared,
    entry: { index: 'src/index.ts', vectors: 'src/vectors.ts' },
    outDir: 'dist/edge',
    format: ['esm'],
    splitting: true,
    platform: 'neutral',
    target: 'es2022',
    esbuildPlugins: [edgeTransport],
  },
  {
    ...shared,
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    splitting: false,
    platform: 'node',
    target: 'node20',
  },
]);
