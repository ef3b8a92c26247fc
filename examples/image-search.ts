// Semantic image search: embed pictures into an EmbeddingIndex, save it, load it, and search it by text or image.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipClient } from 'roboflow-clip';
import { EmbeddingIndex } from 'roboflow-clip/vectors';

const pictures = [
  'https://images.freeimages.com/images/large-previews/36c/raccoons-in-the-wild-4-1624830.jpg',
  'https://i.imgur.com/Q6lDy8B.jpg',
];

const clip = new ClipClient({ clipVersion: 'ViT-B-16' });
const index = new EmbeddingIndex<{ url: string }>({ clipVersion: 'ViT-B-16' });
// Up to 8 images per embed_image request.
const { embeddings } = await clip.embedImage({ image: pictures });
pictures.forEach((url, i) => index.add(`picture-${i}`, embeddings[i]!, { url }));

const dir = await mkdtemp(join(tmpdir(), 'roboflow-clip-example-'));
const file = join(dir, 'pictures.index');
await index.save(file);
const loaded = await EmbeddingIndex.load<{ url: string }>(file, { clipVersion: 'ViT-B-16' });
await rm(dir, { recursive: true });

console.log(`index of ${loaded.size} pictures; text search "a raccoon in the wild":`);
for (const hit of await clip.searchText(loaded, 'a raccoon in the wild', 2)) console.log(`  ${hit.score.toFixed(4)}  ${hit.metadata!.url}`);

const [nearest] = await clip.searchImage(loaded, pictures[0]!, 1);
console.log(`image search with picture-0 finds ${nearest!.id} (cosine ${nearest!.score.toFixed(4)})`);
await clip.close();
