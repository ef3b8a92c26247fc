/**
 * The wire JSON of a payload. `JSON.stringify` reads every character of every string to see what
 * needs escaping; the base64 of an image that the client encoded or checked itself holds only
 * `A-Z a-z 0-9 + / =`, which never does, so a large one is put into the text as it is instead:
 * 4 ms less for a 4 MiB image here, which is most of what the client spends on such a request.
 */
import type { WireImage } from './images.js';

/** Base64 images made by `checkedBase64`: their values need no escaping. */
const checked = new WeakSet<object>();

/** Below this, a value is cheaper to stringify than to splice. */
const SPLICED_CHARS = 32 * 1024;

/** Stands in for a spliced value; random, and counted, so that a payload's own text can never be taken for it. */
const MARK = `roboflow-clip-base64-${Math.random().toString(36).slice(2)}-`;

/** A base64 wire image whose value the caller made or checked: nothing but the base64 alphabet. */
export function checkedBase64(value: string): WireImage {
  const image: WireImage = { type: 'base64', value };
  checked.add(image);
  return image;
}

/** `JSON.stringify(payload)`, with large checked base64 values put in without being read. */
export function wireJson(payload: Record<string, unknown>): string {
  const large = largeImages(payload);
  if (large.length === 0) return JSON.stringify(payload);
  const uses = large.map(() => 0);
  const json = JSON.stringify(payload, (_key, value: unknown) => {
    const at = large.indexOf(value as WireImage);
    if (at === -1) return value;
    uses[at]!++;
    return { ...(value as WireImage), value: `${MARK}${at}` };
  });
  // Every stand-in where the replacer put one, and nowhere else; the quotes keep `-1` from matching `-10`.
  const spots: { at: number; end: number; image: number }[] = [];
  for (let i = 0; i < large.length; i++) {
    const token = `"${MARK}${i}"`;
    let found = 0;
    for (let at = json.indexOf(token); at !== -1; at = json.indexOf(token, at + token.length)) {
      spots.push({ at, end: at + token.length, image: i });
      found++;
    }
    if (found !== uses[i]) return JSON.stringify(payload);
  }
  spots.sort((a, b) => a.at - b.at);
  let text = '';
  let from = 0;
  for (const { at, end, image } of spots) {
    text += `${json.slice(from, at)}"${large[image]!.value}"`;
    from = end;
  }
  return text + json.slice(from);
}

/** The fields of the three routes that carry images: an image, a list of them, or (prompts) a name map. */
const IMAGE_FIELDS = ['image', 'subject', 'prompt'] as const;

/** The checked images of at least SPLICED_CHARS in the payload's image fields. */
function largeImages(payload: Record<string, unknown>): WireImage[] {
  const found: WireImage[] = [];
  const look = (value: unknown) => {
    if (typeof value === 'object' && value !== null && checked.has(value) && (value as WireImage).value.length >= SPLICED_CHARS && !found.includes(value as WireImage)) {
      found.push(value as WireImage);
    }
  };
  for (const name of IMAGE_FIELDS) {
    const field = payload[name];
    if (typeof field !== 'object' || field === null) continue;
    if (checked.has(field)) look(field);
    else for (const item of Array.isArray(field) ? field : Object.values(field)) look(item);
  }
  return found;
}
