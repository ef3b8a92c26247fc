import { CLIP_VERSIONS, ClipClient, type ClipClientOptions, type ClipVersion } from '../index.js';
import type { PgvectorLoader } from './stores.js';
import { printableJson } from './printable.js';

/** Where a command reads and writes: the process's streams and environment, or a test's. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
  /** Fires when the process is asked to stop (Ctrl+C, SIGTERM): long-running commands end then. */
  stop: AbortSignal;
  /** Loads the PostgreSQL store for `--db`. Default: `import('roboflow-clip/pgvector')`. */
  importPgvector?: PgvectorLoader | undefined;
}

/** One `roboflow-clip NAME ...` command. */
export interface Command {
  name: string;
  /** One line for the list of commands. */
  summary: string;
  /** The text of `roboflow-clip NAME --help`. */
  help: string;
  /** Runs with the arguments after the command's name; resolves to the exit code. */
  run(argv: string[], io: CliIo): Promise<number>;
}

/** Wrong arguments: reported with a pointer to `--help` and exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The options of every command that calls the API, for `parseArgs`. */
export const CLIENT_OPTIONS = {
  'base-url': { type: 'string' },
  'api-key': { type: 'string' },
  'clip-version': { type: 'string' },
} as const;

export const CLIENT_OPTIONS_HELP = `Connection options:
  --base-url URL        server URL (default: $ROBOFLOW_CLIP_URL, else https://infer.roboflow.com)
  --api-key KEY         Roboflow API key (default: $ROBOFLOW_API_KEY; prefer the variable, as
                        other users of this machine can see a command line)
  --clip-version NAME   CLIP model, e.g. ViT-B-16 (the default), ViT-L-14, RN50`;

interface ClientValues {
  'base-url'?: string | undefined;
  'api-key'?: string | undefined;
  'clip-version'?: string | undefined;
}

/** A client from the connection options, falling back to the environment the CLI was given. */
export function clientFrom(values: ClientValues, io: CliIo, extra: Pick<ClipClientOptions, 'maxRetries' | 'timeoutMs'> = {}): ClipClient {
  const clipVersion = values['clip-version'];
  if (clipVersion !== undefined && !(CLIP_VERSIONS as readonly string[]).includes(clipVersion)) {
    throw new UsageError(`--clip-version must be one of ${CLIP_VERSIONS.join(', ')}; got "${clipVersion}"`);
  }
  return new ClipClient({
    baseUrl: values['base-url'] ?? (io.env.ROBOFLOW_CLIP_URL || undefined),
    apiKey: values['api-key'] ?? (io.env.ROBOFLOW_API_KEY || null),
    ...(clipVersion === undefined ? {} : { clipVersion: clipVersion as ClipVersion }),
    ...extra,
  });
}

export function writeJsonLine(io: CliIo, value: unknown): void {
  io.stdout.write(`${printableJson(value)}\n`);
}

/** Splits a list into runs of at most `size`, for requests with an item limit. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A command-line image: an http(s) URL is sent as such, anything else is read as a file. */
export function isUrl(value: string): boolean {
  return /^https?:\/\//i.test(value);
}

/** A whole number >= 1 from a flag, or a UsageError naming the flag. */
export function positiveInteger(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number >= 1, got "${value}"`);
  return n;
}
