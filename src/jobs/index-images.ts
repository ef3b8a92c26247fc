/**
 * Indexing a collection into a store: embed in batches, write each batch as it arrives, skip what
 * the store already holds, so that a rerun after a crash or a failure resumes where it stopped.
 */
import { ClipBatchError, ClipValidationError, EmbeddingIndexError } from '../errors/errors.js';
import { nextTurn } from '../platform/next-turn.js';
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

/** Most rows one `addMany` writes; past it, the job waits for the store. */
const MAX_WRITE_ROWS = 1_000;

/** Checks an indexing job's options: those of an image job, but its vectors go to the store as they come, never as a matrix. */
export function resolveIndexJob(options: Omit<BatchJobOptions, 'embeddingFormat'>): ResolvedBatchOptions {
  checkEmbeddingFormat((options as BatchJobOptions).embeddingFormat, 'indexImages, built on a stream,');
  return resolveBatchOptions(options, IMAGE_BATCHES);
}

/**
 * Runs an indexing job. Every entry is looked up in the store before it is sent. The embedded rows
 * go to the store one `addMany` at a time: while one is written, the next rows gather (up to
 * `MAX_WRITE_ROWS`) and go in the next. Whatever was embedded is written however the job ends.
 */
export async function runIndexJob<M>(
  store: VectorStore<M>,
  source: BatchInputs<IndexSourceItem<M>>,
  job: ResolvedBatchOptions,
  embed: (images: ImageInput[], signal: AbortSignal, released: () => void) => Promise<readonly ArrayLike<number>[]>,
): Promise<IndexReport> {
  const report: IndexReport = { added: 0, skipped: 0, failed: [] };
  // Entries sent but not settled, by their place in the job.
  const pending = new Map<number, IndexSourceItem<M>>();
  const queued = new Set<string>();
  // Entries are looked up a job's worth of requests at a time: one query for a database store.
  const lookupSize = job.batchSize * job.concurrency;
  let position = 0;
  type Chunk = { entries: IndexSourceItem<M>[]; stored: boolean[]; ended: boolean; error?: { thrown: unknown } };
  const iterator = (source as AsyncIterable<IndexSourceItem<M>>)[Symbol.asyncIterator]?.call(source) ?? (source as Iterable<IndexSourceItem<M>>)[Symbol.iterator]();
  /** The next entries of the source, up to a bad one, with what the store holds of them. */
  let reading = false;
  const readChunk = async (): Promise<Chunk> => {
    reading = true;
    const entries: IndexSourceItem<M>[] = [];
    let ended = false;
    let error: { thrown: unknown } | undefined;
    try {
      while (entries.length < lookupSize) {
        const step = await iterator.next();
        if (step.done) {
          ended = true;
          break;
        }
        entryId(step.value);
        entries.push(step.value);
      }
    } catch (thrown) {
      error = { thrown };
    }
    reading = false;
    return { entries, stored: await storedIds(store, entries.map((entry) => entry.id)), ended, ...(error && { error }) };
  };
  // The next chunk is read and looked up while this one's entries go out.
  async function* unseen(): AsyncGenerator<IndexSourceItem<M>> {
    let next: Promise<Chunk> | undefined = readChunk();
    try {
      while (next) {
        const chunk: Chunk = await next;
        next = chunk.ended || chunk.error ? undefined : readChunk();
        for (const [i, entry] of chunk.entries.entries()) {
          if (chunk.stored[i] || queued.has(entry.id)) {
            report.skipped++;
            continue;
          }
          queued.add(entry.id);
          pending.set(position++, entry);
          yield entry;
        }
        // The entries before a bad one went out as they would have one at a time.
        if (chunk.error) throw chunk.error.thrown;
      }
    } finally {
      // Left early: the chunk read ahead is dropped, and the source closed once that read is over (it may never
      // be, on a source that waits for something that will not come: then the job does not wait for it).
      if (next) {
        const close = next.catch(() => undefined).then(() => iterator.return?.());
        if (!reading) await close;
      }
    }
  }
  const writer = new StoreWriter(store, report, job.onError);
  const take = (index: number, vector: ArrayLike<number>) => {
    const { id, metadata } = pending.get(index)!;
    pending.delete(index);
    return writer.add(index, metadata === undefined ? { id, vector } : { id, vector, metadata });
  };
  const embedEntries = (entries: IndexSourceItem<M>[], signal: AbortSignal, released: () => void) =>
    embed(
      entries.map((entry) => entry.image),
      signal,
      released,
    );
  try {
    for await (const outcome of streamBatches(unseen(), { ...job, retryAlone: blamesInputs }, embedEntries)) {
      if ('error' in outcome) {
        report.failed.push({ id: pending.get(outcome.index)!.id, error: outcome.error });
        pending.delete(outcome.index);
      } else {
        await take(outcome.index, outcome.value);
      }
    }
  } catch (error) {
    // A failed request stopped the job: the vectors it had not handed over yet are written too.
    if (error instanceof ClipBatchError) {
      for (const [index, vector] of error.results.entries()) if (vector) await take(index, vector as ArrayLike<number>).catch(() => undefined);
    }
    await writer.finish().catch(() => undefined);
    throw error;
  }
  await writer.finish();
  return report;
}

