/**
 * The binary file format of `EmbeddingIndex`: magic "RFEI", u32 LE format version, u32 LE header
 * byte length, UTF-8 header JSON, then count * dimension float32 LE (rows in header id order).
 */
import { EmbeddingIndexError } from '../errors/errors.js';
import type { IndexEntry } from './store.js';
import { checkHeader, type DecodedIndex, type IndexContents, type LoadExpectations } from './formats.js';

const MAGIC = [0x52, 0x46, 0x45, 0x49];
const BINARY_VERSION = 1;
const PREFIX_BYTES = 12;
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface BinaryHeader {
  clipVersion: string | null;
  dimension: number | null;
  count: number;
  ids: readonly string[];
  // [row, value] pairs: sparse, and keeps `null` metadata distinct from none.
  metadata: [number, unknown][];
}

export function hasMagic(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
}

export function encodeBinary<M>(contents: IndexContents<M>): Uint8Array {
  const { clipVersion, dimension, ids, metadata } = contents;
  const count = ids.length;
  const dim = dimension ?? 0;
  const header: BinaryHeader = { clipVersion: clipVersion ?? null, dimension: dimension ?? null, count, ids, metadata: [] };
  metadata.forEach((value, row) => {
    if (value !== undefined) header.metadata.push([row, value]);
  });
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const rowsStart = PREFIX_BYTES + headerBytes.length;
  const out = new Uint8Array(rowsStart + count * dim * 4);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(4, BINARY_VERSION, true);
  view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, PREFIX_BYTES);
  const rows = contents.rows.subarray(0, count * dim);
  if (HOST_LITTLE_ENDIAN) {
    out.set(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength), rowsStart);
  } else {
    for (let i = 0; i < rows.length; i++) view.setFloat32(rowsStart + i * 4, rows[i]!, true);
  }
  return out;
}

export function decodeBinary<M>(bytes: Uint8Array, expect: LoadExpectations): DecodedIndex<M> {
  if (!hasMagic(bytes)) throw new EmbeddingIndexError('invalid_file', 'not an embedding index (bad magic bytes)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why: string) => new EmbeddingIndexError('invalid_file', `corrupt embedding index: ${why}`);
  if (bytes.length < PREFIX_BYTES) throw fail('truncated prefix');
  const version = view.getUint32(4, true);
  if (version !== BINARY_VERSION) throw fail(`unsupported format version ${version}`);
  const headerEnd = PREFIX_BYTES + view.getUint32(8, true);
  if (headerEnd > bytes.length) throw fail('truncated header');
  let header: Partial<BinaryHeader>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX_BYTES, headerEnd))) ?? {};
  } catch {
    throw fail('unreadable header');
  }
  const { count, ids, metadata } = header;
  if (
    !Number.isInteger(count) ||
    !Array.isArray(ids) ||
    ids.length !== count ||
    !ids.every((id) => typeof id === 'string') ||
    !Array.isArray(metadata)
  ) {
    throw fail('inconsistent header');
  }
  const checked = checkHeader(header.clipVersion, header.dimension, count!, expect);
  const dim = checked.dimension ?? 0;
  if (bytes.length !== headerEnd + count! * dim * 4) throw fail('row data has the wrong length');

  const rows = new Float32Array(count! * dim);
  if (HOST_LITTLE_ENDIAN) {
    new Uint8Array(rows.buffer).set(bytes.subarray(headerEnd));
  } else {
    for (let i = 0; i < rows.length; i++) rows[i] = view.getFloat32(headerEnd + i * 4, true);
  }
  const entries: IndexEntry<M>[] = ids.map((id, row) => ({ id, vector: rows.subarray(row * dim, (row + 1) * dim) }));
  for (const pair of metadata as unknown[]) {
    const entry = Array.isArray(pair) && pair.length === 2 ? entries[pair[0]] : undefined;
    if (!entry) throw fail('bad metadata');
    entry.metadata = (pair as [number, M])[1];
  }
  return { ...checked, entries };
}
