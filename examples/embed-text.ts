// Embed one text (Roboflow's reference call 3).
import { ClipClient } from 'roboflow-clip';

const clip = new ClipClient();
const result = await clip.embedText({ text: 'the quick brown fox jumped over the lazy dog' });
console.log(`embed_text: 1 embedding of ${result.embeddings[0]!.length} numbers, first ${result.embeddings[0]![0]}`);
await clip.close();
