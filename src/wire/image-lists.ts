/**
 * The images of a payload that travel in one request, for a server that cannot batch them: how to send
 * them one per request, how to tell its short answer, and how to put the single answers back together
 * into the result of the whole payload.
 */
import { isPlainObject } from './images.js';
import { isNameMap } from './schemas.js';

export interface ImageList {
  /** How many images the payload carries (at least 2). */
  readonly count: number;
  /**
   * The payload with only its image at `index`, as one image rather than a list or name map of one:
   * the form the transcript shows every server answering right.
   */
  single(index: number): Record<string, unknown>;
  /** Whether a 2xx body carries fewer results than the payload has images. */
  isShort(body: unknown): boolean;
  /** The result of the whole payload from the results of its singles, in order. */
  merge(results: readonly Record<string, unknown>[]): Record<string, unknown>;
}

/** The payload's list of several images (`image`) or image prompts (`prompt`); undefined when it has fewer than 2. */
export function imageListOf(payload: Record<string, unknown>): ImageList | undefined {
  const { image, prompt } = payload;
  if (Array.isArray(image)) return image.length > 1 ? listOf(payload, 'image', image, 'embeddings') : undefined;
  if (payload.prompt_type !== 'image') return undefined;
  if (Array.isArray(prompt)) return prompt.length > 1 ? listOf(payload, 'prompt', prompt, 'similarity') : undefined;
  if (!isNameMap(prompt)) return undefined;
  const names = Object.keys(prompt);
  return names.length > 1 ? nameMapOf(payload, prompt, names) : undefined;
}

function listOf(payload: Record<string, unknown>, field: 'image' | 'prompt', items: unknown[], results: 'embeddings' | 'similarity'): ImageList {
  return {
    count: items.length,
    single: (index) => ({ ...payload, [field]: items[index] }),
    isShort: (body) => {
      const found = isPlainObject(body) ? body[results] : undefined;
      return Array.isArray(found) && found.length < items.length;
    },
    merge: (parts) => ({ ...mergedFields(parts), [results]: parts.flatMap((part) => part[results] as unknown[]) }),
  };
}

function nameMapOf(payload: Record<string, unknown>, prompt: Record<string, unknown>, names: string[]): ImageList {
  return {
    count: names.length,
    single: (index) => ({ ...payload, prompt: prompt[names[index]!] }),
    isShort: (body) => {
      const found = isPlainObject(body) ? body.similarity : undefined;
      return isPlainObject(found) && Object.keys(found).length < names.length;
    },
    merge: (parts) => ({
      ...mergedFields(parts),
      similarity: Object.fromEntries(names.map((name, i) => [name, (parts[i]!.similarity as number[])[0]])),
    }),
  };
}

/** The first answer's other fields, with `time` (the server's inference time) summed over all of them. */
function mergedFields(parts: readonly Record<string, unknown>[]): Record<string, unknown> {
  const fields = { ...parts[0] };
  const times = parts.map((part) => part.time);
  if (times.every((time) => typeof time === 'number')) fields.time = (times as number[]).reduce((a, b) => a + b, 0);
  return fields;
}
