import { existsSync } from 'node:fs';
import { readdir, rename } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';
import type { ClipClient } from '../client/client.js';
import { EmbeddingIndex } from '../vectors/embedding-index.js';
import { ClipApiError, ClipValidationError } from '../errors/errors.js';
import { imageFromFile, type WireImage } from '../wire/images.js';
import { MAX_ITEMS_PER_REQUEST } from '../wire/schemas.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientFrom, positiveInteger, UsageError, type Command } from './command.js';
import { EXIT_FAILURE } from './errors.js';
import { progressBar } from './progress.js';

const OPTIONS = {
  ...CLIENT_OPTIONS,
  out: { type: 'string' },
  batch: { type: 'string' },
} as const;

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.gif', '.webp', '.bmp', '.tif', '.tiff']);
const CHECKPOINT_INTERVAL_MS = 10_000;

interface Failure {
  id: string;
  reason: string;
}

export const indexDir: Command = {
  name: 'index',
  summary: 'embed a folder of images into an index file (resumable)',
  help: `Usage: roboflow-clip index DIR --out FILE [options]

Embeds every image under DIR (.jpg .jpeg .png .gif .webp .bmp .tif .tiff, subfolders included) and saves
them in the index FILE, each under its path relative to DIR. Resumable: images already in FILE are
skipped, and progress is saved at least every 10 seconds, so an interrupted run loses little.
Images the server cannot read are reported and skipped (exit code 1); run again to retry them.

Options:
  --out FILE            index file to create or extend (required); a .json name saves JSON, any other binary
  --batch N             images per request, 1 to ${MAX_ITEMS_PER_REQUEST} (default ${MAX_ITEMS_PER_REQUEST})

${CLIENT_OPTIONS_HELP}
The CLIP version defaults to the one FILE was built with, if it exists.`,

  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
    if (positionals.length !== 1) throw new UsageError(`expected one DIR, got ${positionals.length} arguments`);
    if (!values.out) throw new UsageError('--out FILE is required');
    const [dir] = positionals as [string];
    const out = values.out;
    const batchSize = positiveInteger(values.batch, '--batch', MAX_ITEMS_PER_REQUEST);
    if (batchSize > MAX_ITEMS_PER_REQUEST) throw new UsageError(`--batch must be at most ${MAX_ITEMS_PER_REQUEST}, the server's limit`);
    const flagVersion = values['clip-version'];

    const files = await listImages(dir);
    const index = existsSync(out)
      ? await EmbeddingIndex.load(out, flagVersion ? { clipVersion: flagVersion } : {})
      : new EmbeddingIndex(flagVersion ? { clipVersion: flagVersion } : {});
    const clip = clientFrom({ ...values, 'clip-version': flagVersion ?? index.clipVersion }, io);
    const todo = files.filter((id) => !index.has(id));
    const save = saver(index, out);

    const failures: Failure[] = [];
    const progress = progressBar(io.stderr, todo.length, 'images');
    let added = 0;
    try {
      for (let start = 0; start < todo.length && !io.stop.aborted; start += batchSize) {
        const batch = todo.slice(start, start + batchSize);
        const { embedded, failed } = await embedFiles(clip, dir, batch);
        for (const [id, vector] of embedded) index.add(id, vector);
        added += embedded.length;
        failures.push(...failed);
        progress.advance(batch.length);
        if (embedded.length > 0) await save(false);
      }
    } finally {
      progress.finish();
      // Whatever was embedded before a failure is kept, so the next run resumes after it.
      await save(true);
      await clip.close();
    }

    for (const { id, reason } of failures) io.stderr.write(`skipped ${id}: ${reason}\n`);
    const already = files.length - todo.length;
    io.stdout.write(
      `indexed ${added} new image(s) into ${out} (${already} already there, ${failures.length} failed); ${index.size} in the index\n`,
    );
    return failures.length > 0 ? EXIT_FAILURE : 0;
  },
};

/** Image files under `dir`, as sorted paths relative to it with "/" separators. */
async function listImages(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase()))
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/**
 * Embeds a batch in one request. The server fails a whole request for one unreadable image, so
 * after such a failure each image is tried alone to keep the good ones and name the bad ones.
 */
async function embedFiles(clip: ClipClient, dir: string, ids: string[]): Promise<{ embedded: [string, number[]][]; failed: Failure[] }> {
  const failed: Failure[] = [];
  const readable: [string, WireImage][] = [];
  const reads = await Promise.allSettled(ids.map((id) => imageFromFile(join(dir, id))));
  reads.forEach((read, i) => {
    if (read.status === 'fulfilled') readable.push([ids[i]!, read.value]);
    else failed.push({ id: ids[i]!, reason: messageOf(read.reason) });
  });
  if (readable.length === 0) return { embedded: [], failed };
  try {
    const { embeddings } = await clip.embedImage({ image: readable.map(([, image]) => image) });
    return { embedded: readable.map(([id], i) => [id, embeddings[i]!]), failed };
  } catch (error) {
    if (!isImageFailure(error)) throw error;
    if (readable.length === 1) return { embedded: [], failed: [...failed, { id: readable[0]![0], reason: messageOf(error) }] };
  }
  const embedded: [string, number[]][] = [];
  for (const [id, image] of readable) {
    try {
      embedded.push([id, (await clip.embedImage({ image })).embeddings[0]!]);
    } catch (error) {
      if (!isImageFailure(error)) throw error;
      failed.push({ id, reason: messageOf(error) });
    }
  }
  return { embedded, failed };
}

/** A failure caused by the image itself (the server could not decode it, or it is too large), not by the server or the network. */
function isImageFailure(error: unknown): boolean {
  return error instanceof ClipValidationError || (error instanceof ClipApiError && (error.status === 400 || error.status === 413));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n').join(' ') : String(error);
}

/** Saves through a temporary file and a rename, so an interrupted save never leaves a broken index; unforced saves are spaced out. */
function saver(index: EmbeddingIndex, out: string): (force: boolean) => Promise<void> {
  // -1 when there is no file yet, so that even a run that finds no images leaves an (empty) index.
  let savedSize = existsSync(out) ? index.size : -1;
  let savedAt = performance.now();
  return async (force) => {
    if (index.size === savedSize || (!force && performance.now() - savedAt < CHECKPOINT_INTERVAL_MS)) return;
    const temporary = `${out}.${process.pid}.tmp`;
    await index.save(temporary, { format: out.toLowerCase().endsWith('.json') ? 'json' : 'binary' });
    await rename(temporary, out);
    savedSize = index.size;
    savedAt = performance.now();
  };
}
