import { z } from 'zod';
import { CLIP_VERSIONS, type ClipVersion } from './clip-versions.js';
import { isPlainObject, toWireImage, type ImageInput, type WireImage } from './images.js';

/** Most images per `embed_image` request and prompts per `compare` request; the server fails with 500 beyond. */
export const MAX_ITEMS_PER_REQUEST = 8;

/**
 * Returns `build()`, run on the first call only. Building zod schemas costs milliseconds, which
 * would otherwise be spent by every process that imports the package, whether it validates or not.
 */
function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

/** One image, or a list of 1 to 8, in any accepted form, to wire images. */
const imageField = lazy(() => z.unknown().transform((input, ctx) => {
  if (input === undefined) return required(ctx);
  if (!Array.isArray(input)) return toWireImageOrIssue(input, [], ctx);
  if (input.length < 1 || input.length > MAX_ITEMS_PER_REQUEST) {
    ctx.addIssue({ code: 'custom', message: `${countMessage('images')}, got ${input.length}` });
    return z.NEVER;
  }
  return input.map((item, i) => toWireImageOrIssue(item, [i], ctx));
}));

function toWireImageOrIssue(input: unknown, path: (string | number)[], ctx: Ctx): WireImage {
  const result = toWireImage(input);
  if ('error' in result) {
    ctx.addIssue({ code: 'custom', path, message: result.error });
    return z.NEVER;
  }
  return result;
}

/** One text, or a non-empty list of them; each a non-empty string. */
const textField = lazy(() => z.unknown().transform((input, ctx) => {
  if (input === undefined) return required(ctx);
  if (!Array.isArray(input)) return checkText(input, [], ctx);
  if (input.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'text list must not be empty' });
    return z.NEVER;
  }
  input.forEach((item, i) => checkText(item, [i], ctx));
  return input as string[];
}));

function checkText(input: unknown, path: (string | number)[], ctx: Ctx): string {
  if (typeof input === 'string' && input.length > 0) return input;
  const message = typeof input === 'string' ? 'text must not be empty' : `expected a string, got ${describeType(input)}`;
  ctx.addIssue({ code: 'custom', path, message });
  return z.NEVER;
}

function required(ctx: Ctx): never {
  ctx.addIssue({ code: 'custom', message: 'is required' });
  return z.NEVER;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value;
}

const countMessage = (what: string) => `${what} per request: between 1 and ${MAX_ITEMS_PER_REQUEST}`;

/** Fields every route accepts besides its own (the key itself travels through the client's `apiKey`). */
const commonFields = lazy(() => ({
  clip_version_id: z.enum(CLIP_VERSIONS, { error: `clip_version_id must be one of ${CLIP_VERSIONS.join(', ')}` }).optional(),
  id: z.string().optional(),
  usage_billable: z.boolean().optional(),
  start: z.number().optional(),
  source: z.string().optional(),
  source_info: z.string().optional(),
  disable_model_monitoring: z.boolean().optional(),
}));

const strict = { error: (issue: { code?: string; keys?: string[] }) =>
  issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys?.join(', ')}` : undefined };

export const embedImageRequestSchema = lazy(() =>
  z.strictObject(
    {
      image: imageField(),
      ...commonFields(),
    },
    strict,
  ),
);

export const embedTextRequestSchema = lazy(() =>
  z.strictObject(
    {
      text: textField(),
      ...commonFields(),
    },
    strict,
  ),
);

const inputType = lazy(() => z.enum(['image', 'text'], { error: 'must be "image" or "text"' }));

const compareFields = lazy(() =>
  z.strictObject(
    {
      subject: z.unknown().optional(),
      subject_type: inputType().optional(),
      prompt: z.unknown().optional(),
      prompt_type: inputType().optional(),
      ...commonFields(),
    },
    strict,
  ),
);

/**
 * How subject and prompt are read depends on their declared types, so they are checked after the
 * other fields; every problem is reported at once, even when another field is also wrong.
 */
export const compareRequestSchema = lazy(() => z.unknown().transform((input, ctx) => {
  const fields = compareFields().safeParse(input);
  if (!fields.success) {
    for (const issue of fields.error.issues) ctx.addIssue({ code: 'custom', path: issue.path as PropertyKey[], message: issue.message });
  }
  if (!isPlainObject(input)) return z.NEVER;
  const subjectType = inputType().safeParse(input.subject_type ?? 'image');
  const promptType = inputType().safeParse(input.prompt_type ?? 'text');
  const subject = subjectType.success ? parseItem(input.subject, subjectType.data, ['subject'], ctx) : input.subject;
  const prompt = promptType.success ? parsePrompt(input.prompt, promptType.data, ctx) : input.prompt;
  if (!fields.success) return z.NEVER;
  return { ...fields.data, subject, prompt };
}));

type Ctx = z.core.$RefinementCtx<unknown>;

function parseItem(value: unknown, type: 'image' | 'text', path: (string | number)[], ctx: Ctx): unknown {
  if (value === undefined) {
    ctx.addIssue({ code: 'custom', path, message: 'is required' });
    return value;
  }
  if (type === 'text') {
    if (typeof value === 'string' && value.length > 0) return value;
    const hint = typeof value === 'object' && value !== null ? ` (for an image, set ${path[0]}_type: "image")` : '';
    const message = value === '' ? 'text must not be empty' : `expected a string, got ${describeType(value)}${hint}`;
    ctx.addIssue({ code: 'custom', path, message });
    return value;
  }
  const result = toWireImage(value);
  if ('error' in result) {
    const hint = typeof value === 'string' ? ` (for text, set ${path[0]}_type: "text")` : '';
    ctx.addIssue({ code: 'custom', path, message: result.error + hint });
    return value;
  }
  return result;
}

function parsePrompt(prompt: unknown, type: 'image' | 'text', ctx: Ctx): unknown {
  if (Array.isArray(prompt)) {
    if (!checkCount(prompt.length, ctx)) return prompt;
    return prompt.map((p, i) => parseItem(p, type, ['prompt', i], ctx));
  }
  if (isNameMap(prompt)) {
    const entries = Object.entries(prompt);
    if (!checkCount(entries.length, ctx)) return prompt;
    return Object.fromEntries(entries.map(([name, p]) => [name, parseItem(p, type, ['prompt', name], ctx)]));
  }
  return parseItem(prompt, type, ['prompt'], ctx);
}

function checkCount(count: number, ctx: Ctx): boolean {
  if (count >= 1 && count <= MAX_ITEMS_PER_REQUEST) return true;
  ctx.addIssue({ code: 'custom', path: ['prompt'], message: `${countMessage('prompts')}, got ${count}` });
  return false;
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
