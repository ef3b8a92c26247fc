/**
 * Replaces a file so that a reader, a crash or a full disk sees either the old contents or the new,
 * never a mix: the data goes to a new file beside the target, is flushed to disk, then renamed over
 * it. Node only (fs is loaded lazily, as in node-fs.ts).
 */
import { loadNodeFs } from './node-fs.js';

/** What `writeFileAtomic` writes: one buffer or string, or chunks of bytes as they are produced. */
export type AtomicWriteData = string | Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

const NODE_PATH = 'node:path';

/**
 * Writes `data` to `path` atomically. The temporary file has a random name in the target's folder
 * (a rename only stays atomic within one file system), is created exclusively and without following
 * a symlink, so nothing planted in that folder is written through. On any failure the temporary
 * file is removed and `path` keeps what it held.
 */
export async function writeFileAtomic(path: string, data: AtomicWriteData): Promise<void> {
  const fs = await loadNodeFs();
  const { basename, dirname, join } = (await import(/* webpackIgnore: true */ /* @vite-ignore */ NODE_PATH)) as typeof import('node:path');
  const folder = dirname(path);
  const temporary = join(folder, `.${basename(path)}.${randomSuffix()}.tmp`);
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW = 0 } = fs.constants;
  // A replaced file keeps its permissions; a new one gets the usual 0o666 less the umask.
  const existingMode = await fs.stat(path).then(
    (stats) => stats.mode & 0o777,
    () => undefined,
  );
  const handle = await fs.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, existingMode ?? 0o666);
  try {
    try {
      if (existingMode !== undefined) await handle.chmod(existingMode);
      if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data);
      else for await (const chunk of data) await handle.write(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, path);
  } catch (err) {
    await fs.rm(temporary, { force: true });
    throw err;
  }
  await syncFolder(fs, folder);
}

function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// The rename is durable only once the folder's entry is on disk. Windows cannot open a folder for
// this; there the rename is as durable as the platform makes it.
async function syncFolder(fs: typeof import('node:fs/promises'), folder: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof fs.open>> | undefined;
  try {
    handle = await fs.open(folder, 'r');
    await handle.sync();
  } catch {
    // Best effort, see above.
  } finally {
    await handle?.close();
  }
}
