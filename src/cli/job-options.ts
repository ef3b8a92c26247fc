import type { BatchOptions } from '../jobs/batch.js';
import { UsageError } from './command.js';

/** The options of commands that run a batch job, for `parseArgs`. */
export const JOB_OPTIONS = {
  concurrency: { type: 'string' },
  'max-retries': { type: 'string' },
  timeout: { type: 'string' },
} as const;

export const JOB_OPTIONS_HELP = `  --concurrency N       requests in flight at once (default 4)
  --max-retries N       retries of a failed request (default 2)
  --timeout SECONDS     time limit of each attempt of a request (default 60)`;

interface JobValues {
  concurrency?: string | undefined;
  'max-retries'?: string | undefined;
  timeout?: string | undefined;
}

/** The job's and the client's share of the job options, checked as flags. */
export function jobOptionsFrom(values: JobValues): { batch: Pick<BatchOptions, 'concurrency'>; client: { maxRetries?: number; timeoutMs?: number } } {
  const concurrency = wholeNumber(values.concurrency, '--concurrency', 1);
  const maxRetries = wholeNumber(values['max-retries'], '--max-retries', 0);
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(timeout > 0 && Number.isFinite(timeout))) throw new UsageError(`--timeout must be a number of seconds above 0, got "${values.timeout}"`);
  return {
    batch: concurrency === undefined ? {} : { concurrency },
    client: { ...(maxRetries !== undefined && { maxRetries }), ...(timeout !== undefined && { timeoutMs: Math.round(timeout * 1000) }) },
  };
}

function wholeNumber(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} must be a whole number >= ${min}, got "${value}"`);
  return n;
}
