// A Cloudflare Worker that keeps the Roboflow key on the server: it embeds texts and images and
// classifies an image against labels. Bundlers for Workers pick the SDK's fetch build (no undici).
import { ClipApiError, ClipClient, ClipError, ClipValidationError } from 'roboflow-clip';

interface Env {
  ROBOFLOW_API_KEY?: string;
  /** Optional: a self-hosted inference server instead of the hosted API. */
  ROBOFLOW_CLIP_URL?: string;
}

// One client per isolate, reused by the requests it serves; the bindings do not change in between.
let clip: ClipClient | undefined;

function client(env: Env): ClipClient {
  clip ??= new ClipClient({ apiKey: env.ROBOFLOW_API_KEY ?? null, baseUrl: env.ROBOFLOW_CLIP_URL || undefined });
  return clip;
}

const routes: Record<string, (clip: ClipClient, body: Record<string, unknown>) => Promise<unknown>> = {
  // {"text": "a photo of a cat"} or {"text": ["...", "..."]}
  '/embed-text': (clip, body) => clip.embedText({ text: body.text as string[] }),
  // {"image": "https://..."} or {"image": ["https://...", ...]}
  '/embed-image': (clip, body) => clip.embedImage({ image: body.image as string[] }),
  // {"image": "https://...", "labels": ["cat", "dog"]} -> {"label": "cat", "scores": {...}}
  '/classify': async (clip, body) => {
    const labels = Array.isArray(body.labels) ? (body.labels as string[]) : [];
    const prompts = Object.fromEntries(labels.map((label) => [label, `a photo of a ${label}`]));
    const { similarity } = await clip.compare({ subject: body.image as string, prompt: prompts });
    const [label] = Object.entries(similarity).sort(([, a], [, b]) => b - a)[0] ?? [];
    return { label, scores: similarity };
  },
};

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const route = routes[new URL(request.url).pathname];
    if (!route) return Response.json({ error: 'not found', routes: Object.keys(routes) }, { status: 404 });
    if (request.method !== 'POST') return Response.json({ error: 'use POST with a JSON body' }, { status: 405 });
    try {
      return Response.json(await route(client(env), await request.json()));
    } catch (error) {
      return failure(error);
    }
  },
};

/** The SDK's error as a JSON answer: the caller's mistakes are 400s, the upstream's failures 502s. */
function failure(error: unknown): Response {
  if (error instanceof ClipValidationError) return Response.json({ error: error.name, issues: error.issues }, { status: 400 });
  if (error instanceof ClipApiError) {
    return Response.json({ error: error.name, message: error.message, upstreamStatus: error.status }, { status: 502 });
  }
  if (error instanceof ClipError) return Response.json({ error: error.name, message: error.message }, { status: 502 });
  if (error instanceof SyntaxError) return Response.json({ error: 'the body is not JSON' }, { status: 400 });
  throw error;
}
