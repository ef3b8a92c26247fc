// Embed several texts in one request (Roboflow's reference call 4).
import { ClipClient } from 'roboflow-clip';

const clip = new ClipClient();
const result = await clip.embedText({
  text: ['the quick brown fox jumped over the lazy dog', 'how vexingly quick daft zebras jump'],
});
console.log(`embed_text (batch): ${result.embeddings.length} embeddings of ${result.embeddings[0]!.length} numbers`);
await clip.close();
