import { z } from 'zod';
import { ClipValidationError, type ValidationIssue } from '../errors/errors.js';
import { countClipPieces, MAX_CLIP_TEXT_PIECES } from './clip-text.js';
import { CLIP_VERSIONS, type ClipVersion } from './clip-versions.js';
import { isPlainObject, MAX_ITEMS_PER_REQUEST, toWireImage, type ImageInput, type WireImage } from './images.js';

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
    if (typeof value === 'string') {
      if (!value) return refuse(ctx, path, 'text must not be empty');
      const tooLong = clipTextIssue(value);
      return tooLong ? refuse(ctx, path, tooLong) : value;
    }
    const found = value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
    const hint = typeField && typeof value === 'object' && value ? ` (for an image, set ${typeField}: "image")` : '';
    return refuse(ctx, path, `expected a string, got ${found}${hint}`);
  }
  const image = toWireImage(value);
  if (typeof image !== 'string') return image;
  const hint = typeField && typeof value === 'string' ? ` (for text, set ${typeField}: "text")` : '';
  return refuse(ctx, path, image + hint);
}

/**
 * Why the server would fail a request carrying `text` (HTTP 500), when its pieces alone already pass
 * CLIP's context; undefined when it may fit. A text is counted only when it could hold that many: each
 * piece takes at least one character of the lower-cased text, which is as long as the text unless it
 * holds `İ` (lower-cased to `i` and a combining dot).
 */
export function clipTextIssue(text: string): string | undefined {
  if (text.length <= MAX_CLIP_TEXT_PIECES && !text.includes('\u0130')) return;
  const pieces = countClipPieces(text);
  if (pieces <= MAX_CLIP_TEXT_PIECES) return;
  return `text "${preview(text)}" has ${pieces} CLIP pieces (words, digits, punctuation), above the ${MAX_CLIP_TEXT_PIECES} that fit CLIP's 77-token context; the server would fail the request`;
}

function preview(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
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

/** A typo is likelier than a version newer than this SDK, which `extraBody` can still send. */
const UNKNOWN_CLIP_VERSION = `must be one of ${CLIP_VERSIONS.join(', ')} (a version this SDK does not know yet goes in the call option extraBody: { clip_version_id })`;

/** Fields every route accepts besides its own (the key itself travels through the client's `apiKey`); all optional. */
const commonFields = lazy(
  () =>
    z
      .object({
        clip_version_id: z.enum(CLIP_VERSIONS, { error: UNKNOWN_CLIP_VERSION }),
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
  clip_version_id?: ClipVersion | undefined;
  id?: string | undefined;
  usage_billable?: boolean | undefined;
  start?: number | undefined;
  source?: string | undefined;
  source_info?: string | undefined;
  disable_model_monitoring?: boolean | undefined;
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
    | { subject: ImageInput; subject_type?: 'image' | undefined }
    | { subject: string; subject_type: 'text' }
  ) &
  (
    | { prompt: Prompts<string, Record<string, string>>; prompt_type?: 'text' | undefined }
    | { prompt: Prompts<ImageInput, NamedImagePrompts>; prompt_type: 'image' }
  );

/** What `prompt` may hold: one prompt, a list, or a name map. */
export type ComparePrompts = CompareRequest['prompt'];

/**
 * The `similarity` of a compare call for prompts `P`: the names of a name map as keys (`{ cat, dog }`
 * gives `{ cat: number; dog: number }`), else a list in prompt order. Distributes over a union, so
 * prompts typed as any form give either.
 */
export type SimilarityOf<P> = P extends readonly unknown[] | string | URL | Uint8Array | ArrayBuffer | Blob | WireImage
  ? number[]
  : string extends keyof P
    ? Record<string, number>
    : { [K in keyof P]: number };

/**
 * Adds what the client supplies to a validated payload: the call's `extraBody` fields, its default
 * CLIP version and, for the body channel, the key.
 */
export function completeWirePayload(
  payload: Record<string, unknown>,
  clipVersion: ClipVersion | undefined,
  bodyApiKey: string | undefined,
  extraBody?: Record<string, unknown>,
): Record<string, unknown> {
  if (extraBody !== undefined) Object.assign(payload, checkExtraBody(extraBody, payload));
  if (clipVersion !== undefined && payload.clip_version_id === undefined) payload.clip_version_id = clipVersion;
  if (bodyApiKey !== undefined) payload.api_key = bodyApiKey;
  return payload;
}

/**
 * Fields sent unchecked, for what this SDK does not know yet (a newer server's field or CLIP version).
 * They may not repeat a field of the request, so nothing the request says is overridden unseen, nor
 * carry the key, which goes in `apiKey` so that it is redacted everywhere.
 */
function checkExtraBody(extraBody: unknown, payload: Record<string, unknown>): Record<string, unknown> {
  const issues: ValidationIssue[] = [];
  if (!isPlainObject(extraBody)) issues.push({ path: ['extraBody'], message: 'must be a plain object of body fields' });
  else {
    for (const field of Object.keys(extraBody)) {
      if (field === 'api_key') issues.push({ path: ['extraBody', field], message: "the key goes in the client's apiKey option (apiKeyTransport: 'body' sends it in the body)" });
      else if (Object.hasOwn(payload, field)) issues.push({ path: ['extraBody', field], message: 'is already a field of the request; set it there' });
    }
  }
  if (issues.length > 0) throw new ClipValidationError(issues, 'Invalid request options');
  return extraBody as Record<string, unknown>;
}

/**
 * What a 500 answer to a request carrying texts adds to its message: the server fails the whole request
 * when one passes CLIP's context, which the client's piece count cannot always foresee.
 */
export function textContextHint(route: string, payload: Record<string, unknown>): string | undefined {
  const texts = route === '/clip/embed_text' || (route === '/clip/compare' && (payload.subject_type === 'text' || (payload.prompt_type ?? 'text') === 'text'));
  return texts ? "a text may exceed CLIP's 77-token context" : undefined;
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
