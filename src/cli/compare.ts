import { parseArgs } from 'node:util';
import { MAX_ITEMS_PER_REQUEST, type CompareRequest, type ImageInput } from '../index.js';
import { chunks, CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientFrom, UsageError, writeJsonLine, type Command } from './command.js';
import { readImage } from './embed-image.js';

const TYPES = ['image', 'text'];

export const compare: Command = {
  name: 'compare',
  summary: 'cosine similarity of one subject to prompts: one JSON line per prompt on stdout',
  help: `Usage: roboflow-clip compare [options] SUBJECT PROMPT...

Compares SUBJECT with each PROMPT (${MAX_ITEMS_PER_REQUEST} prompts per request) and prints one JSON line per
prompt, in order:
  {"prompt":"a photo of a cat","similarity":0.2912}
An image is an http:// or https:// URL or a local file.

Options:
  --subject-type image|text   what SUBJECT is (default: image)
  --prompt-type text|image    what the PROMPTs are (default: text)

${CLIENT_OPTIONS_HELP}

Example:
  roboflow-clip compare pet.jpg "a photo of a cat" "a photo of a dog"`,

  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...CLIENT_OPTIONS, 'subject-type': { type: 'string', default: 'image' }, 'prompt-type': { type: 'string', default: 'text' } },
      allowPositionals: true,
    });
    const subjectType = values['subject-type'];
    const promptType = values['prompt-type'];
    if (!TYPES.includes(subjectType)) throw new UsageError(`--subject-type must be image or text, got "${subjectType}"`);
    if (!TYPES.includes(promptType)) throw new UsageError(`--prompt-type must be image or text, got "${promptType}"`);
    const [subjectArgument, ...prompts] = positionals;
    if (subjectArgument === undefined || prompts.length === 0) throw new UsageError('give a SUBJECT and at least one PROMPT');

    const clip = clientFrom(values, io);
    try {
      const subject = subjectType === 'image' ? await readImage(subjectArgument) : subjectArgument;
      for (const batch of chunks(prompts, MAX_ITEMS_PER_REQUEST)) {
        const prompt = promptType === 'image' ? await Promise.all(batch.map(readImage)) : batch;
        const { similarity } = await clip.compare({
          subject,
          subject_type: subjectType as 'image' | 'text',
          prompt,
          prompt_type: promptType as 'image' | 'text',
        } as CompareRequest & { prompt: ImageInput[] });
        batch.forEach((text, i) => writeJsonLine(io, { prompt: text, similarity: similarity[i] }));
      }
    } finally {
      await clip.close();
    }
    return 0;
  },
};
