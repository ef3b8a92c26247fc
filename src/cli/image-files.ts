/**
 * The image files of a folder, read safely: only regular files (a link is followed only to a
 * regular file, never to a device or a FIFO), each read with a size cap, so that no entry can
 * make a run hang or grow memory without bound.
 */
import { constants } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { encodeBase64 } from '../wire/base64.js';
import type { WireImage } from '../wire/images.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.gif', '.webp', '.bmp', '.tif', '.tiff']);

/** Image files under `dir`, as sorted paths relative to it with "/" separators. */
export async function listImageFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const found: string[] = [];
  for (const entry of entries) {
    if (!IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())) continue;
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile() || (entry.isSymbolicLink() && (await isRegularFile(path)))) found.push(relative(dir, path).split(sep).join('/'));
  }
  return found.sort();
}

async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads an image file as a base64 wire image, refusing what is not a regular file or holds more
 * than `maxBytes`. The checks are made on the opened file itself, so a file swapped for a FIFO or
 * a device after the listing is refused too; opening without blocking keeps a FIFO from hanging.
 */
export async function readImageFile(path: string, maxBytes: number): Promise<WireImage> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error(`not a regular file: ${path}`);
    if (info.size > maxBytes) throw new Error(`image file is larger than ${maxBytes} bytes: ${path}`);
    // The file may grow after the check: at most one byte past the cap is read, to notice it.
    const buffer = new Uint8Array(Math.min(info.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) break;
    }
    if (length === buffer.length) {
      throw new Error(info.size < maxBytes ? `image file grew while it was read: ${path}` : `image file is larger than ${maxBytes} bytes: ${path}`);
    }
    if (length === 0) throw new Error(`image file is empty: ${path}`);
    return { type: 'base64', value: encodeBase64(buffer.subarray(0, length)) };
  } finally {
    await handle.close();
  }
}
