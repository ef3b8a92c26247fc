/** The options every command that talks to the server shares, and the client they configure. */
import { ClipClient } from '../client.js';
import { ClipValidationError } from '../errors.js';
import { CLIP_VERSIONS, type ClipVersion } from '../clip-versions.js';

/** parseArgs configuration of the shared options. */
export const CLIENT_OPTIONS = {
  'base-url': { type: 'string' },
  'api-key': { type: 'string' },
  'clip-version': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const CLIENT_OPTIONS_HELP = `  --clip-version NAME   CLIP model: ${CLIP_VERSIONS.join(', ')}
  --base-url URL        server (default: $ROBOFLOW_CLIP_URL, else https://infer.roboflow.com)
  --api-key KEY         API key (default: $ROBOFLOW_API_KEY; the variable keeps it out of the process list)
  -h, --help            show this help`;

// The client's own default also reads process.env, which a command must not do behind its caller's back.
const HOSTED_URL = 'https://infer.roboflow.com';

export interface ClientFlags {
  'base-url'?: string | undefined;
  'api-key'?: string | undefined;
}

/** A client configured from the flags, then the command's environment, never the process's. */
export function clientFromFlags(flags: ClientFlags, env: Record<string, string | undefined>, clipVersion: ClipVersion | undefined): ClipClient {
  return new ClipClient({
    baseUrl: flags['base-url'] || env.ROBOFLOW_CLIP_URL || HOSTED_URL,
    apiKey: flags['api-key'] || env.ROBOFLOW_API_KEY || null,
    ...(clipVersion && { clipVersion }),
  });
}

/** A CLIP version named by a flag or a file (`source`), refused unless the server offers it. */
export function parseClipVersion(value: string | undefined, source = '--clip-version'): ClipVersion | undefined {
  if (value === undefined) return undefined;
  if (!(CLIP_VERSIONS as readonly string[]).includes(value)) {
    throw new ClipValidationError([{ path: [source], message: `"${value}" is not one of ${CLIP_VERSIONS.join(', ')}` }], 'Invalid CLIP version');
  }
  return value as ClipVersion;
}

/** Every form of the API key the command line or environment could hold, to be blanked out of anything printed. */
export function secretsIn(argv: readonly string[], env: Record<string, string | undefined>): string[] {
  const secrets: string[] = [];
  argv.forEach((arg, i) => {
    if (arg === '--api-key' && argv[i + 1]) secrets.push(argv[i + 1]!);
    else if (arg.startsWith('--api-key=')) secrets.push(arg.slice('--api-key='.length));
  });
  if (env.ROBOFLOW_API_KEY) secrets.push(env.ROBOFLOW_API_KEY);
  return secrets.filter(Boolean).flatMap((s) => [s, encodeURIComponent(s)]);
}
