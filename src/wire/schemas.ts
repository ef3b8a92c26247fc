import { z } from 'zod';
import { CLIP_VERSIONS, type ClipVersion } from './clip-versions.js';
import { isPlainObject, MAX_ITEMS_PER_REQUEST, toWireImage, type ImageInput } from './images.js';

export { MAX_ITEMS_PER_REQUEST } from './images.js';

/**
 * Items of one list refused with their own issue; the rest are only counted, so that a list of a
 * million bad items costs a loop, not a million issues. With the count line, they fill the
 * validation message (10 issues).
 */
export const MAX_ITEM_ISSUES = 9;

/**
 * Returns `build()`, run on the first call only. Building zod schemas costs milliseconds, which
 * would otherwise be spent by every process that imports the package, whether it validates or not.
 */
function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

type Ctx = z.core.$RefinementCtx<unknown>;
type Path = (string | number)[];
type ItemType = 'image' | 'text';

/** Records why the value at `path` is refused; returns `z.NEVER`, which a transform returns for refused input. */
function refuse(ctx: Ctx, path: Path, message: string): never {
  ctx.addIssue({ code: 'custom', path, message });
  return z.NEVER;
}

/**
 * One image or text. On compare, `typeField` names the field that declares the type, and the
 * message points to it when the value looks like the other type.
 */
function parseItem(value: unknown, type: ItemType, path: Path, ctx: Ctx, typeField?: string): unknown {
  if (value === undefined) return refuse(ctx, path, 'is required');
  if (type === 'text') {
    if (typeof value === 'string') return value || refuse(ctx, path, 'text must not be empty');
    const found = value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
    const hint = typeField && typeof value === 'object' && value ? ` (for an image, set ${typeField}: "image")` : '';
    return refuse(ctx, path, `expected a string, got ${found}${hint}`);
  }
  const image = toWireImage(value);
  if (typeof image !== 'string') return image;
  const hint = typeField && typeof value === 'string' ? ` (for text, set ${typeField}: "text")` : '';
  return refuse(ctx, path, image + hint);
}

/** One item, or a list of 1 to `max` of them. */
function parseItems(value: unknown, type: ItemType, path: Path, ctx: Ctx, max: number, typeField?: string): unknown {
  if (!Array.isArray(value)) return parseItem(value, type, path, ctx, typeField);
  const countIssue = checkCount(value.length, max);
  if (countIssue) return refuse(ctx, path, countIssue);
  const items: unknown[] = new Array(value.length);
  let refused = 0;
  // An index loop reads the holes of a sparse list as undefined (map skips them): a hole is a missing item.
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (refused < MAX_ITEM_ISSUES) {
      items[i] = parseItem(item, type, [...path, i], ctx, typeField);
      if (items[i] === z.NEVER) refused++;
    } else if (!(type === 'text' ? typeof item === 'string' && item.length > 0 : typeof toWireImage(item) !== 'string')) {
      refused++;
    }
  }
  if (refused > MAX_ITEM_ISSUES) refuse(ctx, path, `... and ${refused - MAX_ITEM_ISSUES} more refused items (${refused} of ${value.length})`);
  return items;
}

/** Why a list or name map of `count` items does not fit one request, if it does not. */
function checkCount(count: number, max: number): string | undefined {
  if (count === 0) return 'must hold at least 1 item';
  if (count > max) return `must hold at most ${max} items per request, got ${count}`;
}

/** Fields every route accepts besides its own (the key itself travels through the client's `apiKey`); all optional. */
const commonFields = lazy(
  () =>
    z
      .object({
        clip_version_id: z.enum(CLIP_VERSIONS, { error: `must be one of ${CLIP_VERSIONS.join(', ')}` }),
        id: z.string(),
        usage_billable: z.boolean(),
        start: z.number(),
        source: z.string(),
        source_info: z.string(),
        disable_model_monitoring: z.boolean(),
      })
      .partial().shape,
);

/** The schema of a payload: the route's own fields and the common ones, and no other. */
function requestSchema<T extends z.ZodRawShape>(fields: T) {
  return z.strictObject({ ...fields, ...commonFields() }, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : undefined),
  });
}

/** One image, or a list of 1 to 8, in any accepted form, to wire images. */
export const embedImageRequestSchema = lazy(() =>
  requestSchema({ image: z.transform((input, ctx) => parseItems(input, 'image', [], ctx, MAX_ITEMS_PER_REQUEST)) }),
);

/** One text, or a non-empty list of them; each a non-empty string. */
export const embedTextRequestSchema = lazy(() =>
  requestSchema({ text: z.transform((input, ctx) => parseItems(input, 'text', [], ctx, Infinity)) }),
);

const isItemType = (type: unknown): type is ItemType => type === 'image' || type === 'text';

