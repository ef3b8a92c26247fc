// Compare a text subject with an image prompt (Roboflow's reference call 5).
import { ClipClient } from 'roboflow-clip';

const clip = new ClipClient();
const result = await clip.compare({
  prompt: {
    type: 'url',
    value: 'https://images.freeimages.com/images/large-previews/36c/raccoons-in-the-wild-4-1624830.jpg',
  },
  prompt_type: 'image',
  subject: 'A very cute raccoon',
  subject_type: 'text',
});
console.log(`compare text -> image: similarity ${result.similarity[0]!.toFixed(4)}`);
await clip.close();
