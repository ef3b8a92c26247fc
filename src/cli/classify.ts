import { parseArgs } from 'node:util';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientFrom, positiveInteger, UsageError, type Command } from './command.js';
import { readImage } from './embed-image.js';
import { printable, printableJson } from './printable.js';

export const classify: Command = {
  name: 'classify',
  summary: 'zero-shot classification of one image against comma-separated labels',
  help: `Usage: roboflow-clip classify IMAGE --labels a,b,c [options]

Zero-shot classification: scores each label against IMAGE (a file, or an http(s) URL the server
fetches). A score is CLIP's probability for the label (softmax of 100 x cosine); scores sum to 1.

Options:
  --labels LIST         comma-separated labels (required; may be repeated)
  --template TEXT       wraps each label, {} marking where it goes, e.g. "a photo of a {}"
  --top N               print only the N best labels
  --json                print [{ label, score, similarity }] as JSON

${CLIENT_OPTIONS_HELP}`,

  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        ...CLIENT_OPTIONS,
        labels: { type: 'string', multiple: true },
        template: { type: 'string' },
        top: { type: 'string' },
        json: { type: 'boolean' },
      },
      allowPositionals: true,
    });
    if (positionals.length !== 1) throw new UsageError(`expected one IMAGE, got ${positionals.length} arguments`);
    const labels = (values.labels ?? []).flatMap((list) => list.split(',')).map((label) => label.trim()).filter(Boolean);
    if (labels.length === 0) throw new UsageError('--labels is required, e.g. --labels cat,dog,raccoon');
    const topK = positiveInteger(values.top, '--top', labels.length);

    const clip = clientFrom(values, io);
    try {
      const image = await readImage(positionals[0]!);
      const results = await clip.classify(image, labels, { topK, ...(values.template !== undefined && { template: values.template }) });
      if (values.json) {
        io.stdout.write(`${printableJson(results, 2)}\n`);
      } else {
        const lines = results.map((r) => `${r.score.toFixed(4)}  ${r.similarity.toFixed(4)}  ${printable(r.label)}`);
        io.stdout.write(`score   cosine  label\n${lines.join('\n')}\n`);
      }
    } finally {
      await clip.close();
    }
    return 0;
  },
};
