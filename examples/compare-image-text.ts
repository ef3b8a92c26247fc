// Compare an image subject with several text prompts (Roboflow's reference call 6).
import { ClipClient } from 'roboflow-clip';

const prompts = ['A very cute raccoon', 'A large dog', 'A black cate'];

const clip = new ClipClient();
const result = await clip.compare({
  subject: { type: 'url', value: 'https://i.imgur.com/Q6lDy8B.jpg' },
  subject_type: 'image',
  prompt: prompts,
  prompt_type: 'text',
});
const ranked = prompts.map((prompt, i) => ({ prompt, similarity: result.similarity[i]! })).sort((a, b) => b.similarity - a.similarity);
console.log('compare image -> texts:');
for (const { prompt, similarity } of ranked) console.log(`  ${similarity.toFixed(4)}  ${prompt}`);
await clip.close();
