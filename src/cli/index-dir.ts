import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClipAbortError } from '../errors/errors.js';
import type { IndexSourceItem } from '../jobs/index-images.js';
import { DEFAULT_MAX_REQUEST_BYTES } from '../request/guards.js';
import { DEFAULT_CLIP_VERSION } from '../wire/clip-versions.js';
import { MAX_ITEMS_PER_REQUEST } from '../wire/schemas.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientFrom, positiveInteger, UsageError, type Command } from './command.js';
import { EXIT_FAILURE } from './errors.js';
import { listImageFiles, readImageFile } from './image-files.js';
import { JOB_OPTIONS, JOB_OPTIONS_HELP, jobOptionsFrom } from './job-options.js';
import { printable } from './printable.js';
import { progressBar } from './progress.js';
import { openDatabaseStore, openIndexFile, type OpenStore } from './stores.js';

const OPTIONS = {
  ...CLIENT_OPTIONS,
  ...JOB_OPTIONS,
  out: { type: 'string' },
  db: { type: 'string' },
  table: { type: 'string' },
  batch: { type: 'string' },
} as const;

const CHECKPOINT_INTERVAL_MS = 10_000;
/** The largest file whose base64 still fits a request under the default body limit. */
const MAX_IMAGE_FILE_BYTES = Math.floor(((DEFAULT_MAX_REQUEST_BYTES - 1024) * 3) / 4);

interface Failure {
  id: string;
  reason: string;
}

export const indexDir: Command = {
  name: 'index',
  summary: 'embed a folder of images into an index file or PostgreSQL (resumable)',
  help: `Usage: roboflow-clip index DIR (--out FILE | --db postgres://...) [options]

Embeds every image under DIR (.jpg .jpeg .png .gif .webp .bmp .tif .tiff, subfolders included) and
stores each under its path relative to DIR. Only regular files are read (a link only when it leads
to one), each of at most ${Math.floor(MAX_IMAGE_FILE_BYTES / 2 ** 20)} MiB. Resumable: images already stored are skipped, and an index
file is saved at least every 10 seconds and on Ctrl+C, so an interrupted run loses little.
Images the server cannot read are reported and skipped (exit code 1); run again to retry them.
Prints one summary line (not JSON).

Options:
  --out FILE            index file to create or extend; a .json name saves JSON, any other binary
  --db URL              a PostgreSQL database with pgvector instead of a file (needs: npm install
                        pg pg-copy-streams)
  --table NAME          the table in --db (default: clip_embeddings)
  --batch N             images per request, 1 to ${MAX_ITEMS_PER_REQUEST} (default ${MAX_ITEMS_PER_REQUEST})
${JOB_OPTIONS_HELP}

${CLIENT_OPTIONS_HELP}
The CLIP version defaults to the one the store was built with, else ${DEFAULT_CLIP_VERSION}; it is recorded in a new store.`,

  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
    if (positionals.length !== 1) throw new UsageError(`expected one DIR, got ${positionals.length} arguments`);
    if (!values.out === !values.db) throw new UsageError('give one of --out FILE and --db URL');
    if (values.table !== undefined && !values.db) throw new UsageError('--table goes with --db');
    const [dir] = positionals as [string];
    const batchSize = positiveInteger(values.batch, '--batch', MAX_ITEMS_PER_REQUEST);
    if (batchSize > MAX_ITEMS_PER_REQUEST) throw new UsageError(`--batch must be at most ${MAX_ITEMS_PER_REQUEST}, the server's limit`);
    const job = jobOptionsFrom(values);
    const flagVersion = values['clip-version'];

    const files = await listImageFiles(dir);
    const opened: OpenStore = values.db
      ? await openDatabaseStore(values.db, { table: values.table, clipVersion: flagVersion ?? DEFAULT_CLIP_VERSION, create: true }, io.importPgvector)
      : await openIndexFile(values.out!, flagVersion, DEFAULT_CLIP_VERSION);
    const { store } = opened;
    // The version actually used is named in every request, so that what the store records is what the server did.
    const clip = clientFrom({ ...values, 'clip-version': flagVersion ?? store.clipVersion ?? DEFAULT_CLIP_VERSION }, io, job.client);
    const failures: Failure[] = [];
    const sizeBefore = await store.size;
    let sizeAfter = sizeBefore;
    let added = 0;
    let already = 0;
    let progress = progressBar(io.stderr, 0, 'images');
    try {
      const todo: string[] = [];
      for (const id of files) if (await store.has(id)) already++;
      else todo.push(id);
      progress = progressBar(io.stderr, todo.length, 'images');
      let savedAt = performance.now();
      async function* images(): AsyncGenerator<IndexSourceItem> {
        for (const id of todo) {
          if (performance.now() - savedAt >= CHECKPOINT_INTERVAL_MS) {
            await opened.save();
            savedAt = performance.now();
          }
          let image;
          try {
            image = await readImageFile(join(dir, id), MAX_IMAGE_FILE_BYTES);
          } catch (error) {
            failures.push({ id, reason: messageOf(error) });
            progress.advance(1);
            continue;
          }
          yield { id, image };
        }
      }
      let done = 0;
      const report = await clip.indexImages(store, images(), {
        ...job.batch,
        batchSize,
        onError: 'skip',
        signal: io.stop,
        onProgress: (p) => {
          progress.advance(p.done - done);
          done = p.done;
        },
      });
      added = report.added;
      for (const { id, error } of report.failed) failures.push({ id, reason: messageOf(error) });
    } catch (error) {
      // Ctrl+C: what was written is kept and saved below, and the summary says how far the run got.
      if (!(error instanceof ClipAbortError && io.stop.aborted)) throw error;
    } finally {
      progress.finish();
      try {
        sizeAfter = await store.size;
        await opened.save();
      } finally {
        await opened.close();
        await clip.close();
      }
    }

    // Interrupted, the job has no report: what it wrote is what the store gained.
    if (io.stop.aborted) added = sizeAfter - sizeBefore;
    failures.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const { id, reason } of failures) io.stderr.write(`skipped ${printable(id)}: ${printable(reason)}\n`);
    io.stdout.write(
      `indexed ${added} new image(s) into ${printable(opened.where)} (${already} already there, ${failures.length} failed); ${sizeAfter} in the index\n`,
    );
    return failures.length > 0 ? EXIT_FAILURE : 0;
  },
};

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n').join(' ') : String(error);
}
