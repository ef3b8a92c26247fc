import { VERSION } from '../client/version.js';
import { classify } from './classify.js';
import type { CliIo, Command } from './command.js';
import { compare } from './compare.js';
import { embedImage } from './embed-image.js';
import { embedText } from './embed-text.js';
import { describeFailure, EXIT_USAGE, secretsIn, withoutSecrets } from './errors.js';
import { indexDir } from './index-dir.js';
import { mockServer } from './mock-server.js';
import { printable } from './printable.js';
import { search } from './search.js';

/** Every command; a new one is one file in this folder and one entry here. */
const COMMANDS: readonly Command[] = [embedText, embedImage, compare, classify, indexDir, search, mockServer];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: roboflow-clip COMMAND [options] [arguments]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

embed-text, embed-image and compare print JSON Lines on stdout (one JSON object per line); the
others print text for people, or JSON with --json.
Run "roboflow-clip COMMAND --help" for a command's options.
Environment: ROBOFLOW_API_KEY (API key), ROBOFLOW_CLIP_URL (server URL).`;
}

/** Runs one command line; resolves to the process's exit code and never rejects. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(`${usage()}\n`);
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`roboflow-clip: unknown command "${printable(name)}" (see: roboflow-clip --help)\n`);
    return EXIT_USAGE;
  }
  if (asksForHelp(rest)) {
    io.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const { line, exitCode } = describeFailure(error, command.name);
    // The line quotes file names and server messages: escaped, so that none can drive the terminal.
    io.stderr.write(`${printable(withoutSecrets(line, secretsIn(argv, io.env)))}\n`);
    return exitCode;
  }
}

/** `--help` or `-h` before a `--` (after it, they are arguments, e.g. a text to embed). */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}
