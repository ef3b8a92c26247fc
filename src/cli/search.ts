/** `roboflow-clip search FILE "query"`: the images of an index most similar to a text. */
import { parseArgs } from 'node:util';
import type { ClipClient } from '../client.js';
import { EmbeddingIndex } from '../embedding-index.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientFromFlags, parseClipVersion } from './client-options.js';
import { positiveInteger, runCommand, UsageError } from './command.js';
import { EXIT_OK, type CliIo } from './io.js';

const HELP = `Usage: roboflow-clip search FILE QUERY [options]

Prints the entries of the index FILE (made by "roboflow-clip index") most similar to the text
QUERY, best first, with their cosine similarity.

Options:
  -k, --top N           how many results (default 10)
  --json                print [{ id, score, metadata }] as JSON
${CLIENT_OPTIONS_HELP}
  The CLIP version defaults to the one the index was built with.
`;

const OPTIONS = {
  ...CLIENT_OPTIONS,
  top: { type: 'string', short: 'k' },
  json: { type: 'boolean' },
} as const;

export async function run(argv: string[], io: CliIo): Promise<number> {
  let clip: ClipClient | undefined;
  return runCommand('search', argv, io, async () => {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
    if (values.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    if (positionals.length !== 2) throw new UsageError(`expected FILE and QUERY, got ${positionals.length} arguments`);
    const [file, query] = positionals as [string, string];
    const k = positiveInteger(values.top, '--top', 10);
    const flagVersion = parseClipVersion(values['clip-version']);

    const index = await EmbeddingIndex.load(file);
    clip = clientFromFlags(values, io.env, flagVersion ?? parseClipVersion(index.clipVersion, `clipVersion of ${file}`));
    const hits = await clip.searchText(index, query, k);
    if (values.json) io.stdout.write(`${JSON.stringify(hits, null, 2)}\n`);
    else io.stdout.write(hits.map((hit) => `${hit.score.toFixed(4)}  ${hit.id}\n`).join(''));
    return EXIT_OK;
  }).finally(() => clip?.close());
}
