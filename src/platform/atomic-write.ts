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
 * (a rename only stays atomic within one file system) and is created exclusively without following
 * a symlink, so nothing planted in that folder is written through. On any failure the temporary
 * file is removed and `path` keeps what it held.
 */
export async function writeFileAtomic(path: string, data: AtomicWriteData): Promise<void> {
  const fs = await loadNodeFs();
  // The last separator of either kind, so that Windows paths work too.
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1;
  const temporary = `${path.slice(0, cut)}.${path.slice(cut)}.${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}.tmp`;
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW = 0 } = fs.constants;
  const handle = await fs.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o666);
  try {
    try {
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
}
