import { parseArgs } from 'node:util';
import { EmbeddingIndex } from '../vectors/embedding-index.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientFrom, positiveInteger, UsageError, type Command } from './command.js';

export const search: Command = {
  name: 'search',
  summary: 'the entries of an index file most similar to a text query',
  help: `Usage: roboflow-clip search FILE QUERY [options]

Prints the entries of the index FILE (made by "roboflow-clip index") most similar to the text
QUERY, best first, with their cosine similarity.

Options:
  -k, --top N           how many results (default 10)
  --json                print [{ id, score, metadata }] as JSON

${CLIENT_OPTIONS_HELP}
The CLIP version defaults to the one the index was built with.`,

  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...CLIENT_OPTIONS, top: { type: 'string', short: 'k' }, json: { type: 'boolean' } },
      allowPositionals: true,
    });
    if (positionals.length !== 2) throw new UsageError(`expected FILE and QUERY, got ${positionals.length} arguments`);
    const [file, query] = positionals as [string, string];
    const k = positiveInteger(values.top, '--top', 10);

    const index = await EmbeddingIndex.load(file);
    const clip = clientFrom({ ...values, 'clip-version': values['clip-version'] ?? index.clipVersion }, io);
    try {
      const hits = await clip.searchText(index, query, k);
      if (values.json) io.stdout.write(`${JSON.stringify(hits, null, 2)}\n`);
      else io.stdout.write(hits.map((hit) => `${hit.score.toFixed(4)}  ${hit.id}\n`).join(''));
    } finally {
      await clip.close();
    }
    return 0;
  },
};
