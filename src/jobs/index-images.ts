/**
 * Indexing a collection into a store: embed in batches, write each batch as it arrives, skip what
 * the store already holds, so that a rerun after a crash or a failure resumes where it stopped.
 */
import { ClipValidationError } from '../errors/errors.js';
import type { IndexEntry } from '../vectors/embedding-index.js';
import type { VectorStore } from '../vectors/store.js';
import type { ImageInput } from '../wire/images.js';
import { resolveBatchOptions, type BatchInputs, type ResolvedBatchOptions } from './batch.js';
import { blamesInputs, checkEmbeddingFormat, IMAGE_BATCHES, type BatchJobOptions } from './embeddings.js';
import { streamBatches } from './stream.js';

/** One image of a collection to index, under its id. */
export interface IndexSourceItem<M = unknown> {
  id: string;
  image: ImageInput;
  metadata?: M | undefined;
}

/** What `indexImages` did. */
export interface IndexReport {
  /** Entries embedded and written by this run. */
  added: number;
  /** Entries not sent: the store already had their id, or the source gave it twice. */
  skipped: number;
  /** Entries whose request failed (with `onError: 'skip'`), with its error; a rerun tries them again. */
  failed: { id: string; error: unknown }[];
}

/** Checks an indexing job's options: those of an image job, but its vectors go to the store one at a time, never as a matrix. */
export function resolveIndexJob(options: Omit<BatchJobOptions, 'embeddingFormat'>): ResolvedBatchOptions {
  checkEmbeddingFormat((options as BatchJobOptions).embeddingFormat, 'indexImages, built on a stream,');
  return resolveBatchOptions(options, IMAGE_BATCHES);
}

/**
 * Runs an indexing job. Every entry is looked up with `store.has` before it is sent; each batch's
 * vectors go to the store in one `addMany` as soon as they arrive, so whatever a job wrote is kept
 * however it ends.
 */
export async function runIndexJob<M>(
  store: VectorStore<M>,
  source: BatchInputs<IndexSourceItem<M>>,
  job: ResolvedBatchOptions,
  embed: (images: ImageInput[], signal: AbortSignal) => Promise<readonly ArrayLike<number>[]>,
): Promise<IndexReport> {
  const report: IndexReport = { added: 0, skipped: 0, failed: [] };
  // Ids of entries sent but not settled, by their place in the job, to name the failed ones.
  const pending = new Map<number, string>();
  const queued = new Set<string>();
  async function* unseen(): AsyncGenerator<IndexSourceItem<M>> {
    let position = 0;
    for await (const entry of source) {
      const id = entryId(entry);
      if (queued.has(id) || (await store.has(id))) {
        report.skipped++;
        continue;
      }
      queued.add(id);
      pending.set(position++, id);
      yield entry;
    }
  }
  const write = async (entries: IndexSourceItem<M>[], signal: AbortSignal) => {
    const vectors = await embed(
      entries.map((entry) => entry.image),
      signal,
    );
    const rows: IndexEntry<M>[] = entries.map(({ id, metadata }, i) => (metadata === undefined ? { id, vector: vectors[i]! } : { id, vector: vectors[i]!, metadata }));
    await store.addMany(rows);
    return entries.map((entry) => entry.id);
  };
  for await (const outcome of streamBatches(unseen(), { ...job, retryAlone: blamesInputs }, write)) {
    const id = pending.get(outcome.index)!;
    pending.delete(outcome.index);
    if ('error' in outcome) report.failed.push({ id, error: outcome.error });
    else report.added++;
  }
  return report;
}

function entryId(entry: unknown): string {
  const id = (entry as { id?: unknown } | null)?.id;
  if (typeof id !== 'string' || id === '') {
    throw new ClipValidationError([{ path: ['id'], message: `each entry needs a non-empty string id, got ${id === undefined ? 'none' : typeof id}` }], 'Invalid index entry');
  }
  return id;
}

/** Checks every entry of an in-memory list before anything is sent; `checkImage` says what is wrong with an image, if anything. */
export function checkIndexList(source: unknown, checkImage: (images: unknown[]) => void): void {
  if (!Array.isArray(source)) return;
  source.forEach((entry, i) => {
    try {
      entryId(entry);
    } catch (error) {
      throw new ClipValidationError([{ path: [i, 'id'], message: (error as ClipValidationError).issues[0]!.message }], 'Invalid index entries, nothing was sent');
    }
  });
  checkImage(source.map((entry: { image?: unknown }) => entry.image));
}
