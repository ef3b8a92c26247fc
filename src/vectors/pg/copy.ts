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

/**
 * The COPY stream for `rows`, in chunks of about `chunkBytes`, so that no batch is one huge buffer.
 * Rows are written straight into each chunk: no buffer of their own, no copy.
 */
export function* binaryCopyChunks(rows: readonly CopyRow[], dimension: number, chunkBytes = 1 << 20): Generator<Uint8Array> {
  const header = new Uint8Array(HEADER_BYTES);
  header.set(SIGNATURE);
  yield header;
  const vectorBytes = 4 + 4 * dimension;
  let chunk = new Uint8Array(0);
  let view = new DataView(chunk.buffer);
  let at = 0;
  for (const row of rows) {
    const { id, vector, metadataJson } = row;
    // UTF-8 takes at most 3 bytes for each UTF-16 unit.
    const most = 2 + (4 + 3 * id.length) + (4 + vectorBytes) + 4 + (metadataJson === undefined ? 0 : 1 + 3 * metadataJson.length);
    if (at + most > chunk.length) {
      if (at > 0) yield chunk.subarray(0, at);
      chunk = new Uint8Array(Math.max(chunkBytes, most));
      view = new DataView(chunk.buffer);
      at = 0;
    }
    view.setInt16(at, 3);
    const idBytes = encoder.encodeInto(id, chunk.subarray(at + 6)).written;
    view.setInt32(at + 2, idBytes);
    at += 6 + idBytes;
    view.setInt32(at, vectorBytes);
    view.setInt16(at + 4, dimension);
    view.setInt16(at + 6, 0);
    at += 8;
    for (let j = 0; j < dimension; j++, at += 4) view.setFloat32(at, vector[j]!);
    if (metadataJson === undefined) {
      view.setInt32(at, -1);
      at += 4;
    } else {
      chunk[at + 4] = JSONB_VERSION;
      const metadataBytes = encoder.encodeInto(metadataJson, chunk.subarray(at + 5)).written;
      view.setInt32(at, 1 + metadataBytes);
      at += 5 + metadataBytes;
    }
  }
  if (at > 0) yield chunk.subarray(0, at);
  yield new Uint8Array([0xff, 0xff]);
}
