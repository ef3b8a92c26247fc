// Builds photo-tagger into one ES module for Node: roboflow-clip, undici and zod are bundled in.
// Run `node examples/bundled-sdk/build.mjs` (after `npm run build`); the file lands in examples/bundled-sdk/dist/.
import { build } from 'esbuild';

export function buildPhotoTagger(outfile = new URL('dist/photo-tagger.js', import.meta.url).pathname) {
  return build({
    entryPoints: [new URL('src/index.ts', import.meta.url).pathname],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    metafile: true,
    logLevel: 'warning',
    // undici is CommonJS and require()s Node's built-in modules: an ES module bundle needs a require.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await buildPhotoTagger();
