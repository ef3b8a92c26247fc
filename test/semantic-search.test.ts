import { describe, expect, it } from 'vitest';
import { ClipValidationError, EmbeddingIndexError } from '../src/index.js';
import { EmbeddingIndex } from '../src/vectors.js';
import { mockImageEmbedding, mockTextEmbedding } from '../src/testing.js';
import { useMockClient } from './helpers/mock-client.js';

const PHOTOS = ['raccoon-in-the-woods', 'dog-on-a-beach', 'red-car', 'sailing-boat', 'cat-on-a-sofa'].map(
  (name) => `https://images.example.com/photos/${name}.jpg`,
);

const ctx = useMockClient();
const client = ctx.client;

function photoIndex(clipVersion?: 'ViT-B-16' | 'ViT-L-14'): EmbeddingIndex<{ url: string }> {
  const index = new EmbeddingIndex<{ url: string }>(clipVersion ? { clipVersion } : {});
  for (const url of PHOTOS) index.add(url, mockImageEmbedding({ type: 'url', value: url }, clipVersion), { url });
  return index;
}


describe('searchText and searchImage', () => {
  it('searchText embeds the query with one embed_text request and searches the index with it', async () => {
    const index = photoIndex();
    const hits = await client().searchText(index, 'a raccoon', 3);
    expect(ctx.mock.requests.map((r) => [r.path, r.body])).toEqual([['/clip/embed_text', { text: 'a raccoon' }]]);
    expect(hits).toEqual(index.search(mockTextEmbedding('a raccoon'), 3));
    expect(hits[0]!.id).toBe(PHOTOS[0]);
  });

  it('searchImage embeds the image with one embed_image request and searches the index with it', async () => {
    const index = photoIndex();
    const query = 'https://images.example.com/other/sleepy-cat.jpg';
    const hits = await client().searchImage(index, query, 2);
    expect(ctx.mock.requests.map((r) => r.path)).toEqual(['/clip/embed_image']);
    expect(hits).toEqual(index.search(mockImageEmbedding({ type: 'url', value: query }), 2));
    expect(hits[0]!.metadata).toEqual({ url: PHOTOS[4] });
  });

  it('k defaults to 10', async () => {
    const index = new EmbeddingIndex();
    for (let i = 0; i < 12; i++) index.add(`t${i}`, mockTextEmbedding(`thing ${i}`));
    expect(await client().searchText(index, 'thing')).toHaveLength(10);
  });

  it('an index built with another clipVersion than the client\'s is refused before any request', async () => {
    const error = await client({ clipVersion: 'ViT-B-16' })
      .searchText(photoIndex('ViT-L-14'), 'a raccoon')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingIndexError);
    expect((error as EmbeddingIndexError).code).toBe('clip_version_mismatch');
    expect((error as Error).message).toMatch(/ViT-L-14.*ViT-B-16/);
    expect(ctx.mock.requests).toHaveLength(0);
  });

  it('an index whose dimension cannot match the client\'s clipVersion is refused before any request', async () => {
    const error = await client({ clipVersion: 'ViT-L-14' })
      .searchImage(photoIndex(), PHOTOS[0]!)
      .catch((e: unknown) => e);
    expect((error as EmbeddingIndexError).code).toBe('dimension_mismatch');
    expect(ctx.mock.requests).toHaveLength(0);
  });

  it('with no client clipVersion, the query is embedded with the index\'s clipVersion', async () => {
    const hits = await client().searchText(photoIndex('ViT-L-14'), 'a raccoon');
    expect(hits[0]!.id).toMatch(/raccoon/);
    expect(ctx.mock.requests.map((r) => (r.body as { clip_version_id?: string }).clip_version_id)).toEqual(['ViT-L-14']);
  });

  it('an index without a clipVersion and a query of another dimension is a dimension_mismatch', async () => {
    const index = new EmbeddingIndex({ dimension: 768 });
    index.add('x', Array.from({ length: 768 }, (_, i) => i + 1));
    const error = await client()
      .searchText(index, 'a raccoon')
      .catch((e: unknown) => e);
    expect((error as EmbeddingIndexError).code).toBe('dimension_mismatch');
    expect((error as Error).message).toMatch(/512.*768/);
    expect(ctx.mock.requests).toHaveLength(0);
  });

  it('a k that is not an integer >= 1 is a bad argument, refused with ClipValidationError before any request', async () => {
    for (const k of [0, 2.5, Number.NaN, -1]) {
      const error = await client()
        .searchText(photoIndex(), 'a raccoon', k)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClipValidationError);
      expect((error as ClipValidationError).issues[0]!.path).toEqual(['k']);
    }
    expect(ctx.mock.requests).toHaveLength(0);
  });
});
