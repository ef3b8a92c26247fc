// An AWS Lambda function behind API Gateway (HTTP API): POST {"image": "https://...", "labels": ["cat", "dog"]}
// answers {"label": "cat", "scores": {...}}. Set ROBOFLOW_API_KEY in the function's environment.
import { ClipApiError, ClipClient, ClipError, ClipValidationError } from 'roboflow-clip';

// Created once per execution environment, at module scope: warm invocations reuse the client and its
// keep-alive connections instead of paying for a new TLS handshake each time. A connection that died
// while the environment was frozen is a connection error, which the client retries.
const clip = new ClipClient({ timeoutMs: 10_000 });

/** The parts of an API Gateway proxy event (payload 2.0) that the function reads. */
export interface ApiGatewayEvent {
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface ApiGatewayResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export async function handler(event: ApiGatewayEvent): Promise<ApiGatewayResult> {
  let request: { image?: unknown; labels?: unknown };
  try {
    const raw = event.isBase64Encoded ? atob(event.body ?? '') : event.body ?? '';
    request = JSON.parse(raw || '{}');
  } catch {
    return json(400, { error: 'the body is not JSON' });
  }
  const labels = Array.isArray(request.labels) ? request.labels.map(String) : [];
  try {
    const { similarity } = await clip.compare({
      subject: request.image as string,
      prompt: Object.fromEntries(labels.map((label) => [label, `a photo of a ${label}`])),
    });
    const [label] = Object.entries(similarity).sort(([, a], [, b]) => b - a)[0] ?? [];
    return json(200, { label, scores: similarity });
  } catch (error) {
    if (error instanceof ClipValidationError) return json(400, { error: error.name, issues: error.issues });
    if (error instanceof ClipApiError) return json(502, { error: error.name, upstreamStatus: error.status });
    if (error instanceof ClipError) return json(502, { error: error.name, message: error.message });
    throw error;
  }
}

function json(statusCode: number, body: unknown): ApiGatewayResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
