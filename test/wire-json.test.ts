import { describe, expect, it } from 'vitest';
import { toWireImage, type WireImage } from '../src/wire/images.js';
import { checkedBase64, wireJson } from '../src/wire/wire-json.js';
import { mockPng } from '../src/testing.js';

/** A checked base64 image of about `chars` characters, as validation makes it. */
function largeImage(chars: number, seed = 'roboflow'): WireImage {
  const bytes = Buffer.concat([mockPng(seed), Buffer.alloc(Math.ceil((chars * 3) / 4), seed)]);
  return toWireImage(bytes) as WireImage;
}

describe('wireJson', () => {
  it('gives what JSON.stringify gives, for every route shape holding large checked images', () => {
    const a = largeImage(100_000, 'a');
    const b = largeImage(50_000, 'b');
    const payloads: Record<string, unknown>[] = [
      { image: a },
      { image: [a, b, a], clip_version_id: 'ViT-B-16' },
      { subject: a, subject_type: 'image', prompt: [b, 'a "quoted" text'], prompt_type: 'image' },
      { subject: 'a raccoon', prompt: { first: a, second: b }, prompt_type: 'image' },
      { image: a, note: 'with \u2028 and "quotes" and \\ in it', extra: { nested: [1, 2, { image: b }] } },
      { image: toWireImage(mockPng('small')) },
      { text: ['a photo of a raccoon'] },
    ];
    for (const payload of payloads) expect(wireJson(payload)).toBe(JSON.stringify(payload));
  });

  it('puts a checked value in as it is, without escaping it: only the base64 alphabet may be checked', () => {
    const odd = checkedBase64(`${'A'.repeat(40_000)}"`);
    expect(wireJson({ image: odd })).toBe(`{"image":{"type":"base64","value":"${'A'.repeat(40_000)}""}}`);
  });

  it('stringifies images it did not check, and small ones, as JSON.stringify does', () => {
    const unchecked = { type: 'base64', value: `${'A'.repeat(40_000)}"` };
    expect(wireJson({ image: unchecked })).toBe(JSON.stringify({ image: unchecked }));
    const small = checkedBase64('"');
    expect(wireJson({ image: small })).toBe(JSON.stringify({ image: small }));
  });
});
