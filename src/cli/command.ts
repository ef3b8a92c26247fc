/** What every command shares: one line per failure (never a stack, never the key) and its exit code. */
import { EXIT_FAILURE, EXIT_USAGE, type CliIo } from './io.js';
import { secretsIn } from './client-options.js';

/** The command line itself is wrong (a missing argument, a bad number); exits with EXIT_USAGE. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Runs a command body, turning any failure into one line on stderr and an exit code. */
export async function runCommand(name: string, argv: readonly string[], io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    io.stderr.write(errorLine(name, error, secretsIn(argv, io.env)));
    if (!isUsageError(error)) return EXIT_FAILURE;
    io.stderr.write(`Run "roboflow-clip ${name} --help" for usage.\n`);
    return EXIT_USAGE;
  }
}

/** Our own usage errors and node:util parseArgs's (codes ERR_PARSE_ARGS_*). */
export function isUsageError(error: unknown): boolean {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

export function errorLine(command: string, error: unknown, secrets: readonly string[]): string {
  let text = error instanceof Error ? oneLine(error.message) : String(error);
  for (const secret of secrets) text = text.split(secret).join('***');
  return `roboflow-clip ${command}: ${text}\n`;
}

/** Joins a multi-line message (a validation error lists one issue per line) into one line. */
function oneLine(message: string): string {
  const [first = '', ...rest] = message.split('\n').map((line) => line.trim()).filter(Boolean);
  return rest.length === 0 ? first : `${first} ${rest.map((line) => line.replace(/^- /, '')).join('; ')}`;
}

/** A whole number >= 1 from a flag, or a UsageError naming the flag. */
export function positiveInteger(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number >= 1, got "${value}"`);
  return n;
}
