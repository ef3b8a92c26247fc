// Embed a whole library of images: any number, 8 per request, 4 requests at a time, in input order.
import { ClipClient } from 'roboflow-clip';

const raccoons = 'https://images.freeimages.com/images/large-previews/36c/raccoons-in-the-wild-4-1624830.jpg';
const library = Array.from({ length: 12 }, () => raccoons);

const clip = new ClipClient();
const embeddings = await clip.embedImages(library, {
  onProgress: ({ done, total }) => console.log(`embed_image (library): ${done}/${total} images`),
});
console.log(`embed_image (library): ${embeddings.length} embeddings of ${embeddings[0]!.length} numbers`);
await clip.close();
