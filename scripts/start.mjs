// `npm start`: builds if the build is missing or stale, then runs every example, against the built-in
// mock server unless ROBOFLOW_API_KEY is set (then against ROBOFLOW_CLIP_URL or the hosted API).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const built = join(root, 'dist/index.js');
if (!existsSync(built) || statSync(built).mtimeMs < newestMtime(join(root, 'src'))) {
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const env = { ...process.env };
let mock;
if (!env.ROBOFLOW_API_KEY) {
  const { startMockServer } = await import('roboflow-clip/testing');
  mock = await startMockServer();
  env.ROBOFLOW_CLIP_URL = mock.url;
  console.log(`No ROBOFLOW_API_KEY set: running the examples against the built-in MOCK server at ${mock.url} (not Roboflow).\n`);
} else {
  console.log(`Running the examples against ${env.ROBOFLOW_CLIP_URL || 'https://infer.roboflow.com'}.\n`);
}

const examples = [
  'embed-image',
  'embed-images',
  'embed-library',
  'embed-text',
  'embed-texts',
  'compare-text-image',
  'compare-image-text',
  'zero-shot',
  'image-search',
];
let failed = 0;
for (const name of examples) {
  // Asynchronous, so that the mock server in this process keeps answering.
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'examples', `${name}.ts`)], { cwd: root, env, stdio: 'inherit' });
  const [code] = await once(child, 'exit');
  if (code !== 0) {
    failed++;
    console.error(`example ${name} failed`);
  }
}
await mock?.close();
process.exit(failed === 0 ? 0 : 1);
