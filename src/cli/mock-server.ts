import { parseArgs } from 'node:util';
import { startMockServer, type MockBackend, type MockFaultKind, type MockFaults } from '../testing.js';
import { UsageError, type Command } from './command.js';

const BACKENDS: readonly MockBackend[] = ['legacy', 'inference-models'];
const FAULT_KINDS: readonly MockFaultKind[] = ['503', 'reset'];

/** `RATE` or `RATE:KIND,KIND`, e.g. `0.1` or `0.2:503`. */
function parseFaults(value: string | undefined): MockFaults | undefined {
  if (value === undefined) return undefined;
  const [rateText = '', kindsText] = value.split(':');
  const rate = Number(rateText);
  if (rateText.trim() === '' || !(rate >= 0 && rate <= 1)) throw new UsageError(`--faults must be a share from 0 to 1, optionally :KINDS, got "${value}"`);
  if (kindsText === undefined) return { rate };
  const kinds = kindsText.split(',');
  const unknown = kinds.filter((kind) => !(FAULT_KINDS as readonly string[]).includes(kind));
  if (unknown.length > 0) throw new UsageError(`--faults kinds must be among ${FAULT_KINDS.join(', ')}, got "${unknown.join(',')}"`);
  return { rate, kinds: kinds as MockFaultKind[] };
}

function parseLatency(value: string | undefined): number {
  if (value === undefined) return 0;
  const ms = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(ms)) throw new UsageError(`--latency must be a whole number of milliseconds, got "${value}"`);
  return ms;
}

export const mockServer: Command = {
  name: 'mock-server',
  summary: 'run a local MOCK of the CLIP API for tests (fake embeddings, not Roboflow)',
  help: `Usage: roboflow-clip mock-server [--port N] [--host ADDRESS] [--api-key KEY] [--latency MS]
                                  [--faults RATE[:KINDS]] [--backend NAME] [--cors-origin ORIGIN]...

Runs a local imitation of Roboflow's CLIP API until stopped (Ctrl+C). It answers the three routes with
the real server's statuses, messages and headers, but its embeddings are fake: derived from the words
of a text, of an image URL or of a picture's description, never from pixels. For tests and offline
development only.

Options:
  --port N              port to listen on (default: 9001; 0 picks a free one)
  --host ADDRESS        address to listen on (default: 127.0.0.1)
  --api-key KEY         key every request must present (default: any key or none)
  --latency MS          delay before each answer, in milliseconds (default: 0)
  --faults RATE[:KINDS] answer a share of requests (0 to 1) with a fault instead: 503 (model loading,
                        with Retry-After) or reset (connection dropped); KINDS a comma list of 503,
                        reset (default: both). Seeded: a run repeats.
  --backend NAME        legacy (default) or inference-models, the server's default CLIP backend
                        on Linux, with its batching bugs
  --cors-origin ORIGIN  let a web page of ORIGIN call the mock (repeatable; * for any); default:
                        no CORS headers, like the server without ALLOW_ORIGINS

Example:
  roboflow-clip mock-server --port 9001 --faults 0.1 &
  ROBOFLOW_CLIP_URL=http://127.0.0.1:9001 roboflow-clip embed-text "a cat"`,

  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '9001' },
        host: { type: 'string', default: '127.0.0.1' },
        'api-key': { type: 'string' },
        latency: { type: 'string' },
        faults: { type: 'string' },
        backend: { type: 'string', default: 'legacy' },
        'cors-origin': { type: 'string', multiple: true },
      },
    });
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port must be a port number, got "${values.port}"`);
    const backend = values.backend as MockBackend;
    if (!BACKENDS.includes(backend)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got "${values.backend}"`);
    const server = await startMockServer({
      port,
      host: values.host,
      apiKey: values['api-key'],
      latencyMs: parseLatency(values.latency),
      faults: parseFaults(values.faults),
      backend,
      corsOrigins: values['cors-origin'],
      recordRequests: false,
    });
    io.stdout.write(`MOCK CLIP server (fake embeddings, not Roboflow) listening on ${server.url}\n`);
    if (!io.stop.aborted) await new Promise((resolve) => io.stop.addEventListener('abort', resolve, { once: true }));
    await server.close();
    return 0;
  },
};
