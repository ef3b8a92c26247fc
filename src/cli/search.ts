import { parseArgs } from 'node:util';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientFrom, positiveInteger, UsageError, type Command } from './command.js';
import { printable, printableJson } from './printable.js';
import { EmbeddingIndex } from '../vectors/embedding-index.js';
import { openDatabaseStore, type OpenStore } from './stores.js';

export const search: Command = {
  name: 'search',
  summary: 'the entries of an index file or PostgreSQL store most similar to a text query',
  help: `Usage: roboflow-clip search FILE QUERY [options]
       roboflow-clip search --db postgres://... QUERY [options]

Prints the entries of the index FILE (made by "roboflow-clip index"), or of the PostgreSQL store
--db, most similar to the text QUERY, best first, with their cosine similarity.

Options:
  -k, --top N           how many results (default 10)
  --json                print [{ id, score, metadata }] as JSON
  --db URL              search a PostgreSQL database with pgvector instead of a file (needs: npm
                        install pg pg-copy-streams)
  --table NAME          the table in --db (default: clip_embeddings)

${CLIENT_OPTIONS_HELP}
The CLIP version defaults to the one the store was built with.`,

  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...CLIENT_OPTIONS, top: { type: 'string', short: 'k' }, json: { type: 'boolean' }, db: { type: 'string' }, table: { type: 'string' } },
      allowPositionals: true,
    });
    const wanted = values.db ? 'QUERY' : 'FILE and QUERY';
    if (positionals.length !== (values.db ? 1 : 2)) throw new UsageError(`expected ${wanted}, got ${positionals.length} arguments`);
    if (values.table !== undefined && !values.db) throw new UsageError('--table goes with --db');
    const query = positionals[positionals.length - 1]!;
    const k = positiveInteger(values.top, '--top', 10);

    const opened: OpenStore = values.db
      ? await openDatabaseStore(values.db, { table: values.table, clipVersion: values['clip-version'] }, io.importPgvector)
      : { store: await EmbeddingIndex.load(positionals[0]!), where: positionals[0]!, save: async () => {}, close: async () => {} };
    try {
      const clip = clientFrom({ ...values, 'clip-version': values['clip-version'] ?? opened.store.clipVersion }, io);
      try {
        const hits = await clip.searchText(opened.store, query, k);
        if (values.json) io.stdout.write(`${printableJson(hits, 2)}\n`);
        else io.stdout.write(hits.map((hit) => `${hit.score.toFixed(4)}  ${printable(hit.id)}\n`).join(''));
      } finally {
        await clip.close();
      }
    } finally {
      await opened.close();
    }
    return 0;
  },
};
