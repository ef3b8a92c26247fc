// Embeds the collection into PostgreSQL: `node --import tsx indexer.ts`. Rerun it at any time: ids the
// table already holds are not sent again, so a run that stopped half-way resumes where it was.
// Reads DATABASE_URL (and PHOTOS_TABLE), ROBOFLOW_API_KEY and ROBOFLOW_CLIP_URL (default: Roboflow's hosted API).
import { ClipClient } from 'roboflow-clip';
import { photos } from './photos.js';
import { CLIP_VERSION, openPhotoStore } from './store.js';

const clip = new ClipClient({ clipVersion: CLIP_VERSION });
const store = await openPhotoStore({ create: true });
try {
  // 'skip': a photo the server cannot embed is reported, and the others are still written.
  const report = await clip.indexImages(store, photos, { onError: 'skip' });
  console.log(`added ${report.added}, skipped ${report.skipped} already there, failed ${report.failed.length}; ${await store.size} photos in ${store.table}`);
  for (const { id, error } of report.failed) console.error(`  ${id}: ${(error as Error).message}`);
  if (report.failed.length > 0) process.exitCode = 1;
} finally {
  await clip.close();
  await store.close();
}
