import { parseArgs } from 'node:util';
import { startMockServer } from '../testing.js';
import { UsageError, type Command } from './command.js';

export const mockServer: Command = {
  name: 'mock-server',
  summary: 'run a local MOCK of the CLIP API for tests (fake embeddings, not Roboflow)',
  help: `Usage: roboflow-clip mock-server [--port N] [--host ADDRESS] [--api-key KEY]

Runs a local imitation of Roboflow's CLIP API until stopped (Ctrl+C). It answers the three routes with
the real error shapes, but its embeddings are fake: derived from the words of a text or an image URL,
never from pixels. For tests and offline development only.

Options:
  --port N          port to listen on (default: 9001; 0 picks a free one)
  --host ADDRESS    address to listen on (default: 127.0.0.1)
  --api-key KEY     key every request must present (default: any key or none)

Example:
  roboflow-clip mock-server --port 9001 &
  ROBOFLOW_CLIP_URL=http://127.0.0.1:9001 roboflow-clip embed-text "a cat"`,

  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: { port: { type: 'string', default: '9001' }, host: { type: 'string', default: '127.0.0.1' }, 'api-key': { type: 'string' } },
    });
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port must be a port number, got "${values.port}"`);
    const server = await startMockServer({ port, host: values.host, apiKey: values['api-key'], recordRequests: false });
    io.stdout.write(`MOCK CLIP server (fake embeddings, not Roboflow) listening on ${server.url}\n`);
    if (!io.stop.aborted) await new Promise((resolve) => io.stop.addEventListener('abort', resolve, { once: true }));
    await server.close();
    return 0;
  },
};
