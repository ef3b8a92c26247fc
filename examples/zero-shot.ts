// Zero-shot classification: which label fits the picture? Label embeddings are cached by the client,
// so the second call sends only the image.
import { ClipClient } from 'roboflow-clip';

const raccoons = 'https://images.freeimages.com/images/large-previews/36c/raccoons-in-the-wild-4-1624830.jpg';
const labels = ['raccoon', 'dog', 'cat', 'bear', 'squirrel'];

const clip = new ClipClient();
const results = await clip.classify(raccoons, labels, { template: 'a photo of a {}' });
console.log('classify (softmax of 100 x cosine over the labels):');
for (const { label, score, similarity } of results) console.log(`  ${score.toFixed(4)}  ${label.padEnd(9)} (cosine ${similarity.toFixed(4)})`);

// Same labels again: served from the cache, one request for the image.
const [best] = await clip.classify('https://i.imgur.com/Q6lDy8B.jpg', labels, { template: 'a photo of a {}', topK: 1 });
console.log(`second image, best label: ${best!.label} (${best!.score.toFixed(4)})`);

// A name map keeps your keys and embeds your texts.
const named = await clip.classify(raccoons, { wild: 'an animal in the wild', pet: 'a pet at home' });
console.log(`name map: ${named.map(({ label, score }) => `${label} ${score.toFixed(4)}`).join(', ')}`);
await clip.close();
