// What the indexer and the service share: the one table both open, and the CLIP model its vectors come from.
import { PgVectorStore } from 'roboflow-clip/pgvector';
import type { PhotoMetadata } from './photos.js';

/** Recorded in the table when it is created; opening it with another version is refused, so the two never mix. */
export const CLIP_VERSION = 'ViT-B-16';

/** The photo table in `DATABASE_URL` (`PHOTOS_TABLE`, default `photos`); `create` makes it when missing. */
export function openPhotoStore(options: { create?: boolean } = {}): Promise<PgVectorStore<PhotoMetadata>> {
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) throw new Error('set DATABASE_URL to a PostgreSQL connection string (postgres://user@host:5432/db)');
  return PgVectorStore.open<PhotoMetadata>({
    connectionString,
    table: process.env.PHOTOS_TABLE || 'photos',
    clipVersion: CLIP_VERSION,
    create: options.create ?? false,
  });
}
