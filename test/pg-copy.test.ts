import { describe, expect, it } from 'vitest';
import { binaryCopyChunks, type CopyRow } from '../src/vectors/pg/copy.js';

/** Reads a binary COPY stream back into rows, checking its framing on the way. */
function decode(chunks: Iterable<Uint8Array>, dimension: number): CopyRow[] {
  const bytes = Buffer.concat([...chunks]);
  expect(bytes.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
  expect(bytes.readInt32BE(11)).toBe(0);
  expect(bytes.readInt32BE(15)).toBe(0);
  const rows: CopyRow[] = [];
  let at = 19;
  for (;;) {
    const fields = bytes.readInt16BE(at);
    at += 2;
    if (fields === -1) break;
    expect(fields).toBe(3);
    const idLength = bytes.readInt32BE(at);
    const id = bytes.toString('utf8', at + 4, at + 4 + idLength);
    at += 4 + idLength;
    expect(bytes.readInt32BE(at)).toBe(4 + 4 * dimension);
    expect(bytes.readInt16BE(at + 4)).toBe(dimension);
    at += 8;
    const vector = Array.from({ length: dimension }, (_, j) => bytes.readFloatBE(at + 4 * j));
    at += 4 * dimension;
    const metadataLength = bytes.readInt32BE(at);
    let metadataJson: string | undefined;
    if (metadataLength === -1) {
      at += 4;
    } else {
      expect(bytes[at + 4]).toBe(1);
      metadataJson = bytes.toString('utf8', at + 5, at + 4 + metadataLength);
      at += 4 + metadataLength;
    }
    rows.push({ id, vector, metadataJson });
  }
  expect(at).toBe(bytes.length);
  return rows;
}

const rows: CopyRow[] = [
  { id: 'a', vector: [0.5, -1, 2, 0], metadataJson: '{"n":1}' },
  { id: 'photo-ñ-🦝', vector: Float32Array.from([1, 2, 3, 4]), metadataJson: undefined },
  { id: 'x'.repeat(300), vector: [0.25, 0.125, -0.5, 8], metadataJson: JSON.stringify({ caption: 'raccoon 🦝 — ok'.repeat(20) }) },
];

describe('binaryCopyChunks', () => {
  it('writes rows that read back as given: ids and metadata in UTF-8, vectors as float4, no metadata as NULL', () => {
    expect(decode(binaryCopyChunks(rows, 4), 4)).toEqual(rows.map((row) => ({ ...row, vector: Array.from(row.vector) })));
  });

  it('splits the stream into chunks no larger than asked, except for a row larger than a chunk', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ id: `id-${i}`, vector: [i, i, i, i], metadataJson: '{}' }));
    const chunks = [...binaryCopyChunks([...many, rows[2]!], 4, 128)];
    const body = chunks.slice(1, -1);
    expect(body.length).toBeGreaterThan(5);
    expect(body.slice(0, -1).every((chunk) => chunk.length <= 128)).toBe(true);
    expect(body.at(-1)!.length).toBeGreaterThan(128);
    expect(decode(chunks, 4).map((row) => row.id)).toEqual([...many.map((row) => row.id), rows[2]!.id]);
  });

  it('writes a header and the end marker alone for no rows', () => {
    expect(decode(binaryCopyChunks([], 4), 4)).toEqual([]);
  });
});
