/**
 * Replaces a file so that a reader, a crash or a full disk sees either the old contents or the new,
 * never a mix: the data goes to a new file beside the target, is flushed to disk, then renamed over
 * it. Node only (fs is loaded lazily, as in node-fs.ts).
 */
import { loadNodeFs } from './node-fs.js';

/** What `writeFileAtomic` writes: one buffer or string, or chunks of bytes as they are produced. */
export type AtomicWriteData = string | Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * Writes `data` to `path` atomically. The temporary file has a random name in the target's folder
 * (a rename only stays atomic within one file system) and is created exclusively ('wx': O_CREAT |
 * O_EXCL, which also refuses to follow a symlink), so nothing planted in that folder is written through. On any failure the temporary
 * file is removed and `path` keeps what it held.
 */
export async function writeFileAtomic(path: string, data: AtomicWriteData): Promise<void> {
  const fs = await loadNodeFs();
  // A suffix of the path itself, so the temporary file is in the target's folder.
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  const handle = await fs.open(temporary, 'wx');
  try {
    try {
      await fs.writeFile(handle, data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, path);
  } catch (err) {
    await fs.rm(temporary, { force: true });
    throw err;
  }
}
