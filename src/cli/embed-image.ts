import { parseArgs } from 'node:util';
import { imageFromFile, MAX_ITEMS_PER_REQUEST, type ImageInput } from '../index.js';
import { chunks, CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientFrom, isUrl, UsageError, writeJsonLine, type Command } from './command.js';
import { progressBar } from './progress.js';

export const embedImage: Command = {
  name: 'embed-image',
  summary: `embed image files or URLs, ${MAX_ITEMS_PER_REQUEST} per request: one JSON line per image on stdout`,
  help: `Usage: roboflow-clip embed-image [options] FILE_OR_URL...

Embeds each image, ${MAX_ITEMS_PER_REQUEST} per request, and prints one JSON line per image, in order:
  {"image":"photos/cat.jpg","embedding":[0.0123, ...]}
An http:// or https:// argument is sent as a URL for the server to download; anything else is read
as a local file. On a terminal, a progress bar is drawn on stderr.

${CLIENT_OPTIONS_HELP}

Example:
  roboflow-clip embed-image photos/*.jpg > embeddings.jsonl`,

  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: argv, options: CLIENT_OPTIONS, allowPositionals: true });
    if (positionals.length === 0) throw new UsageError('give at least one FILE_OR_URL');
    const clip = clientFrom(values, io);
    const progress = progressBar(io.stderr, positionals.length, 'images');
    try {
      for (const batch of chunks(positionals, MAX_ITEMS_PER_REQUEST)) {
        const { embeddings } = await clip.embedImage({ image: await Promise.all(batch.map(readImage)) });
        batch.forEach((image, i) => writeJsonLine(io, { image, embedding: embeddings[i] }));
        progress.advance(batch.length);
      }
    } finally {
      progress.finish();
      await clip.close();
    }
    return 0;
  },
};

/** Files are read one batch at a time, so that thousands of them never sit in memory together. */
export function readImage(argument: string): Promise<ImageInput> {
  return isUrl(argument) ? Promise.resolve(argument) : imageFromFile(argument);
}
