// "photo-tagger": a small SDK of our own built on roboflow-clip and shipped as one file, with
// roboflow-clip and its dependencies bundled in (see build.mjs), so its users install nothing else.
import { ClipClient, type ClipClientOptions } from 'roboflow-clip';

export interface Tag {
  label: string;
  score: number;
}

export class PhotoTagger {
  readonly #clip: ClipClient;

  constructor(options: Pick<ClipClientOptions, 'apiKey' | 'baseUrl'> = {}) {
    this.#clip = new ClipClient(options);
  }

  /** The labels ranked by how well they describe the photo, best first. */
  async tag(photoUrl: string, labels: readonly string[]): Promise<Tag[]> {
    const { similarity } = await this.#clip.compare({ subject: photoUrl, prompt: labels.map((label) => `a photo of ${label}`) });
    return labels.map((label, i) => ({ label, score: similarity[i]! })).sort((a, b) => b.score - a.score);
  }

  close(): Promise<void> {
    return this.#clip.close();
  }
}