type Row<M> = { index: number; entry: IndexEntry<M> };

/** Writes rows to the store one `addMany` at a time, gathering the rows that arrive meanwhile. */
class StoreWriter<M> {
  readonly #store: VectorStore<M>;
  readonly #report: IndexReport;
  readonly #onError: 'stop' | 'skip';
  #rows: Row<M>[] = [];
  #writing: Promise<void> | undefined;
  /** With `onError: 'stop'`: the store's failure, which ends the job. */
  #failure: ClipBatchError | undefined;

  constructor(store: VectorStore<M>, report: IndexReport, onError: 'stop' | 'skip') {
    this.#store = store;
    this.#report = report;
    this.#onError = onError;
  }

  /** Queues a row; waits for the store only when `MAX_WRITE_ROWS` are queued. Throws the store's failure with `'stop'`. */
  async add(index: number, entry: IndexEntry<M>): Promise<void> {
    if (this.#failure) throw this.#failure;
    this.#rows.push({ index, entry });
    this.#writing ??= this.#drain();
    if (this.#rows.length >= MAX_WRITE_ROWS) await this.#writing;
    if (this.#failure) throw this.#failure;
  }

  /** Writes what is queued and waits for it. */
  async finish(): Promise<void> {
    if (!this.#failure && this.#rows.length > 0) this.#writing ??= this.#drain();
    await this.#writing;
    if (this.#failure) throw this.#failure;
  }

  async #drain(): Promise<void> {
    // The rest of the rows that arrived with the first one join it.
    await nextTurn();
    while (this.#rows.length > 0 && !this.#failure) {
      const rows = this.#rows.splice(0, MAX_WRITE_ROWS);
      try {
        await this.#store.addMany(rows.map((row) => row.entry));
        this.#report.added += rows.length;
      } catch (error) {
        if (this.#onError === 'skip') {
          await this.#oneByOne(rows, error);
        } else {
          // Rows are queued in input order.
          const end = rows[rows.length - 1]!.index + 1;
          this.#failure = new ClipBatchError({ start: rows[0]!.index, end, completed: this.#report.added, cause: error });
        }
      }
    }
    this.#writing = undefined;
  }

  /** With `'skip'`: rows of a write refused for an entry's sake are written one by one, to keep the good ones. */
  async #oneByOne(rows: Row<M>[], error: unknown): Promise<void> {
    if (rows.length === 1 || !blamesEntries(error)) {
      for (const { entry } of rows) this.#report.failed.push({ id: entry.id, error });
      return;
    }
    for (const { entry } of rows) {
      try {
        await this.#store.addMany([entry]);
        this.#report.added++;
      } catch (alone) {
        this.#report.failed.push({ id: entry.id, error: alone });
      }
    }
  }
}

const ENTRY_FAULTS: ReadonlySet<string> = new Set(['dimension_mismatch', 'invalid_vector', 'duplicate_id', 'invalid_metadata']);

/** Whether a store refused a write for one of its entries (not for a fault of the store itself). */
function blamesEntries(error: unknown): boolean {
  return error instanceof EmbeddingIndexError && ENTRY_FAULTS.has(error.code);
}

/** Whether each id is stored: `hasMany` in one call where the store has it, else `has` for each. */
async function storedIds(store: VectorStore<unknown>, ids: string[]): Promise<boolean[]> {
  if (ids.length === 0) return [];
  if (store.hasMany) return await store.hasMany(ids);
  return await Promise.all(ids.map((id) => store.has(id)));
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