/**
 * How subject and prompt are read depends on their declared types, so they are checked after the
 * other fields; every problem is reported at once, even when another field is also wrong.
 */
export const compareRequestSchema = lazy(() => {
  const type = z.enum(['image', 'text'], { error: 'must be "image" or "text"' }).optional();
  const compareFields = requestSchema({ subject: z.unknown().optional(), subject_type: type, prompt: z.unknown().optional(), prompt_type: type });
  return z.transform((input, ctx) => {
    const fields = compareFields.safeParse(input);
    // These issues are final already (path and message set), so they are passed on as they are.
    if (!fields.success) ctx.issues.push(...(fields.error.issues as z.core.$ZodRawIssue[]));
    if (!isPlainObject(input)) return z.NEVER;
    const { subject, prompt } = input;
    const subjectType = input.subject_type ?? 'image';
    const promptType = input.prompt_type ?? 'text';
    return {
      ...fields.data,
      subject: isItemType(subjectType) ? parseItem(subject, subjectType, ['subject'], ctx, 'subject_type') : subject,
      prompt: isItemType(promptType) ? parsePrompt(prompt, promptType, ctx) : prompt,
    };
  });
});

/** Prompts: one, a list, or a name map, each of 1 to 8. */
function parsePrompt(prompt: unknown, type: ItemType, ctx: Ctx): unknown {
  if (!isNameMap(prompt)) return parseItems(prompt, type, ['prompt'], ctx, MAX_ITEMS_PER_REQUEST, 'prompt_type');
  const entries = Object.entries(prompt);
  const countIssue = checkCount(entries.length, MAX_ITEMS_PER_REQUEST);
  if (countIssue) return refuse(ctx, ['prompt'], countIssue);
  return Object.fromEntries(entries.map(([name, p]) => [name, parseItem(p, type, ['prompt', name], ctx, 'prompt_type')]));
}

/** The server reads an object with both `type` and `value` as one image, any other plain object as a name map. */
export function isNameMap(prompt: unknown): prompt is Record<string, unknown> {
  return isPlainObject(prompt) && !('type' in prompt && 'value' in prompt);
}

/** Fields accepted by every route, as the caller writes them. */
export interface CommonRequestFields {
  /** CLIP model; overrides the client's `clipVersion` for this call. */
  clip_version_id?: ClipVersion;
  id?: string;
  usage_billable?: boolean;
  start?: number;
  source?: string;
  source_info?: string;
  disable_model_monitoring?: boolean;
}

export interface EmbedImageRequest extends CommonRequestFields {
  /** One image, or a list of 1 to 8. */
  image: ImageInput | ImageInput[];
}

export interface EmbedTextRequest extends CommonRequestFields {
  /** One text, or a list of texts. */
  text: string | string[];
}

/** Image prompts keyed by name; the `type` guard keeps a single wire image from reading as a map. */
export type NamedImagePrompts = Record<string, ImageInput> & { type?: never; value?: never };

type Prompts<T, Named> = T | T[] | Named;

export type CompareRequest = CommonRequestFields &
  (
    | { subject: ImageInput; subject_type?: 'image' }
    | { subject: string; subject_type: 'text' }
  ) &
  (
    | { prompt: Prompts<string, Record<string, string>>; prompt_type?: 'text' }
    | { prompt: Prompts<ImageInput, NamedImagePrompts>; prompt_type: 'image' }
  );

/** Adds what the client supplies to a validated payload: its default CLIP version and, for the body channel, the key. */
export function completeWirePayload(
  payload: Record<string, unknown>,
  clipVersion: ClipVersion | undefined,
  bodyApiKey: string | undefined,
): Record<string, unknown> {
  if (clipVersion !== undefined && payload.clip_version_id === undefined) payload.clip_version_id = clipVersion;
  if (bodyApiKey !== undefined) payload.api_key = bodyApiKey;
  return payload;
}

/** The query string that carries the key on the query channel. */
export function apiKeyQuery(apiKey: string): string {
  return `?api_key=${encodeURIComponent(apiKey)}`;
}

/** The payload field naming a CLIP version, or nothing when none is given. */
export function clipVersionField(clipVersion: ClipVersion | undefined): { clip_version_id?: ClipVersion } {
  return clipVersion === undefined ? {} : { clip_version_id: clipVersion };
}

/** How many results a valid response must carry for this payload: a count, or the name map's keys. */
export function expectedEmbeddingCount(payload: { image?: unknown; text?: unknown }): number {
  const items = payload.image ?? payload.text;
  return Array.isArray(items) ? items.length : 1;
}

export function expectedSimilarityShape(payload: { prompt?: unknown }): number | string[] {
  const { prompt } = payload;
  if (Array.isArray(prompt)) return prompt.length;
  if (isNameMap(prompt)) return Object.keys(prompt);
  return 1;
}
