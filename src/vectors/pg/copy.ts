/**
 * PostgreSQL's binary COPY format for rows of (id text, embedding vector, metadata jsonb): a
 * signature and two zero words, then per row a field count and each field as a byte length and
 * its binary send form, then -1. pgvector's binary form of a vector is its dimension (int16), an
 * unused int16, and the floats (float4, big-endian); jsonb's is a version byte (1) and the text.
 */

export interface CopyRow {
  id: string;
  vector: ArrayLike<number>;
  /** JSON text of the metadata, or undefined for SQL NULL. */
  metadataJson: string | undefined;
}

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
const HEADER_BYTES = SIGNATURE.length + 8;
const JSONB_VERSION = 1;
const encoder = new TextEncoder();

/** The COPY stream for `rows`, in chunks of about `chunkBytes`, so that no batch is one huge buffer. */
export function* binaryCopyChunks(rows: readonly CopyRow[], dimension: number, chunkBytes = 1 << 20): Generator<Uint8Array> {
  const header = new Uint8Array(HEADER_BYTES);
  header.set(SIGNATURE);
  yield header;
  let at = 0;
  while (at < rows.length) {
    const chunk: Uint8Array[] = [];
    let bytes = 0;
    while (at < rows.length && bytes < chunkBytes) {
      const encoded = encodeRow(rows[at++]!, dimension);
      chunk.push(encoded);
      bytes += encoded.length;
    }
    yield concat(chunk, bytes);
  }
  yield new Uint8Array([0xff, 0xff]);
}

function encodeRow(row: CopyRow, dimension: number): Uint8Array {
  const id = encoder.encode(row.id);
  const metadata = row.metadataJson === undefined ? undefined : encoder.encode(row.metadataJson);
  const vectorBytes = 4 + 4 * dimension;
  const size = 2 + (4 + id.length) + (4 + vectorBytes) + 4 + (metadata ? 1 + metadata.length : 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  view.setInt16(at, 3);
  at += 2;
  view.setInt32(at, id.length);
  out.set(id, at + 4);
  at += 4 + id.length;
  view.setInt32(at, vectorBytes);
  view.setInt16(at + 4, dimension);
  view.setInt16(at + 6, 0);
  at += 8;
  for (let j = 0; j < dimension; j++, at += 4) view.setFloat32(at, row.vector[j]!);
  if (metadata) {
    view.setInt32(at, 1 + metadata.length);
    out[at + 4] = JSONB_VERSION;
    out.set(metadata, at + 5);
  } else {
    view.setInt32(at, -1);
  }
  return out;
}

function concat(parts: Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
