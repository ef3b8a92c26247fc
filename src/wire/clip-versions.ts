/** The CLIP models the server offers, sent as `clip_version_id`. */
export const CLIP_VERSIONS = [
  'RN101',
  'RN50',
  'RN50x4',
  'RN50x16',
  'RN50x64',
  'ViT-B-16',
  'ViT-B-32',
  'ViT-L-14',
  'ViT-L-14-336px',
] as const;
export type ClipVersion = (typeof CLIP_VERSIONS)[number];

export function isClipVersion(value: unknown): value is ClipVersion {
  return (CLIP_VERSIONS as readonly unknown[]).includes(value);
}

/** Embedding length of each CLIP version. */
export const EMBEDDING_DIMENSIONS: Readonly<Record<ClipVersion, number>> = {
  RN101: 512,
  RN50: 1024,
  RN50x4: 640,
  RN50x16: 768,
  RN50x64: 1024,
  'ViT-B-16': 512,
  'ViT-B-32': 512,
  'ViT-L-14': 768,
  'ViT-L-14-336px': 768,
};

/** The version the server uses when a request names none. */
export const DEFAULT_CLIP_VERSION: ClipVersion = 'ViT-B-16';
