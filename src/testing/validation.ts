/** Request validation, shaped like FastAPI/pydantic v2 422 items. */

type Loc = (string | number)[];
export interface Issue {
  type: string;
  loc: Loc;
  msg: string;
  input: unknown;
  ctx?: Record<string, string>;
}
type Check = (value: unknown, loc: Loc) => Issue[];
export type Fields = Record<string, { check: Check; required?: boolean }>;
export type Json = Record<string, unknown>;

export const issue = (type: string, loc: Loc, msg: string, input: unknown, ctx?: Record<string, string>): Issue =>
  ctx ? { type, loc, msg, input, ctx } : { type, loc, msg, input };

export const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const str: Check = (v, loc) => (typeof v === 'string' ? [] : [issue('string_type', loc, 'Input should be a valid string', v)]);
const nullableStr: Check = (v, loc) => (v === null ? [] : str(v, loc));

const list =
  (item: Check): Check =>
  (v, loc) =>
    Array.isArray(v) ? v.flatMap((x, i) => item(x, [...loc, i])) : [issue('list_type', loc, 'Input should be a valid list', v)];

const dict =
  (item: Check): Check =>
  (v, loc) =>
    isRecord(v)
      ? Object.entries(v).flatMap(([key, x]) => item(x, [...loc, key]))
      : [issue('dict_type', loc, 'Input should be a valid dictionary', v)];

/** Like pydantic's smart union: valid if any member is; otherwise every member's issues, tagged with its name. */
const union =
  (...members: [label: string, check: Check][]): Check =>
  (v, loc) => {
    const issues: Issue[] = [];
    for (const [label, check] of members) {
      const found = check(v, [...loc, label]);
      if (found.length === 0) return [];
      issues.push(...found);
    }
    return issues;
  };

/** pydantic reports a missing field with the whole containing object as `input`, so the body (api_key and all) is echoed. */
export const checkFields = (fields: Fields, value: Json, loc: Loc): Issue[] =>
  Object.entries(fields).flatMap(([name, { check, required }]) =>
    value[name] === undefined
      ? required
        ? [issue('missing', [...loc, name], 'Field required', value)]
        : []
      : check(value[name], [...loc, name]),
  );

// `value` is Optional[Any] on the server, so only `type` is validated up front.
const image: Check = (v, loc) =>
  isRecord(v)
    ? checkFields({ type: { check: str, required: true } }, v, loc)
    : [
        issue('model_type', loc, 'Input should be a valid dictionary or instance of InferenceRequestImage', v, {
          class_name: 'InferenceRequestImage',
        }),
      ];
const imageOrText = union(['InferenceRequestImage', image], ['str', str]);

// clip_version_id, subject_type and prompt_type are free strings on the server: bad values fail later.
const COMMON_FIELDS: Fields = {
  clip_version_id: { check: nullableStr },
  api_key: { check: nullableStr },
};

/** The body fields of each route, as the server's request models declare them. */
export const ROUTE_FIELDS: Record<string, Fields> = {
  '/clip/embed_image': {
    ...COMMON_FIELDS,
    image: { required: true, check: union(['list[InferenceRequestImage]', list(image)], ['InferenceRequestImage', image]) },
  },
  '/clip/embed_text': { ...COMMON_FIELDS, text: { required: true, check: union(['list[str]', list(str)], ['str', str]) } },
  '/clip/compare': {
    ...COMMON_FIELDS,
    subject: { required: true, check: imageOrText },
    subject_type: { check: str },
    prompt: {
      required: true,
      check: union(
        ['list[InferenceRequestImage]', list(image)],
        ['InferenceRequestImage', image],
        ['str', str],
        ['list[str]', list(str)],
        ['dict[str,union[InferenceRequestImage,str]]', dict(imageOrText)],
      ),
    },
    prompt_type: { check: str },
  },
};
