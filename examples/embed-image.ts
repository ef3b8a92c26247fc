// Embed one image by URL (Roboflow's reference call 1).
import { ClipClient } from 'roboflow-clip';

const clip = new ClipClient();
const result = await clip.embedImage({
  image: {
    type: 'url',
    value: 'https://images.freeimages.com/images/large-previews/36c/raccoons-in-the-wild-4-1624830.jpg',
  },
});
const [embedding] = result.embeddings;
console.log(`embed_image: 1 embedding of ${embedding!.length} numbers, first ${embedding![0]} (model ${result.meta.headers['x-model-id']})`);
await clip.close();
