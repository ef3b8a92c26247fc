/**
 * Assembles src/vectors/simd/dot.wat and writes its bytes to src/vectors/simd/dot-wasm.ts (`npm run build:wasm`).
 * test/simd.test.ts assembles it the same way to prove the committed bytes come from the committed source.
 */
import { readFile, writeFile } from 'node:fs/promises';
import initWabt from 'wabt';

const root = new URL('../', import.meta.url);
const watPath = new URL('src/vectors/simd/dot.wat', root);
const tsPath = new URL('src/vectors/simd/dot-wasm.ts', root);

/** The binary module assembled from dot.wat, SIMD enabled, no name section. */
async function assembleDot() {
  const wabt = await initWabt();
  const module = wabt.parseWat('dot.wat', await readFile(watPath, 'utf8'), { simd: true });
  try {
    module.validate();
    return Uint8Array.from(module.toBinary({ write_debug_names: false }).buffer);
  } finally {
    module.destroy();
  }
}

function renderDotModule(bytes) {
  return `// Generated from dot.wat by \`npm run build:wasm\`; do not edit (test/simd.test.ts checks it matches).
/** The dot.wat module, hex (gzips smaller than base64 in the bundle). */
export const DOT_WASM = '${Buffer.from(bytes).toString('hex')}';
`;
}

const bytes = await assembleDot();
await writeFile(tsPath, renderDotModule(bytes));
console.log(`src/vectors/simd/dot-wasm.ts: ${bytes.length} bytes of WebAssembly`);
