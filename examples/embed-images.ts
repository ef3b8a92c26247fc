// Embed several images in one request (Roboflow's reference call 2). Up to 8 per request.
import { ClipClient } from 'roboflow-clip';

const raccoons = 'https://images.freeimages.com/images/large-previews/36c/raccoons-in-the-wild-4-1624830.jpg';

const clip = new ClipClient();
const result = await clip.embedImage({
  image: [
    { type: 'url', value: raccoons },
    { type: 'url', value: raccoons },
  ],
});
console.log(`embed_image (batch): ${result.embeddings.length} embeddings of ${result.embeddings[0]!.length} numbers`);
await clip.close();
