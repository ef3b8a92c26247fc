#!/usr/bin/env node
import { runCli } from './index.js';

/** After Ctrl+C or SIGTERM, a command gets this long to wind down (a server closes, an index saves). */
const GRACE_MS = 2_000;
const EXIT_INTERRUPTED = 130;

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stop.abort();
    setTimeout(() => process.exit(EXIT_INTERRUPTED), GRACE_MS).unref();
  });
}
// A reader that goes away (`| head`) is not a failure of the command.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stop: stop.signal,
});
