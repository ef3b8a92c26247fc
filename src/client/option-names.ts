/**
 * Option names a client and its methods know. An option misspelt would otherwise be ignored without a
 * word (`timeout` for `timeoutMs`), so unknown names are refused, naming the closest known one.
 */
import { ClipValidationError, type ValidationIssue } from '../errors/errors.js';
import type { BatchOptions } from '../jobs/batch.js';
import type { ClassifyOptions } from '../jobs/classify.js';
import type { ClipClientOptions, RequestOptions } from './options.js';

/** Every key of `T`, listed: the compiler refuses a list that misses one or names one `T` lacks. */
function names<T>() {
  return <const L extends readonly (keyof T)[]>(list: L & ([keyof T] extends [L[number]] ? unknown : 'missing an option name')) => list;
}

export const CLIENT_OPTION_NAMES = names<ClipClientOptions>()([
  'apiKey', 'baseUrl', 'apiKeyTransport', 'clipVersion', 'timeoutMs', 'deadlineMs', 'maxRetries', 'retryOn', 'backoff',
  'maxRequestBytes', 'maxResponseBytes', 'logger', 'logLevel', 'dispatcher', 'fetch', 'headers', 'labelCacheSize',
  'dangerouslyAllowBrowser', 'imageBatching',
]);

export const REQUEST_OPTION_NAMES = names<RequestOptions>()(['signal', 'timeoutMs', 'deadlineMs', 'maxRetries', 'headers', 'extraBody']);

export const CLASSIFY_OPTION_NAMES = [...REQUEST_OPTION_NAMES, ...names<ClassifyOptions>()(['template', 'topK'])];

export const BATCH_OPTION_NAMES = names<BatchOptions>()(['batchSize', 'concurrency', 'onProgress', 'signal', 'timeoutMs', 'maxRetries', 'extraBody', 'onError']);

export const BATCH_JOB_OPTION_NAMES = [...BATCH_OPTION_NAMES, 'clipVersion', 'embeddingFormat'] as const;

/** Throws `ClipValidationError` when `options` holds a name not in `known`, naming the likely one. */
export function checkOptionNames(options: unknown, known: readonly string[], context: string): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ClipValidationError([{ path: [], message: 'options must be an object' }], context);
  }
  const issues: ValidationIssue[] = [];
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const match = closestName(name, known);
    issues.push({ path: [name], message: `unknown option${match ? `; did you mean "${match}"?` : ` (known: ${known.join(', ')})`}` });
  }
  if (issues.length > 0) throw new ClipValidationError(issues, context);
}

/**
 * The known name a misspelling most likely meant: one that differs from it in case only, contains it
 * or is contained in it (`timeout`, `timeoutMs`), or is at most 2 edits away.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const other = candidate.toLowerCase();
    if (other === lower) return candidate;
    const distance = lower.length >= 3 && (other.includes(lower) || lower.includes(other)) ? 1 : editDistance(lower, other);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= 2 ? best : undefined;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}
