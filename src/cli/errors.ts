import { ClipApiError, ClipError, ClipValidationError } from '../index.js';
import { formatPath } from '../errors/errors.js';
import { UsageError } from './command.js';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** An error as one line for a person, and the exit code it ends the process with. */
export function describeFailure(error: unknown, command: string | undefined): { line: string; exitCode: number } {
  const where = command ? `roboflow-clip ${command}` : 'roboflow-clip';
  if (error instanceof UsageError || isParseArgsError(error)) {
    return { line: `${where}: ${(error as Error).message} (see: ${where} --help)`, exitCode: EXIT_USAGE };
  }
  if (error instanceof ClipValidationError) {
    const issues = error.issues.map((i) => (i.path.length ? `${formatPath(i.path)}: ${i.message}` : i.message));
    const context = error.message.split('\n')[0]!.replace(/:$/, '');
    return { line: `${where}: ${context}: ${issues.join('; ')}`, exitCode: EXIT_FAILURE };
  }
  if (error instanceof ClipApiError && error.status === 401) {
    return { line: `${where}: ${oneLine(error.message)} (set ROBOFLOW_API_KEY or --api-key)`, exitCode: EXIT_FAILURE };
  }
  if (error instanceof ClipError) return { line: `${where}: ${oneLine(error.message)}`, exitCode: EXIT_FAILURE };
  if (error instanceof Error) return { line: `${where}: ${oneLine(error.message)}`, exitCode: EXIT_FAILURE };
  return { line: `${where}: ${oneLine(String(error))}`, exitCode: EXIT_FAILURE };
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * The key as given on the command line or in the environment, so that it is cut out of whatever is
 * printed, whichever part of the program let it through.
 */
export function secretsIn(argv: readonly string[], env: Record<string, string | undefined>): string[] {
  const secrets = new Set<string>();
  if (env.ROBOFLOW_API_KEY) secrets.add(env.ROBOFLOW_API_KEY);
  argv.forEach((arg, i) => {
    if (arg === '--api-key' && argv[i + 1]) secrets.add(argv[i + 1]!);
    if (arg.startsWith('--api-key=') && arg.length > '--api-key='.length) secrets.add(arg.slice('--api-key='.length));
  });
  for (const secret of [...secrets]) secrets.add(encodeURIComponent(secret));
  return [...secrets];
}

export function withoutSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}
