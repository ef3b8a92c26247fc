// The collection the indexer embeds: image URLs under stable ids, with the metadata the service
// filters on. A real one would come from a catalogue's database or a bucket listing.
import type { IndexSourceItem } from 'roboflow-clip';

export interface PhotoMetadata {
  album: string;
  url: string;
}

const urls = [
  'https://images.example.com/zoo/raccoon-at-night.jpg',
  'https://images.example.com/zoo/raccoon-in-a-tree.jpg',
  'https://images.example.com/zoo/red-panda.jpg',
  'https://images.example.com/city/raccoon-on-a-bin.jpg',
  'https://images.example.com/city/red-car.jpg',
  'https://images.example.com/city/yellow-taxi.jpg',
  'https://images.example.com/beach/dog-on-the-sand.jpg',
  'https://images.example.com/beach/sunset-over-the-sea.jpg',
  'https://images.example.com/home/sleeping-cat.jpg',
  'https://images.example.com/home/dog-on-a-sofa.jpg',
];

/** `{ id, image, metadata }` entries: the id is the URL's path, `zoo/red-panda.jpg`, so that a rerun finds them again. */
export const photos: IndexSourceItem<PhotoMetadata>[] = urls.map((url) => {
  const id = new URL(url).pathname.slice(1);
  return { id, image: url, metadata: { album: id.split('/')[0]!, url } };
});
