/** `roboflow-clip classify IMAGE --labels a,b,c`: zero-shot classification of one image. */
import { parseArgs } from 'node:util';
import type { ClipClient } from '../client.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientFromFlags, parseClipVersion } from './client-options.js';
import { positiveInteger, runCommand, UsageError } from './command.js';
import { imageArgument } from './image-argument.js';
import { EXIT_OK, type CliIo } from './io.js';

const HELP = `Usage: roboflow-clip classify IMAGE --labels a,b,c [options]

Zero-shot classification: scores each label against IMAGE (a file, or an http(s) URL the server
fetches). A score is CLIP's probability for the label (softmax of 100 x cosine); scores sum to 1.
Label embeddings are cached within one run only.

Options:
  --labels LIST         comma-separated labels (required; may be repeated)
  --template TEXT       wraps each label, {} marking where it goes, e.g. "a photo of a {}"
  --top N               print only the N best labels
  --json                print [{ label, score, similarity }] as JSON
${CLIENT_OPTIONS_HELP}
`;

const OPTIONS = {
  ...CLIENT_OPTIONS,
  labels: { type: 'string', multiple: true },
  template: { type: 'string' },
  top: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function run(argv: string[], io: CliIo): Promise<number> {
  let clip: ClipClient | undefined;
  return runCommand('classify', argv, io, async () => {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
    if (values.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    if (positionals.length !== 1) throw new UsageError(`expected one IMAGE, got ${positionals.length} arguments`);
    const labels = (values.labels ?? []).flatMap((list) => list.split(',')).map((label) => label.trim()).filter(Boolean);
    if (labels.length === 0) throw new UsageError('--labels is required, e.g. --labels cat,dog,raccoon');
    const topK = positiveInteger(values.top, '--top', labels.length);
    const clipVersion = parseClipVersion(values['clip-version']);

    const image = await imageArgument(positionals[0]!);
    clip = clientFromFlags(values, io.env, clipVersion);
    const results = await clip.classify(image, labels, { topK, ...(values.template !== undefined && { template: values.template }) });
    if (values.json) {
      io.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    } else {
      const lines = results.map((r) => `${r.score.toFixed(4)}  ${r.similarity.toFixed(4)}  ${r.label}`);
      io.stdout.write(`score   cosine  label\n${lines.join('\n')}\n`);
    }
    return EXIT_OK;
  }).finally(() => clip?.close());
}
