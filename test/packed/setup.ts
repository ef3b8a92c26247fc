import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

declare module 'vitest' {
  export interface ProvidedContext {
    /** A folder with the packed package installed in node_modules, as a user would have it. */
    consumerDir: string;
    /** The packed .tgz. */
    tarball: string;
    /** The paths the tarball holds, relative to the package root. */
    packedFiles: string[];
  }
}

/** Builds if the build is missing or older than the sources, packs, and installs the tarball (with @types/node) in a temporary folder. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (await buildIsStale()) await run('npm', ['run', 'build'], { cwd: root });
  const dir = await mkdtemp(join(tmpdir(), 'roboflow-clip-consumer-'));
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  const tarball = join(dir, packed!.filename);
  const typesNode = JSON.parse(await readFile(join(root, 'node_modules/@types/node/package.json'), 'utf8')).version as string;
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `@types/node@${typesNode}`], { cwd: dir });

  project.provide('consumerDir', dir);
  project.provide('tarball', tarball);
  project.provide('packedFiles', packed!.files.map((f) => f.path));
  return () => rm(dir, { recursive: true, force: true });
}

async function buildIsStale(): Promise<boolean> {
  const built = await stat(join(root, 'dist/index.js')).catch(() => undefined);
  if (!built) return true;
  const sources = [join(root, 'package.json'), join(root, 'tsup.config.ts')];
  for (const entry of await readdir(join(root, 'src'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) sources.push(join(entry.parentPath, entry.name));
  }
  const times = await Promise.all(sources.map(async (path) => (await stat(path)).mtimeMs));
  return Math.max(...times) > built.mtimeMs;
}
