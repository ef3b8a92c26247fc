import { parseArgs } from 'node:util';
import { DEFAULT_TEXT_BATCH_SIZE } from '../jobs/batch.js';
import { chunks, CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientFrom, UsageError, writeJsonLine, type Command } from './command.js';

export const embedText: Command = {
  name: 'embed-text',
  summary: 'embed texts: one JSON line per text on stdout',
  help: `Usage: roboflow-clip embed-text [options] TEXT...

Embeds each TEXT with CLIP and prints one JSON line per text, in order:
  {"text":"a photo of a cat","embedding":[0.0123, ...]}

${CLIENT_OPTIONS_HELP}

Example:
  roboflow-clip embed-text "a photo of a cat" "a photo of a dog"`,

  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: argv, options: CLIENT_OPTIONS, allowPositionals: true });
    if (positionals.length === 0) throw new UsageError('give at least one TEXT');
    const clip = clientFrom(values, io);
    try {
      for (const batch of chunks(positionals, DEFAULT_TEXT_BATCH_SIZE)) {
        const { embeddings } = await clip.embedText({ text: batch });
        batch.forEach((text, i) => writeJsonLine(io, { text, embedding: embeddings[i] }));
      }
    } finally {
      await clip.close();
    }
    return 0;
  },
};
